// A child's output pipe read into reused buffers: every byte once and in order while
// listeners hold chunks for a while (the session's socket queue, the attach ring), what the
// socket read before the takeover first, pause/resume, and the same through the socket's
// events where the binding is missing.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { readPipe, usePooledPipesForTests } from '../../process/pipe-reader.js';
import { until } from '../helpers/wait.js';

const BYTES = 8 * 1024 * 1024;
// Deterministic bytes that differ per position: `od`-free, just perl (present in the image).
const PRODUCER = `perl -e 'my $b = join("", map { chr(($_ * 7 + int($_ / 251)) & 255) } 0 .. 65535); print $b for 1 .. ${BYTES / 65536}'`;

function expectedDigest(): string {
  const b = Buffer.alloc(65536);
  for (let i = 0; i < 65536; i++) b[i] = (i * 7 + Math.floor(i / 251)) & 255;
  const h = createHash('sha256');
  for (let i = 0; i < BYTES / 65536; i++) h.update(b);
  return h.digest('hex');
}

function producer(command: string) {
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  return { child, stdout: child.stdout as Socket, exited };
}

for (const mode of ['auto', 'off'] as const) {
  t.test(`${mode === 'auto' ? 'pooled buffers' : 'socket events (no binding)'}: 8 MiB arrive whole and in order while chunks are held`, async (t) => {
    usePooledPipesForTests(mode);
    t.teardown(() => usePooledPipesForTests('auto'));
    const { child, stdout, exited } = producer(PRODUCER);
    t.teardown(() => child.kill('SIGKILL'));
    const digest = createHash('sha256');
    const held: { chunk: Buffer; copy: Buffer; release?: () => void }[] = [];
    let changed = 0;
    let leased = 0;
    const settle = (h: (typeof held)[number]) => {
      if (!h.chunk.equals(h.copy)) changed++;
      digest.update(h.chunk);
      h.release?.();
    };
    const reader = readPipe(stdout, {
      onData: (chunk, lease) => {
        if (lease) leased++;
        // Hold the last four chunks, as a socket queue and the ring do.
        held.push({ chunk, copy: Buffer.from(chunk), ...(lease ? { release: lease.retain() } : {}) });
        if (held.length > 4) settle(held.shift()!);
      },
    });
    t.equal(reader.pooled, mode === 'auto');
    await reader.closed;
    for (const h of held.splice(0)) settle(h);
    await exited;
    t.equal(changed, 0, 'no held chunk was read into again');
    t.equal(digest.digest('hex'), expectedDigest(), 'every byte, once, in order');
    t.equal(leased > 0, mode === 'auto', mode === 'auto' ? 'chunks come with their lease' : 'chunks are the listener\'s own');
  });
}

t.test('paused, nothing is handed over until resume; then what the socket read before the takeover comes first', async (t) => {
  const child = spawn('/bin/sh', ['-c', 'printf early; read x; printf late'], { stdio: ['pipe', 'pipe', 'inherit'] });
  // As the containerizer does (launcher.ts holdOutput): Node's flushStdio would resume the
  // socket at the child's exit.
  (child as { stdio: unknown }).stdio = [child.stdin, null, null];
  t.teardown(() => child.kill('SIGKILL'));
  const exited = new Promise((r) => child.once('exit', r));
  const stdout = child.stdout as Socket;
  await until(() => stdout.readableLength >= 5, 'the socket buffered the early output');
  const seen: string[] = [];
  const reader = readPipe(stdout, { onData: (chunk) => seen.push(chunk.toString()) }, { paused: true });
  t.equal(reader.pooled, true);
  child.stdin!.end('go\n');
  await exited;
  await new Promise((r) => setImmediate(r));
  t.same(seen, [], 'paused: nothing, not even what the socket had already (nobody may be listening yet)');
  reader.resume();
  await reader.closed;
  t.same(seen[0], 'early', 'resumed: what the socket had comes first');
  t.equal(seen.join(''), 'earlylate', 'then the rest, in order');
});

t.test('destroy() stops reading and closes the pipe: the writer ends (EPIPE)', async (t) => {
  const { child, stdout, exited } = producer(`exec yes 2>/dev/null`);
  const reader = readPipe(stdout, { onData: () => reader.destroy() });
  await reader.closed;
  t.ok(stdout.destroyed, 'the socket is closed');
  await exited;
  // SIGPIPE, or EPIPE where the signal is ignored (Node's children inherit that).
  t.ok(child.signalCode === 'SIGPIPE' || (child.exitCode ?? 0) !== 0, `yes ended once nobody read its pipe (${child.signalCode ?? child.exitCode})`);
});

t.test('a pipe that ended and closed before readPipe took it (an empty stderr of a quick command): closed resolves', async (t) => {
  const child = spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'pipe'] });
  (child as { stdio: unknown }).stdio = [child.stdin, null, null];
  const exited = new Promise((r) => child.once('exit', r));
  const stderr = child.stderr as Socket;
  // Node reads a child's pipes from the start: the empty one ends and closes by itself.
  await new Promise((r) => stderr.once('close', r));
  t.ok(stderr.destroyed, 'the socket is already closed');
  let done = false;
  const reader = readPipe(stderr, { onData: () => {} }, { paused: true });
  void reader.closed.then(() => (done = true));
  // finished() reports an already closed stream on the next tick.
  await new Promise((r) => setImmediate(r));
  t.ok(done, 'closed resolved (it waited for a close event that had come already)');
  await exited;
});
