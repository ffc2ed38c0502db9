// Sessions' output pipes (native/pipe.c): real pipes of the asked size, close-on-exec in
// the parent, a read end that reads nothing before it is read, and no descriptor left
// behind by a child that never came.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readlinkSync } from 'node:fs';
import { outputPipes, PIPE_BYTES } from '../../process/os-pipe.js';
import { readPipe } from '../../process/pipe-reader.js';

const F_GETPIPE_SZ = 1032;
const openFds = () => readdirSync('/proc/self/fd').length;

t.test('built: `npm run install` compiles build/Release/pipe.node (node-gyp, a C compiler)', async (t) => {
  const pipes = outputPipes();
  t.ok(pipes, 'outputPipes() found the addon');
  pipes?.destroy();
});

t.test('pipes, not sockets, of the asked size, whose write ends a child gets and the parent lets go', async (t) => {
  const pipes = outputPipes()!;
  t.match(readlinkSync(`/proc/self/fd/${pipes.stdout.writeFd}`), /^pipe:\[\d+\]$/, 'stdout is a pipe');
  t.match(readlinkSync(`/proc/self/fd/${pipes.stderr.writeFd}`), /^pipe:\[\d+\]$/, 'stderr is a pipe');
  // Python reads the size of the pipe it was given as stdout and writes it to stderr.
  const child = spawn('python3', ['-c', `import fcntl, sys; sys.stderr.write(str(fcntl.fcntl(1, ${F_GETPIPE_SZ}))); print("out")`], {
    stdio: ['ignore', pipes.stdout.writeFd, pipes.stderr.writeFd],
  });
  pipes.closeWriteEnds();
  const read = (reader: typeof pipes.stdout.reader) => {
    const chunks: Buffer[] = [];
    const r = readPipe(reader, { onData: (c) => chunks.push(Buffer.from(c)) });
    return r.closed.then(() => Buffer.concat(chunks).toString());
  };
  const [out, err] = await Promise.all([read(pipes.stdout.reader), read(pipes.stderr.reader), once(child, 'exit')]);
  t.equal(out, 'out\n');
  t.equal(Number(err), PIPE_BYTES, `F_GETPIPE_SZ in the child: ${err}`);
});

t.test('the read end reads nothing until it is read: a quick writer’s output waits in the pipe', async (t) => {
  const pipes = outputPipes()!;
  const child = spawn('/bin/sh', ['-c', 'echo early'], { stdio: ['ignore', pipes.stdout.writeFd, 'ignore'] });
  pipes.closeWriteEnds();
  await once(child, 'exit');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(pipes.stdout.reader.readableLength, 0, 'nothing was read into the socket before a listener came');
  let text = '';
  for await (const c of pipes.stdout.reader) text += String(c);
  t.equal(text, 'early\n');
  pipes.stderr.reader.destroy();
});

t.test('destroy() before any child: both ends of both pipes are closed', async (t) => {
  const before = openFds();
  const pipes = outputPipes()!;
  t.equal(openFds(), before + 4, 'two pipes, two ends each');
  pipes.destroy();
  await Promise.all([once(pipes.stdout.reader, 'close'), once(pipes.stderr.reader, 'close')]);
  t.equal(openFds(), before, 'every descriptor closed');
});
