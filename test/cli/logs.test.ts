// `logs` polling as step tests on a scripted in-memory file: each injected sleep is one
// step of the script (the task writes, ends, or nothing happens), so nothing waits on time.
import t from 'tap';
import { IDLE_BACKOFF, streamLog, tailOffset, type LogSource } from '../../cli/logs.js';
import { parseReadBody } from '../../switchboard/files/client.js';

/** A task's stdout as /files/read serves it, with the agent's offset semantics. */
class ScriptedFile implements LogSource {
  content: Buffer;
  ended = false;
  reads: Array<[offset: number | undefined, length: number]> = [];
  /** Runs when the follower asks whether the task ended (before the answer). */
  onTerminatedAsked: (() => void) | undefined;

  constructor(text: string) {
    this.content = Buffer.from(text);
  }

  append(text: string): void {
    this.content = Buffer.concat([this.content, Buffer.from(text)]);
  }

  async read(offset: number | undefined, length: number) {
    this.reads.push([offset, length]);
    if (offset === undefined) return { data: Buffer.alloc(0), offset: this.content.length };
    return { data: this.content.subarray(offset, offset + length), offset };
  }

  async terminated() {
    this.onTerminatedAsked?.();
    return this.ended;
  }
}

function run(file: ScriptedFile, options: { follow: boolean; tail?: number; chunkBytes?: number }, steps: Array<() => void> = []) {
  const out: Buffer[] = [];
  const sleeps: number[] = [];
  const done = streamLog(file, {
    ...options,
    write: async (d) => void out.push(Buffer.from(d)),
    sleep: async (ms) => {
      sleeps.push(ms);
      const step = steps.shift();
      if (!step) throw new Error(`slept ${sleeps.length} times; the script has no step left`);
      step();
    },
  });
  return done.then(() => ({ text: Buffer.concat(out).toString(), sleeps }));
}

t.test('without -f: what is there, in bounded reads, then exit', async (t) => {
  const file = new ScriptedFile('alpha\nbeta\n');
  const { text, sleeps } = await run(file, { follow: false, chunkBytes: 4 });
  t.equal(text, 'alpha\nbeta\n', 'the whole file');
  t.same(sleeps, [], 'never waits');
  t.ok(file.reads.every(([, length]) => length === 4), 'every read asks for at most chunkBytes');
  t.same(file.reads.at(-1), [11, 4], 'stops at the first empty read');
});

t.test('-f: lines appended later are printed; exits once the task ended and the file is drained', async (t) => {
  const file = new ScriptedFile('one\n');
  const { text, sleeps } = await run(file, { follow: true }, [
    () => file.append('two\n'),
    () => {},
    () => {
      file.append('three\n');
      file.ended = true;
    },
  ]);
  t.equal(text, 'one\ntwo\nthree\n');
  t.same(sleeps, [IDLE_BACKOFF.initialMs, IDLE_BACKOFF.initialMs, IDLE_BACKOFF.initialMs * 2], 'backs off on empty data, resets on data');
});

t.test('-f: output written between the empty read and the end is not lost', async (t) => {
  const file = new ScriptedFile('first\n');
  file.onTerminatedAsked = () => {
    file.append('last words\n');
    file.ended = true;
    file.onTerminatedAsked = undefined;
  };
  const { text, sleeps } = await run(file, { follow: true });
  t.equal(text, 'first\nlast words\n', 'read again after learning the task ended');
  t.same(sleeps, []);
});

t.test('-f: the pause doubles up to its cap while nothing comes', async (t) => {
  const file = new ScriptedFile('');
  const steps = Array.from({ length: 7 }, (_, i) => () => {
    if (i === 6) file.ended = true;
  });
  const { sleeps } = await run(file, { follow: true }, steps);
  t.same(sleeps, [100, 200, 400, 800, 1000, 1000, 1000]);
});

t.test('--tail N: the last N lines, found reading backwards one bounded chunk at a time', async (t) => {
  const cases: Array<[what: string, text: string, lines: number, chunk: number, expected: string]> = [
    ['2 of 3 lines', 'l1\nl2\nl3\n', 2, 4096, 'l2\nl3\n'],
    ['chunks smaller than a line', 'line-one\nline-two\nline-three\n', 2, 3, 'line-two\nline-three\n'],
    ['chunk boundary on a newline', 'ab\ncd\nef\n', 1, 3, 'ef\n'],
    ['no trailing newline', 'l1\nl2\nl3', 1, 2, 'l3'],
    ['more lines asked than there are', 'l1\nl2\n', 10, 2, 'l1\nl2\n'],
    ['zero lines', 'l1\nl2\n', 0, 2, ''],
    ['empty file', '', 3, 2, ''],
    ['empty lines count', 'a\n\n\nb\n', 3, 2, '\n\nb\n'],
  ];
  for (const [what, text, lines, chunk, expected] of cases) {
    const file = new ScriptedFile(text);
    const offset = await tailOffset(file, file.content.length, lines, chunk);
    t.equal(file.content.subarray(offset).toString(), expected, what);
    t.ok(file.reads.every(([, length]) => length <= chunk), `${what}: reads of at most ${chunk} bytes`);
  }
  const file = new ScriptedFile('a\nb\nc\n');
  const { text } = await run(file, { follow: false, tail: 1 });
  t.equal(text, 'c\n', 'streamLog with --tail starts there');
  t.same(file.reads[0], [undefined, 0], 'after learning the size with offset -1');
});

t.test('parseReadBody: the agent reply into bytes; anything else is a clear error', async (t) => {
  t.same(parseReadBody(Buffer.from('{"data":"a\\u0000\xff","offset":3}', 'latin1')), { data: Buffer.from([0x61, 0, 0xff]), offset: 3 });
  t.same(parseReadBody(Buffer.from('{"data":"\\u20ac","offset":0}')).data, Buffer.from('€'), 'escapes beyond U+00FF are UTF-8 text');
  const bad: Array<[string, RegExp]> = [
    ['not json', /not JSON/],
    ['{"data":1,"offset":0}', /expected \{"data"/],
    ['{"data":"","offset":-4}', /non-negative integer/],
    ['null', /expected/],
  ];
  for (const [body, message] of bad) {
    t.throws(() => parseReadBody(Buffer.from(body)), { message }, body);
    t.throws(() => parseReadBody(Buffer.from(body)), { code: 'E_SWITCHBOARD_CLIENT' }, `${body}: an UnexpectedAnswerError from the switchboard`);
  }
});
