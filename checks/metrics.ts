// Prometheus metrics of the checks: probe counts and latency per task, check kind and
// probe type, and the scheduler's lateness, registered into the executor's registry
// (metrics/endpoint.ts serves it).
import { Counter, Registry, type Metric } from 'prom-client';

export type CheckKind = 'health' | 'check' | 'readiness';

/**
 * Bucket counts of one histogram series. Observing is a bucket search and three additions:
 * at 1,000 probes a second, prom-client's Histogram.observe (label validation and hashing
 * per call) cost more than the rest of the bookkeeping of a probe. prom-client still
 * formats and serves these, through FastHistogram below.
 */
export class HistogramSeries {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(
    readonly bounds: readonly number[],
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(value: number): void {
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

/**
 * A histogram family registered on a prom-client Registry: the same exposition as
 * prom-client's Histogram (`_bucket` with `le` first, `+Inf`, `_sum`, `_count`), values read
 * from HistogramSeries at scrape time.
 */
export class FastHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    readonly buckets: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series for these labels, created on first use; keep it and observe it directly. */
  series(labels: Readonly<Record<L, string>>): HistogramSeries {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let s = this.#series.get(key);
    if (!s) this.#series.set(key, (s = new HistogramSeries(this.buckets, labels)));
    return s;
  }

  remove(labels: Readonly<Record<L, string>>): void {
    this.#series.delete(this.labelNames.map((n) => labels[n]).join('\u0000'));
  }

  reset(): void {
    this.#series.clear();
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> } {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const s of this.#series.values()) {
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += s.counts[i]!;
        values.push({ labels: { le: this.buckets[i]!, ...s.labels }, value: acc, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

type ProbeOutcomeKind = 'result' | 'error';

/** What a check observes per probe: counts by outcome and verdict, and the latency histogram. */
export class ProbeSeries {
  readonly outcomes: Record<ProbeOutcomeKind, number> = { result: 0, error: 0 };
  /** Verdicts by name (healthy, unhealthy, ready, not_ready), made on the first. */
  verdicts: Record<string, number> | undefined;
  constructor(
    readonly labels: Readonly<{ task_id: string; check: CheckKind; type: string }>,
    readonly latency: HistogramSeries,
  ) {}

  observe(outcome: ProbeOutcomeKind, latencyMs: number): void {
    this.outcomes[outcome]++;
    this.latency.observe(latencyMs / 1000);
  }

  observeVerdict(verdict: string): void {
    const v = (this.verdicts ??= {});
    v[verdict] = (v[verdict] ?? 0) + 1;
  }
}

export class CheckMetrics {
  readonly registry: Registry;
  /** Per task: its probe series, one per check kind (an array: a Map per task is ~250 bytes). */
  readonly #probeSeries = new Map<string, ProbeSeries[]>();
  readonly probes: Counter<'task_id' | 'check' | 'type' | 'outcome'>;
  readonly verdicts: Counter<'task_id' | 'check' | 'verdict'>;
  readonly latency: FastHistogram<'task_id' | 'check' | 'type'>;
  readonly lateness: HistogramSeries;
  readonly healthKillsHeld: Counter<'why'>;
  readonly killStorms: Counter;

  /** Registers into the executor's registry (metrics/endpoint.ts), or one of its own. */
  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    this.probes = new Counter({
      name: 'mesos_sidecar_check_probes_total',
      help: 'Probes run, by task, check kind (health, check, readiness), probe type and outcome (result, error)',
      labelNames: ['task_id', 'check', 'type', 'outcome'] as const,
      registers: [registry],
      // Counted in ProbeSeries (plain additions per probe), copied here when scraped.
      collect: () => {
        this.probes.reset();
        for (const perTask of this.#probeSeries.values()) {
          for (const s of perTask) {
            for (const outcome of ['result', 'error'] as const) {
              const n = s.outcomes[outcome];
              if (n > 0) this.probes.inc({ ...s.labels, outcome }, n);
            }
          }
        }
      },
    });
    this.verdicts = new Counter({
      name: 'mesos_sidecar_check_verdicts_total',
      help: 'Interpreted results: health checks healthy/unhealthy, readiness ready/not_ready',
      labelNames: ['task_id', 'check', 'verdict'] as const,
      registers: [registry],
      // Counted in ProbeSeries as the probes are: a prom-client series per task and verdict
      // (its label hash, and a remover per series for forgetTask) was most of a steady
      // task's metrics memory.
      collect: () => {
        this.verdicts.reset();
        for (const perTask of this.#probeSeries.values()) {
          for (const s of perTask) {
            for (const verdict in s.verdicts) this.verdicts.inc({ task_id: s.labels.task_id, check: s.labels.check, verdict }, s.verdicts[verdict]!);
          }
        }
      },
    });
    this.latency = new FastHistogram(
      'mesos_sidecar_check_probe_duration_seconds',
      'Probe duration from start to outcome, by task, check kind and probe type',
      ['task_id', 'check', 'type'] as const,
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registry,
    );
    this.lateness = new FastHistogram('mesos_sidecar_check_scheduler_lateness_seconds', 'How late probes started relative to their due time', [], [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1], registry).series({});
    this.healthKillsHeld = new Counter({
      name: 'mesos_sidecar_health_kills_held_total',
      help: 'Health kills the executor held instead of killing, by why: debug (exec --hold-checks) or storm (kill-storm guard)',
      labelNames: ['why'] as const,
      registers: [registry],
    });
    this.killStorms = new Counter({
      name: 'mesos_sidecar_health_kill_storms_total',
      help: 'Times the kill-storm guard found most health-checked tasks failing together and held their kills',
      registers: [registry],
    });
  }

  /** The series a check keeps for its probes (one lookup at check start, none per probe). */
  probeSeries(taskId: string, check: CheckKind, type: string): ProbeSeries {
    let perTask = this.#probeSeries.get(taskId);
    if (!perTask) this.#probeSeries.set(taskId, (perTask = []));
    let s = perTask.find((x) => x.labels.check === check && x.labels.type === type);
    if (!s) {
      const labels = { task_id: taskId, check, type };
      perTask.push((s = new ProbeSeries(labels, this.latency.series(labels))));
    }
    return s;
  }

  /** Drops a finished task's series so that label cardinality follows the live tasks. */
  forgetTask(taskId: string): void {
    for (const s of this.#probeSeries.get(taskId) ?? []) this.latency.remove(s.labels);
    this.#probeSeries.delete(taskId);
  }
}
