// Exec-session churn: sessions whose commands fork and ignore SIGTERM, each dropped by its
// client at a random point (before any output, mid-output, mid-input, after the end).
// Afterwards no process of theirs is left, the switchboard's RSS is back within a bound,
// and every session slot is free (a full set of sessions can be launched again).
// `make test` runs a short fixed-seed slice; `make soak` 1,000 sessions and writes
// bench/results/churn.json.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { isOutputStream, stdinRecord, type OutputStreamHandle } from '../../switchboard/client.js';
import type { mesos } from '../../proto/codec.js';
import { launchCall, sessionId, startFixture, until } from '../switchboard/harness.js';
import { bySuiteScale, fuzzSeed, seededRandom, writeSuiteResult } from '../helpers/suite.js';

const started = new Date();
const MiB = 2 ** 20;

/** Pids whose environment carries this run's marker. */
function markedProcesses(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

// Forks a child and a grandchild, all ignoring SIGTERM, prints, then reads or sleeps.
const COMMAND = "trap '' TERM; (trap '' TERM; sleep 900) & (trap '' TERM; (sleep 900 &); sleep 900) & echo forked; i=0; while [ $i -lt 20 ]; do echo line-$i; i=$((i+1)); done; cat";

type DropPoint = 'at-launch' | 'first-output' | 'mid-input' | 'after-eof';
const DROP_POINTS: DropPoint[] = ['at-launch', 'first-output', 'mid-input', 'after-eof'];

t.test('exec sessions dropped at random points leave nothing behind', async (t) => {
  const sessions = bySuiteScale(40, 1000);
  const concurrency = 8;
  const maxSessions = 16;
  const seed = fuzzSeed();
  const random = seededRandom(seed);
  t.comment(`seed ${seed}`);
  const fx = await startFixture(t, { limits: { maxSessions } });
  const task = fx.task('churn', 'sleep 100000');
  const marker = `SB_CHURN=${process.pid}-${seed}`;
  const environment = { variables: [{ name: 'SB_CHURN', value: `${process.pid}-${seed}` }] };
  const counts: Record<DropPoint, number> = { 'at-launch': 0, 'first-output': 0, 'mid-input': 0, 'after-eof': 0 };
  let refused = 0;

  const one = async (tty: boolean, drop: DropPoint): Promise<void> => {
    const id: mesos.ContainerID = sessionId(task);
    const s = await fx.client.openOutput(launchCall(id, { value: COMMAND, environment }, tty ? {} : undefined));
    if (!isOutputStream(s)) {
      // A slot still held by a session being torn down: counted, never more than the limit allows.
      if (s.status === 429) refused++;
      else throw new Error(`launch answered ${s.status}: ${s.body}`);
      return;
    }
    counts[drop]++;
    if (drop === 'at-launch') return s.destroy();
    await readUntil(s, 'forked');
    if (drop === 'first-output') return s.destroy();
    const input = fx.client.openInput(id);
    await input.send(stdinRecord('x'.repeat(1 + Math.floor(random() * 4096))));
    if (drop === 'mid-input') {
      s.destroy();
      return input.destroy();
    }
    // after-eof: without a TTY an empty record closes stdin and cat ends; with one, ^D.
    await input.send(stdinRecord(tty ? '\x04' : ''));
    if (!tty) await input.send(stdinRecord(''));
    s.destroy();
    input.destroy();
  };

  global.gc?.();
  const rssBefore = process.memoryUsage.rss();
  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < sessions) {
        next++;
        await one(random() < 0.5, DROP_POINTS[Math.floor(random() * DROP_POINTS.length)]!);
      }
    }),
  );
  const churnMs = Date.now() - t0;
  t.ok(refused <= sessions * 0.05, `${refused} launches refused with 429 while earlier sessions were torn down (bound 5%)`);

  await until(() => fx.logs.filter((l) => l.msg === 'session ended').length === sessions - refused, 'every session to end', 30_000);
  await until(() => markedProcesses(marker).length === 0, 'every forked process to be gone', 10_000);
  t.same(markedProcesses(marker), [], 'no process of any session left (forks ignoring SIGTERM included)');

  global.gc?.();
  const rssGrowthMiB = (process.memoryUsage.rss() - rssBefore) / MiB;
  t.ok(rssGrowthMiB < 64, `RSS ${rssGrowthMiB.toFixed(1)} MiB above the start after ${sessions} sessions (bound 64 MiB)`);

  // Every slot free: the full set can be launched at once (none refused).
  const full = await Promise.all(Array.from({ length: maxSessions }, () => fx.client.openOutput(launchCall(sessionId(task), { value: 'sleep 900', environment }))));
  t.same(full.map((s) => s.status), Array(maxSessions).fill(200), `all ${maxSessions} session slots free`);
  for (const s of full) if (isOutputStream(s)) s.destroy();
  await until(() => markedProcesses(marker).length === 0, 'the check sessions to be gone', 10_000);

  t.comment(`drop points: ${JSON.stringify(counts)}`);
  writeSuiteResult('churn', started, { sessions, concurrency, seed, dropPoints: counts, refused, churnMs, sessionsPerSecond: Math.round((sessions / churnMs) * 1000 * 10) / 10, rssGrowthMiB: Math.round(rssGrowthMiB * 10) / 10, processesLeft: 0 });
});

async function readUntil(s: OutputStreamHandle, text: string): Promise<void> {
  let seen = '';
  for await (const io of s.records) {
    if (io.type === 'DATA') seen += (io.data!.data ?? Buffer.alloc(0)).toString('latin1');
    if (seen.includes(text)) return;
  }
}
