// Logs for people and for machines: which format a logger writes, and what a pretty line
// shows (time of day, level, message, the chosen fields; an error's message, not its stack).
import t from 'tap';
import { Writable } from 'node:stream';
import { chooseLogFormat, createLogger, LOG_FORMAT_ENV } from '../../common/logger.js';

t.test('chooseLogFormat: JSON for the executor and for pipes, pretty for a person at a terminal; the variable overrides', async (t) => {
  const cases: Array<[env: string | undefined, forPeople: boolean, terminal: boolean, format: 'json' | 'pretty']> = [
    [undefined, false, true, 'json'], // the executor, even on a terminal
    [undefined, true, false, 'json'], // run 2>log.json
    [undefined, true, true, 'pretty'], // run on a terminal
    ['json', true, true, 'json'],
    ['pretty', false, false, 'pretty'],
    ['', true, true, 'pretty'],
  ];
  for (const [value, forPeople, terminal, format] of cases) {
    const env = value === undefined ? {} : { [LOG_FORMAT_ENV]: value };
    t.same(chooseLogFormat(env, forPeople, terminal), { format }, `${LOG_FORMAT_ENV}=${value ?? '(unset)'} forPeople=${forPeople} terminal=${terminal}`);
  }
  t.same(chooseLogFormat({ [LOG_FORMAT_ENV]: 'yaml' }, true, false), {
    format: 'json',
    problem: `${LOG_FORMAT_ENV}: expected json or pretty, got "yaml"; writing json`,
  }, 'a bad value is named, and the default used');
});

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({ write: (chunk, _enc, cb) => ((text += chunk.toString()), cb()) });
  return { stream, text: () => text };
}

t.test('a pretty line: one line, time of day, level, message, task_id and the error message; no pid, hostname or stack', async (t) => {
  const out = sink();
  const log = createLogger({ name: 'run', level: 'info', destination: out.stream, format: 'pretty' });
  log.child({ task_id: 'web server.1' }).warn({ err: new Error('boom'), container_id: 'c-1', uuid: 'ab12', pid: 4 }, 'health check failed');
  log.debug('not at info');
  const lines = out.text().split('\n');
  t.equal(lines.length, 2, 'one line and the final newline');
  t.match(lines[0], /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] WARN: health check failed task_id="web server\.1" container_id=c-1 err=boom$/);
  t.notMatch(out.text(), /hostname|pid|uuid|at .*\.js|\d{13}/, 'none of the noise: no pid, hostname, other fields, stack or epoch ms');
});

t.test('JSON stays JSON: one object a line with task_id as the task key', async (t) => {
  const out = sink();
  const log = createLogger({ name: 'executor', level: 'info', destination: out.stream });
  log.child({ task_id: 'web.1' }).info('task process started');
  const entry = JSON.parse(out.text()) as Record<string, unknown>;
  t.match(entry, { task_id: 'web.1', msg: 'task process started', level: 30 });
});
