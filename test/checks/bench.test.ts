// Smoke test: the checks benchmark runs end to end with tiny numbers and gives sane figures.
// (The real run is `make bench` or `node dist/bench/checks/index.js`.)
import t from 'tap';
import { run } from '../../bench/checks/index.js';

t.test('bench/checks runs: per-probe CPU for both ways, and a short load', async (t) => {
  const r = (await run({ inProcessProbes: 30, forkedProbes: 3, tasks: 20, durationSeconds: 1, settleSeconds: 0.2, quietTimeWaitLimit: Infinity })) as {
    cpuPerProbe: { http: { inProcess: { cpuMsPerProbe: number }; forkedCurl: { cpuMsPerProbe: number }; cpuRatio: number }; tcp: { cpuRatio: number } };
    load: { probes: number; failedProbesInLast10PerTask: number; healthReports: { healthy: number; unhealthy: number }; lateness: { samples: number } };
  };
  t.ok(r.cpuPerProbe.http.inProcess.cpuMsPerProbe > 0);
  t.ok(r.cpuPerProbe.http.forkedCurl.cpuMsPerProbe > r.cpuPerProbe.http.inProcess.cpuMsPerProbe, 'forking curl costs more than probing in-process');
  t.ok(r.cpuPerProbe.http.cpuRatio > 1);
  t.ok(r.cpuPerProbe.tcp.cpuRatio > 1);
  t.ok(r.load.probes >= 10, `${r.load.probes} probes in the load phase`);
  t.equal(r.load.failedProbesInLast10PerTask, 0);
  t.same(r.load.healthReports, { healthy: 20, unhealthy: 0 }, 'each task reported healthy once');
  t.equal(r.load.lateness.samples, r.load.probes);
});
