// `mesos-sidecar check FILE.json [--watch] [--kind health|check] [--count N]`: runs a
// HealthCheck or CheckInfo (Mesos JSON) against local targets, the way the executor would,
// and prints each result with its latency and, when it failed, why. Exit status: 0 when
// the (last) result is healthy, 1 when not, 2 for a bad file or bad arguments.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { codecs, messageSchema } from '../proto/codec.js';
import { inspectJson } from './strict-json.js';
import { SidecarError } from '../common/errors.js';
import { systemClock } from '../common/clock.js';
import { parseCheckInfo, parseHealthCheck, type GeneralCheckDefinition, type HealthCheckDefinition, type ProbeSpec } from '../checks/definitions.js';
import { CheckFileError } from '../checks/errors.js';
import { CheckScheduler, formatMs } from '../checks/scheduler.js';
import { runProbe } from '../checks/probe.js';
import { HealthInterpreter, isHealthy } from '../checks/health.js';
import { GeneralCheckReporter } from '../checks/general.js';
import { describeOutcome, type ProbeOutcome } from '../checks/outcome.js';
import { probeUrl } from '../checks/http-probe.js';

export const USAGE = `usage: mesos-sidecar check FILE.json [--watch] [--kind health|check] [--count N]

Runs a HealthCheck (TaskInfo.health_check) or CheckInfo (TaskInfo.check), given in Mesos
JSON, against local targets and prints each result with its latency and cause.

  --watch          probe repeatedly, interval_seconds apart (Ctrl-C to stop)
  --kind KIND      health or check; guessed from the fields when absent (default health)
  --count N        with --watch, stop after N probes

Exit status: 0 healthy (exit 0, HTTP 200-399 or 'statuses', TCP connected), 1 not, 2 bad file.`;

type Kind = 'health' | 'check';
type Definition = HealthCheckDefinition | GeneralCheckDefinition;

/** CheckInfo nests its command (`command.command`) and has no health-only fields. */
function guessKind(json: Record<string, unknown>): Kind {
  const command = json.command as Record<string, unknown> | undefined;
  if (command && typeof command === 'object' && 'command' in command) return 'check';
  return 'health';
}

const CHECK_TYPES: Record<Kind, string> = { health: codecs.mesos.HealthCheck.name, check: codecs.mesos.CheckInfo.name };

// Fields only a TaskInfo has: a file with one of them is a whole task, not a check.
function taskOnlyFields(): Set<string> {
  const task = new Set(messageSchema(codecs.mesos.TaskInfo.name).fields.keys());
  for (const type of Object.values(CHECK_TYPES)) for (const f of messageSchema(type).fields.keys()) task.delete(f);
  return task;
}

/** Where the checks are when the person gave `check` a whole TaskInfo or TaskGroupInfo. */
function wholeTaskHint(file: string, json: Record<string, unknown>): string | undefined {
  if (Array.isArray(json.tasks)) return `this is a TaskGroupInfo; each task's health_check is at .tasks[N].health_check and its check at .tasks[N].check: give check that part alone (jq '.tasks[0].health_check' ${file} > health_check.json)`;
  const taskOnly = taskOnlyFields();
  if (!Object.keys(json).some((k) => taskOnly.has(k))) return undefined;
  const parts = [json.health_check !== undefined ? 'its health_check is at .health_check' : '', json.check !== undefined ? 'its check is at .check (--kind check)' : ''].filter(Boolean);
  if (parts.length === 0) return 'this is a TaskInfo without health_check or check; give check a HealthCheck or a CheckInfo';
  const first = json.health_check !== undefined ? 'health_check' : 'check';
  return `this is a TaskInfo; ${parts.join(' and ')}: give check that part alone (jq .${first} ${file} > ${first}.json)`;
}

export interface LoadedDefinition {
  definition: Definition;
  /** Paths of unknown fields, which Mesos would ignore ("HealthCheck.intervall_seconds"). */
  warnings: string[];
}

