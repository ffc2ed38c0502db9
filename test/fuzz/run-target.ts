// Runs one fuzz target under fast-check and keeps its figures: inputs, outcomes by error
// code, the slowest input, and the heap. Every input must finish within INPUT_BOUND_MS
// and must either decode or throw one of the target's typed errors; the heap, sampled as
// the run goes, must stay within HEAP_BOUND_BYTES of where it started.
import { HttpResponseError } from '../../common/http1-response.js';
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { CodecError, RecordIOError } from '../../common/errors.js';

// Loose enough for a loaded CI machine; a hang or a quadratic blow-up is far beyond it.
export const INPUT_BOUND_MS = 1000;
export const HEAP_BOUND_BYTES = 256 * 1024 * 1024;
const HEAP_SAMPLE_EVERY = 512;

export interface TargetFigures {
  inputs: number;
  /** Inputs by outcome: `accepted`, a typed error's code (E_CODEC, ...), or the label the check returned. */
  outcomes: Record<string, number>;
  max_input_ms: number;
  seconds: number;
  peak_heap_mb: number;
}

/**
 * The typed errors a decode may end in: CodecError with a message that starts with the
 * message type or field path, RecordIOError, or HttpResponseError. Anything else is
 * rethrown as a failure.
 */
export function typedError(err: unknown): CodecError | RecordIOError | HttpResponseError {
  if (err instanceof RecordIOError || err instanceof HttpResponseError) return err;
  if (err instanceof CodecError && /^[A-Z]\w*[.:[ ]/.test(err.message)) return err;
  throw new Error(`untyped failure: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
}

export interface RunOptions {
  seed: number;
  numRuns: number;
  /** Per-input time bound (default INPUT_BOUND_MS). */
  boundMs?: number;
}

/** Heap figures across every target of a run, for the suite's result file. */
export const heap = { baseline: 0, peak: 0 };

function sampleHeap(): void {
  const used = process.memoryUsage().heapUsed;
  if (used > heap.peak) heap.peak = used;
  if (used - heap.baseline > HEAP_BOUND_BYTES) throw new Error(`heap grew by ${Math.round((used - heap.baseline) / 2 ** 20)} MiB, over the bound of ${HEAP_BOUND_BYTES / 2 ** 20} MiB`);
}

/**
 * Runs `check` on `numRuns` generated inputs. `check` returns (optionally a label to count
 * the input under) when the input was accepted, after asserting what acceptance means for
 * the target, or throws; a typed error counts as a refusal under its code, anything else
 * fails the property (and fast-check shrinks it to a smallest failing input).
 */
export async function runTarget<T>(arb: fc.Arbitrary<T>, check: (input: T) => string | void | Promise<string | void>, options: RunOptions): Promise<TargetFigures> {
  if (heap.baseline === 0) heap.baseline = heap.peak = process.memoryUsage().heapUsed;
  const figures: TargetFigures = { inputs: 0, outcomes: {}, max_input_ms: 0, seconds: 0, peak_heap_mb: 0 };
  const started = performance.now();
  const property = fc.asyncProperty(arb, async (input) => {
    const t0 = performance.now();
    let outcome: string;
    try {
      outcome = (await check(input)) ?? 'accepted';
    } catch (err) {
      outcome = typedError(err).code;
    }
    const ms = performance.now() - t0;
    figures.inputs++;
    figures.outcomes[outcome] = (figures.outcomes[outcome] ?? 0) + 1;
    if (ms > figures.max_input_ms) figures.max_input_ms = ms;
    if (ms > (options.boundMs ?? INPUT_BOUND_MS)) throw new Error(`input took ${ms.toFixed(1)} ms, over the bound of ${options.boundMs ?? INPUT_BOUND_MS} ms`);
    if (figures.inputs % HEAP_SAMPLE_EVERY === 0) sampleHeap();
  });
  await fc.assert(property, { seed: options.seed, numRuns: options.numRuns });
  sampleHeap();
  figures.seconds = Number(((performance.now() - started) / 1000).toFixed(2));
  figures.max_input_ms = Number(figures.max_input_ms.toFixed(2));
  figures.peak_heap_mb = Number((heap.peak / 2 ** 20).toFixed(1));
  return figures;
}
