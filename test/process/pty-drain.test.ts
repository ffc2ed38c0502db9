// The tail read of a hung-up terminal master is bounded: a file that keeps filling (a
// process that reopened the slave) stops it at the limit, an end stops it at once.
import t from 'tap';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readPtyTail } from '../../process/pty-drain.js';

function fileOf(t: { teardown(fn: () => void): void }, bytes: number): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'pty-drain-'));
  const file = path.join(dir, 'tail');
  writeFileSync(file, Buffer.alloc(bytes, 'x'));
  const fd = openSync(file, 'r');
  t.teardown(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
  return fd;
}

t.test('more pending than the limit: exactly the limit is delivered, in chunks', async (t) => {
  const chunks: Buffer[] = [];
  readPtyTail(fileOf(t, 300_000), (c) => chunks.push(c), 200_000);
  t.equal(Buffer.concat(chunks).length, 200_000);
  t.ok(chunks.every((c) => c.length <= 64 * 1024), 'no chunk over 64 KiB');
});

t.test('less pending than the limit: all of it, then the end stops the read', async (t) => {
  const chunks: Buffer[] = [];
  readPtyTail(fileOf(t, 70_000), (c) => chunks.push(c), 200_000);
  t.equal(Buffer.concat(chunks).length, 70_000);
});

t.test('a read error (EBADF on an fd not open) delivers nothing and does not throw', async (t) => {
  const chunks: Buffer[] = [];
  readPtyTail(1_000_000, (c) => chunks.push(c));
  t.same(chunks, []);
});
