// Fuzz suite: RecordIO, the ProcessIO reader, the codec for every decoded message type in
// both encodings, and the switchboard's request path, on mutated valid inputs. A short
// fixed-seed slice runs in `make test`; `make fuzz` runs > 1M inputs and writes
// bench/results/fuzz.json (counts per target, seed, time, peak heap).
import t, { type Test } from 'tap';
import { JSON_TYPE, PROTOBUF_TYPE } from '../../proto/codec.js';
import { bySuiteScale, fuzzSeed, writeSuiteResult } from '../helpers/suite.js';
import { heap, HEAP_BOUND_BYTES, INPUT_BOUND_MS, runTarget, type TargetFigures } from './run-target.js';
import { REQUEST_BOUND_MS, switchboardRequestTarget } from './switchboard-request.js';
import { codecTarget, DECODED_TYPES, httpResponseTarget, processIOTarget, recordIOTarget, type Target } from './targets.js';

const seed = fuzzSeed();
const started = new Date();
const results: Record<string, TargetFigures> = {};
t.comment(`fuzz seed ${seed} (replay with SIDECAR_FUZZ_SEED=${seed})`);

async function run<T>(t: Test, target: Target<T>, numRuns: number, boundMs = INPUT_BOUND_MS): Promise<void> {
  const figures = await runTarget(target.arb, target.check, { seed, numRuns, boundMs });
  results[target.name] = figures;
  t.comment(`${target.name}: ${figures.seconds} s`);
  t.equal(figures.inputs, numRuns, `${target.name}: ${numRuns} inputs, ${JSON.stringify(figures.outcomes)}, slowest ${figures.max_input_ms} ms`);
}

t.test('codec: decode returns a value that re-encodes, or a CodecError naming the field', async (t) => {
  for (const [name, codec] of DECODED_TYPES) {
    for (const encoding of [PROTOBUF_TYPE, JSON_TYPE] as const) await run(t, codecTarget(name, codec, encoding, seed, bySuiteScale(100, 2000)), bySuiteScale(300, 70_000));
  }
});

t.test('recordio: records or a RecordIOError, the same from the decoder and readRecords', async (t) => {
  await run(t, recordIOTarget, bySuiteScale(1000, 150_000));
});

t.test('process-io reader: agrees with RecordIO + codec, or refuses with a typed error', async (t) => {
  for (const encoding of [PROTOBUF_TYPE, JSON_TYPE] as const) await run(t, processIOTarget(encoding), bySuiteScale(500, 75_000));
});

t.test('http/1.1 response reader: a head and body, or an HttpResponseError', async (t) => {
  await run(t, httpResponseTarget, bySuiteScale(1000, 150_000));
});

t.test('switchboard request path: documented statuses with bodies, and still responsive', async (t) => {
  const { target, unexpected, fixture } = await switchboardRequestTarget(t);
  await run(t, target, bySuiteScale(150, 10_000), REQUEST_BOUND_MS);
  t.same(unexpected, [], 'no request ended in an unexpected error');
  const probe = await fixture.client.raw('POST', '/api/v1', { 'Content-Type': JSON_TYPE }, '{"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"x","parent":{"value":"executor-cid"}}}}');
  t.equal(probe.status, 404, 'the server still answers a well-formed call');
});

t.test('figures', async (t) => {
  const inputs = Object.values(results).reduce((n, f) => n + f.inputs, 0);
  t.ok(heap.peak - heap.baseline < HEAP_BOUND_BYTES, `peak heap ${(heap.peak / 2 ** 20).toFixed(1)} MiB (baseline ${(heap.baseline / 2 ** 20).toFixed(1)} MiB)`);
  writeSuiteResult('fuzz', started, {
    seed,
    inputs,
    seconds: Number(((Date.now() - started.getTime()) / 1000).toFixed(1)),
    peak_heap_mb: Number((heap.peak / 2 ** 20).toFixed(1)),
    baseline_heap_mb: Number((heap.baseline / 2 ** 20).toFixed(1)),
    bounds: { input_ms: INPUT_BOUND_MS, request_ms: REQUEST_BOUND_MS, heap_growth_mb: HEAP_BOUND_BYTES / 2 ** 20 },
    targets: results,
  });
});
