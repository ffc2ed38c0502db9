// GET_CONTAINERS through the wire, in both encodings: task containers launched through a
// real Containerizer (cgroups under a test root) with their status and statistics, exec
// sessions with show_nested, the ACL filter, and the proto shape of the statistics.
import t from 'tap';
import { parseAcl } from '../../switchboard/acl.js';
import { SwitchboardClient } from '../../switchboard/client.js';
import { statisticsMessage } from '../../switchboard/calls/get-containers.js';
import { codecs, type agent } from '../../proto/codec.js';
import type { PsRow } from '../../cli/ps.js';
import { runCli } from '../helpers/cli.js';
import { testContainerizer } from '../helpers/containers.js';
import { cliEnv, ENCODINGS, EXECUTOR_CONTAINER, EXECUTOR_ID, EXECUTOR_NAME, FRAMEWORK_ID, TestTask, TOKEN, sessionId, sessionOpener, startFixture, until } from './harness.js';

const MiB = 2 ** 20;

t.test('statisticsMessage: mem_* become uint64 (bigint), the rest stay numbers; both encodings keep them', async (t) => {
  const message = statisticsMessage({ timestamp: 1.5, cpus_user_time_secs: 0.25, processes: 2, mem_rss_bytes: 41 * MiB, mem_limit_bytes: 128 * MiB });
  t.same(message, { timestamp: 1.5, cpus_user_time_secs: 0.25, processes: 2, mem_rss_bytes: BigInt(41 * MiB), mem_limit_bytes: BigInt(128 * MiB) });
  const response: agent.Response = { type: 'GET_CONTAINERS', get_containers: { containers: [{ container_id: { value: 'c' }, resource_statistics: message }] } };
  for (const encoding of ENCODINGS) t.same(codecs.agent.Response.decode(codecs.agent.Response.encode(response, encoding), encoding), response, encoding);
  t.match(codecs.agent.Response.encode(response, 'application/json').toString(), `"mem_rss_bytes":${41 * MiB}`, 'JSON: an exact number');
});

t.test('real containers: GET_CONTAINERS lists each running task container with status and statistics, sessions only with show_nested', async (t) => {
  const real = await testContainerizer(t);
  if (!real) return;
  // The switchboard nests sessions in the containerizer that holds the task containers.
  const fx = await startFixture(t, { containerizer: real.containerizer });
  const busy = fx.registry.add(new TestTask('busy', fx.sandbox));
  const alloc = fx.registry.add(new TestTask('alloc', fx.sandbox));
  const ended = fx.registry.add(new TestTask('ended', fx.sandbox));
  const busyCtr = await busy.startContainer(real.containerizer, 'while :; do :; done', { cpus: 0.5, mem: 64, limits: { cpus: 1 } });
  const allocCtr = await alloc.startContainer(real.containerizer, 'exec perl -e \'my $x = "a" x (40 * 1024 * 1024); sleep 300\'');
  await ended.startContainer(real.containerizer, 'exit 0');
  await ended.exited;
  await until(() => (busyCtr.stats().cpus_user_time_secs ?? 0) >= 0.2 && (allocCtr.stats().mem_rss_bytes ?? 0) >= 40 * MiB, 'busy loop CPU ≥ 0.2 s and allocation rss ≥ 40 MiB', 20_000);
  const session = await sessionOpener(fx, 'application/json')(sessionId(busy), { value: 'exec sleep 300', shell: true });
  t.teardown(() => session.destroy());

  for (const encoding of ENCODINGS) {
    const containers = await fx.client.containers({ encoding });
    t.same(containers.map((c) => c.container_id.value).sort(), ['alloc-cid', 'busy-cid'], `${encoding}: the running task containers; not the ended one, not the session`);
    const byId = new Map(containers.map((c) => [c.container_id.value, c]));
    const b = byId.get('busy-cid')!;
    t.same({ framework_id: b.framework_id, executor_id: b.executor_id, executor_name: b.executor_name }, { framework_id: { value: FRAMEWORK_ID }, executor_id: { value: EXECUTOR_ID }, executor_name: EXECUTOR_NAME }, `${encoding}: framework and executor`);
    t.same(b.container_id, { value: 'busy-cid' }, `${encoding}: container_id without its parent`);
    t.same(b.container_status, { container_id: { value: 'busy-cid', parent: EXECUTOR_CONTAINER }, executor_pid: busyCtr.pid }, `${encoding}: status with the chain and the init's pid`);
    const bs = b.resource_statistics!;
    t.ok(bs.cpus_user_time_secs! >= 0.2, `${encoding}: busy loop cpus_user_time_secs ${bs.cpus_user_time_secs}`);
    t.equal(bs.cpus_limit, 1, `${encoding}: cpus_limit from limits.cpus`);
    t.ok(bs.timestamp > 0);
    const as = byId.get('alloc-cid')!.resource_statistics!;
    t.ok(as.mem_rss_bytes! >= BigInt(40 * MiB), `${encoding}: allocation mem_rss_bytes ${as.mem_rss_bytes}`);
    t.equal(as.mem_limit_bytes, BigInt(128 * MiB), `${encoding}: mem_limit_bytes`);
    t.equal(as.processes, 2, `${encoding}: init + perl`);

    const nested = await fx.client.containers({ encoding, showNested: true });
    const s = nested.find((c) => c.container_status?.container_id?.parent?.value === 'busy-cid');
    t.ok(s, `${encoding}: show_nested adds the session`);
    t.same(Object.keys(s!).sort(), ['container_id', 'container_status'], `${encoding}: a nested entry has no framework or executor fields`);
    t.equal(s!.container_status!.container_id!.parent!.value, 'busy-cid');
    t.equal(nested.length, 3);
  }

  // `ps` reads the same figures (and the isolation from the container, without a label).
  const ps = await runCli(['ps', '--json'], cliEnv(fx));
  t.equal(ps.code, 0, ps.stderr);
  const rows = JSON.parse(ps.stdout) as PsRow[];
  const busyRow = rows.find((r) => r.task_id === 'busy')!;
  t.ok(busyRow.cpu_seconds! >= 0.2, `ps: busy CPU seconds ${busyRow.cpu_seconds}`);
  t.match(busyRow, { isolation: 'namespaces,cgroups', processes: Number, mem_limit_bytes: 64 * MiB });
  const allocRow = rows.find((r) => r.task_id === 'alloc')!;
  t.ok(allocRow.mem_rss_bytes! >= 40 * MiB, `ps: allocation rss ${allocRow.mem_rss_bytes}`);
  t.equal(allocRow.processes, 2);
  const table = await runCli(['ps'], cliEnv(fx));
  t.match(table.stdout.split('\n').find((l) => l.startsWith('alloc ')), /^alloc +- +- +- +- +no +\d+\.\d\ds +\d+M \/ 128M +2 +namespaces,cgroups +executor-cid\.alloc-cid$/, 'ps: the table row (the harness sends no status updates: no state)');
});