export function loadDefinition(file: string, kind?: Kind): LoadedDefinition {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CheckFileError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CheckFileError(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CheckFileError(`${file}: expected a JSON object (a HealthCheck or CheckInfo)`);
  const object = json as Record<string, unknown>;
  const hint = wholeTaskHint(file, object);
  if (hint) throw new CheckFileError(hint);
  const k = kind ?? guessKind(object);
  const found = inspectJson(CHECK_TYPES[k], object);
  if (found.badEnum) throw new CheckFileError(found.badEnum.message);
  const definition = k === 'health' ? parseHealthCheck(codecs.mesos.HealthCheck.fromJsonValue(json), 'HealthCheck') : parseCheckInfo(codecs.mesos.CheckInfo.fromJsonValue(json), 'CheckInfo');
  return { definition, warnings: found.unknownFields };
}

function target(spec: ProbeSpec): string {
  switch (spec.type) {
    case 'HTTP':
      return `GET ${probeUrl(spec)}`;
    case 'TCP':
      return `connect ${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`;
    case 'COMMAND':
      return spec.shell ? `sh -c ${JSON.stringify(spec.value)}` : [spec.value, ...spec.argv.slice(1)].map((a) => JSON.stringify(a)).join(' ');
  }
}

function resultLine(def: Definition, outcome: ProbeOutcome, latencyMs: number, n: number): string {
  const ok = isHealthy(outcome, def.kind === 'health' ? def.statuses : []);
  const verdict = ok ? 'OK  ' : 'FAIL';
  const kind = outcome.kind === 'error' ? `error ${outcome.code}` : outcome.kind;
  let line = `#${n} ${verdict} ${describeOutcome(outcome)} (${kind}) in ${latencyMs.toFixed(2)} ms`;
  const tail = outcome.kind === 'result' && outcome.result.type === 'COMMAND' ? outcome.result.outputTail : outcome.kind === 'error' ? outcome.outputTail : undefined;
  if (!ok && tail) line += `\n    output: ${tail.trimEnd().split('\n').slice(-10).join('\n            ')}`;
  return line;
}

export async function main(argv: string[]): Promise<number> {
  let values: { watch?: boolean; kind?: string; count?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { watch: { type: 'boolean', short: 'w' }, kind: { type: 'string' }, count: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    process.stderr.write(`mesos-sidecar check: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`mesos-sidecar check: expected exactly one FILE.json, got ${positionals.length}\n${USAGE}\n`);
    return 2;
  }
  if (values.kind !== undefined && values.kind !== 'health' && values.kind !== 'check') {
    process.stderr.write(`mesos-sidecar check: --kind must be health or check, got ${JSON.stringify(values.kind)}\n`);
    return 2;
  }
  const count = values.count === undefined ? Infinity : Number(values.count);
  if (!(count >= 1 && Number.isInteger(count)) && count !== Infinity) {
    process.stderr.write(`mesos-sidecar check: --count must be an integer >= 1, got ${JSON.stringify(values.count)}\n`);
    return 2;
  }
  let def: Definition;
  try {
    const loaded = loadDefinition(positionals[0]!, values.kind as Kind | undefined);
    def = loaded.definition;
    for (const w of loaded.warnings) process.stderr.write(`mesos-sidecar check: ${positionals[0]}: ignoring ${w} (unknown field)\n`);
  } catch (err) {
    if (err instanceof SidecarError) {
      process.stderr.write(`mesos-sidecar check: ${positionals[0]}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const label = `${def.probe.type} ${def.kind === 'health' ? 'health check' : 'check'}`;
  process.stdout.write(`${label}: ${target(def.probe)}, timeout ${def.timeoutMs ? formatMs(def.timeoutMs) : 'none'}${values.watch ? `, every ${formatMs(def.intervalMs)}` : ''}\n`);

  const probeContext = { environment: { ...process.env } as Record<string, string>, workingDirectory: process.cwd(), clock: systemClock };
  const health = def.kind === 'health' ? new HealthInterpreter(def, systemClock.now()) : undefined;
  const general = def.kind === 'check' ? new GeneralCheckReporter(def.probe.type) : undefined;
  let last: ProbeOutcome | undefined;
  let n = 0;
  const limit = values.watch ? count : 1;
  await new Promise<void>((resolve) => {
    const scheduler = new CheckScheduler({ clock: systemClock, jitterFraction: 0 });
    const onSigint = () => {
      entry.stop();
      resolve();
    };
    // The first probe runs at once: this is a debugging aid, not a launch.
    const entry = scheduler.add(
      {
        run: (signal) => runProbe(def.probe, signal, probeContext),
        onOutcome: (outcome, run) => {
          last = outcome;
          n++;
          process.stdout.write(`${resultLine(def, outcome, run.latencyMs, n)}\n`);
          if (values.watch && health) {
            const d = health.onOutcome(outcome, run.endedAt);
            if (d.report) process.stdout.write(`    -> would report healthy=${d.healthy}${d.kill ? ' and kill the task' : ''}: ${d.message}\n`);
            else if (d.why === 'grace') process.stdout.write(`    -> ignored: inside the grace period (${formatMs(def.kind === 'health' ? def.gracePeriodMs : 0)})\n`);
          }
          if (values.watch && general) {
            const status = general.onOutcome(outcome);
            if (status) process.stdout.write(`    -> would report check_status ${JSON.stringify(status)}\n`);
          }
          if (n >= limit) {
            entry.stop();
            process.off('SIGINT', onSigint);
            resolve();
          }
        },
      },
      { delayMs: 0, intervalMs: def.intervalMs, timeoutMs: def.timeoutMs },
    );
    if (values.watch) process.once('SIGINT', onSigint);
  });
  return last && isHealthy(last, def.kind === 'health' ? def.statuses : []) ? 0 : 1;
}
