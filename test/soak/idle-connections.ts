// A client process for the load suite: opens N TCP connections to a port and never sends
// a byte on them. Several of these spread the client side over processes (each has its
// own fd limit). Reports on IPC: {opened, closed} once every connection either connected
// or failed, and again whenever asked ('report'); exits when its parent disconnects.
import { connect, type Socket } from 'node:net';

const [port, countText] = process.argv.slice(2);
const count = Number(countText);
const sockets: Socket[] = [];
let settled = 0;
let opened = 0;
let closed = 0;
let failed = 0;
const report = () => process.send?.({ opened, closed, failed, settled });

// All at once: the kernel's SYN retries smooth over a full listen backlog.
async function openAll(): Promise<void> {
  {
    await Promise.all(
      Array.from({ length: count }, () =>
        new Promise<void>((resolve) => {
          const s = connect(Number(port), '127.0.0.1');
          sockets.push(s);
          // Flowing, so that the server's close is seen (a paused socket never reads the FIN).
          s.resume();
          let done = false;
          const settle = () => {
            if (!done) {
              done = true;
              settled++;
              resolve();
            }
          };
          s.once('connect', () => {
            opened++;
            settle();
          });
          s.once('error', () => {
            failed++;
            settle();
          });
          s.once('close', () => {
            closed++;
            settle();
          });
        }),
      ),
    );
  }
}

process.on('message', (m) => {
  if (m === 'report') report();
});
process.on('disconnect', () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
void openAll().then(report);