t.test('GET_CONTAINERS and the ACL: entries the principal may not see are left out, never refused', async (t) => {
  const fx = await startFixture(t, {
    auth: { tokens: [{ principal: 'ops', token: TOKEN }, { principal: 'web-viewer', token: 'web-token-0123456789' }, { principal: 'tasks-only', token: 'tasks-token-0123456789' }] },
    acl: parseAcl({ principals: { ops: { calls: ['*'], tasks: ['*'] }, 'web-viewer': { calls: ['GET_CONTAINERS'], tasks: ['web-*'] }, 'tasks-only': { calls: ['GET_TASKS'], tasks: ['*'] } } }, 'test'),
  });
  fx.task('web-1', 'sleep 1000');
  fx.task('db-1', 'sleep 1000');
  for (const encoding of ENCODINGS) {
    t.same((await fx.client.containers({ encoding })).map((c) => c.container_id.value).sort(), ['db-1-cid', 'web-1-cid'], `${encoding}: ops sees both`);
    // input: an ACL granting GET_CONTAINERS on web-* → only web-1's entry
    t.same((await new SwitchboardClient({ url: fx.url, token: 'web-token-0123456789' }).containers({ encoding })).map((c) => c.container_id.value), ['web-1-cid'], `${encoding}: web-viewer sees web-1`);
    // input: a principal without GET_CONTAINERS → 200 with no entries, as the agent answers
    t.same(await new SwitchboardClient({ url: fx.url, token: 'tasks-token-0123456789' }).containers({ encoding }), [], `${encoding}: tasks-only sees none`);
  }
  const pipes = (await fx.client.containers()).find((c) => c.container_id.value === 'web-1-cid')!;
  t.notOk(pipes.resource_statistics, 'a task without a container has no statistics');
  t.ok(pipes.container_status?.executor_pid, 'but its pid');
  // input: an Accept of application/recordio → 406, this call does not stream
  const res = await fx.client.raw('POST', '/api/v1', { 'Content-Type': 'application/json', Accept: 'application/recordio' }, JSON.stringify({ type: 'GET_CONTAINERS' } satisfies agent.Call));
  t.equal(res.status, 406);
  t.equal(res.body.toString(), 'Streaming response is not supported for GET_CONTAINERS call');
});
