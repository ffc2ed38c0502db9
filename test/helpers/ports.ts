// A loopback port that nothing listens on: bound, then released. For a refused connection,
// or for an address a child process binds itself (another process may take it meanwhile, so
// never for a server the test needs to be the one answering: serve that on port 0 instead).
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

export async function releasedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Starts `server` on a fresh loopback port and returns it; at teardown the connections
 * still open are destroyed (a keep-alive or hanging one would hold close() up) and it is closed.
 */
export async function listenOnLoopback(t: { teardown(fn: () => unknown): void }, server: Server): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}
