// Probe latency is measured on a monotonic clock with sub-millisecond resolution: Date.now()
// differences are whole milliseconds, so `mesos-sidecar check` printed "in 0.0 ms" or
// "in 1.0 ms" for a loopback probe, and the duration histogram only ever saw 0 or 1 ms.
import t from 'tap';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { CheckScheduler, type ProbeRun } from '../../checks/scheduler.js';

/** Wall time in whole milliseconds that stands still, a monotonic clock that moves in fractions. */
class SplitClock implements Clock {
  wall = 1_700_000_000_000;
  mono = 5000.125;
  readonly timers: Array<() => void> = [];
  now(): number {
    return this.wall;
  }
  monotonic(): number {
    return this.mono;
  }
  setTimeout(callback: () => void): TimerHandle {
    this.timers.push(callback);
    return { id: this.timers.length };
  }
  clearTimeout(): void {}
}

t.test('latencyMs is the monotonic clock difference, lateness stays on wall time', async (t) => {
  const clock = new SplitClock();
  const scheduler = new CheckScheduler({ clock, jitterFraction: 0 });
  let finish!: () => void;
  const runs: ProbeRun[] = [];
  scheduler.add(
    {
      run: () => new Promise((resolve) => (finish = () => resolve({ kind: 'result', result: { type: 'TCP', succeeded: true } } as never))),
      onOutcome: (_outcome, run) => runs.push(run),
    },
    { delayMs: 0, intervalMs: 60_000, timeoutMs: 0 },
  );
  scheduler.tick();
  clock.mono += 0.375; // the probe takes 0.375 ms; Date.now() would not have moved
  finish();
  await new Promise((r) => setImmediate(r));
  t.equal(runs.length, 1);
  t.equal(runs[0]!.latencyMs, 0.375);
  t.equal(runs[0]!.lateMs, 0);
  t.equal(runs[0]!.endedAt, clock.wall, 'endedAt is a wall-clock time (status updates, history)');
});

t.test('mesos-sidecar check prints latencies below a millisecond', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'checks-latency-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const server = createServer((_req, res) => res.writeHead(200).end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  writeFileSync(join(dir, 'hc.json'), JSON.stringify({ type: 'HTTP', http: { port, path: '/' }, interval_seconds: 0.01 }));
  const bin = fileURLToPath(new URL('../../../bin/mesos-sidecar', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [bin, 'check', 'hc.json', '--watch', '--count', '5'], { cwd: dir, env: { ...process.env, MESOS_SIDECAR_LOG_LEVEL: 'silent' } });
  const latencies = [...stdout.matchAll(/^#\d+ OK {3}status 200 \(result\) in (\S+) ms$/gm)].map((m) => m[1]!);
  t.equal(latencies.length, 5, stdout);
  for (const l of latencies) t.match(l, /^\d+\.\d\d$/, `${l}: two decimals`);
  // Five probes that all took a whole number of milliseconds to 10 µs: one chance in 10^10.
  t.ok(latencies.some((l) => Number(l) % 1 !== 0), `not every latency is whole milliseconds: ${latencies.join(', ')}`);
});
