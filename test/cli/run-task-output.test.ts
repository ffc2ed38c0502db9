// The tasks' output as `run` prints it: whole lines, prefixed with the task's name, bounded
// partial lines, and a task's rest printed when it ends. Real files, an injected clock.
import t, { type Test } from 'tap';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../common/clock.js';
import { LineSplitter, POLL_INTERVAL_MS, READ_PER_POLL_BYTES, TaskOutput } from '../../cli/task-output.js';

t.test('LineSplitter: whole lines out, the rest kept', async (t) => {
  // Each row: chunks pushed, lines after each push, then what end() gives.
  const cases: Array<[what: string, chunks: Array<string | Buffer>, lines: string[][], rest: string[]]> = [
    ['one line', ['a\n'], [['a']], []],
    ['a line in two chunks', ['ab', 'c\nd'], [[], ['abc']], ['d']],
    ['several lines, empty ones kept', ['x\n\ny\n'], [['x', '', 'y']], []],
    ['CRLF', ['dos\r\n'], [['dos']], []],
    ['a UTF-8 character split across chunks', [Buffer.from([0xc3]), Buffer.from([0xa9, 0x0a])], [[], ['é']], []],
    ['no newline at the end', ['giving up with status 3'], [[]], ['giving up with status 3']],
  ];
  for (const [what, chunks, lines, rest] of cases) {
    const s = new LineSplitter();
    chunks.forEach((c, i) => t.same(s.push(Buffer.from(c)), lines[i], `${what}: push ${i}`));
    t.same(s.end(), rest, `${what}: end`);
  }
});

t.test('LineSplitter: a line without end is cut at the bound, never buffered without limit', async (t) => {
  const s = new LineSplitter(8);
  t.same(s.push(Buffer.from('0123456789abcdefXY')), ['01234567', '89abcdef']);
  t.same(s.push(Buffer.from('Z\n')), ['XYZ']);
  t.same(s.end(), []);
});

function setup(t: Test, names: string[], color = false) {
  const root = mkdtempSync(join(tmpdir(), 'task-output-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const printed: string[] = [];
  const clock = new ManualClock();
  const tasks = names.map((name) => ({ taskId: `${name}.1`, label: name, sandbox: join(root, `${name}.1`) }));
  const output = new TaskOutput(tasks, { print: (l) => printed.push(l), clock, color });
  const write = (name: string, stream: 'stdout' | 'stderr', text: string | Buffer) => {
    mkdirSync(join(root, `${name}.1`), { recursive: true });
    appendFileSync(join(root, `${name}.1`, stream), text);
  };
  return { output, printed, clock, write };
}

t.test('TaskOutput: prefixes padded to the longest name, lines as they are written, the rest at finish', async (t) => {
  const { output, printed, clock, write } = setup(t, ['web-server', 'db']);
  output.start();
  t.same(printed, [], 'no files yet: nothing, no error');
  write('web-server', 'stdout', 'serving\npart');
  write('db', 'stderr', 'ready\n');
  clock.advance(POLL_INTERVAL_MS);
  t.same(printed, ['web-server | serving', 'db         | ready']);
  write('web-server', 'stdout', 'ial\n');
  clock.advance(POLL_INTERVAL_MS);
  t.equal(printed.at(-1), 'web-server | partial', 'a partial line waits for its end');
  write('db', 'stderr', 'giving up with status 3');
  clock.advance(POLL_INTERVAL_MS);
  t.equal(printed.length, 3, 'a last line without newline is held while the task runs');
  output.finish('db.1');
  t.equal(printed.at(-1), 'db         | giving up with status 3', 'and printed when the task ends');
  write('db', 'stderr', 'late\n');
  clock.advance(POLL_INTERVAL_MS);
  t.equal(printed.length, 4, 'a finished task is no longer followed');
  output.stop();
  t.equal(clock.pending, 0, 'stop() leaves no timer');
});

t.test('TaskOutput: a chatty task is read a bounded amount per poll; finish reads to the end', async (t) => {
  const { output, printed, write } = setup(t, ['chatty']);
  const line = `${'x'.repeat(1023)}\n`;
  write('chatty', 'stdout', line.repeat((3 * READ_PER_POLL_BYTES) / 1024));
  output.poll();
  t.equal(printed.length, READ_PER_POLL_BYTES / 1024, 'one poll: READ_PER_POLL_BYTES');
  output.finish('chatty.1');
  t.equal(printed.length, (3 * READ_PER_POLL_BYTES) / 1024, 'finish: everything');
  t.ok(printed.every((l) => l === `chatty | ${'x'.repeat(1023)}`), 'lines whole across read boundaries');
});

t.test('TaskOutput: colored prefixes only when asked (a terminal)', async (t) => {
  const { output, printed, write } = setup(t, ['a', 'b'], true);
  write('a', 'stdout', 'one\n');
  write('b', 'stdout', 'two\n');
  output.poll();
  t.same(printed, ['\x1b[36ma |\x1b[0m one', '\x1b[33mb |\x1b[0m two']);
});
