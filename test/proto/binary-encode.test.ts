// Our binary encoder (proto/binary-encode.ts, walking schema.json) against protobufjs'
// own reflection encoder built from the same .proto files: the same bytes for random
// valid messages of the types we send, on a fixed seed.
import t from 'tap';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { codecs } from '../../proto/codec.js';
import { validMessage } from '../fuzz/messages.js';

const protoDir = fileURLToPath(new URL('../../../proto/', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => protoDir + target;
root.loadSync(['mesos/v1/mesos.proto', 'mesos/v1/executor/executor.proto', 'mesos/v1/agent/agent.proto'], { keepCase: true });
root.resolveAll();

// protobufjs' fromObject takes 64-bit values as decimal strings, not bigint.
const forProtobufjs = (v: unknown): unknown => {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(forProtobufjs);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, forProtobufjs(x)]));
};

const cases = [
  ['mesos.v1.executor.Call', codecs.executor.Call],
  ['mesos.v1.executor.Event', codecs.executor.Event],
  ['mesos.v1.agent.Call', codecs.agent.Call],
  ['mesos.v1.agent.Response', codecs.agent.Response],
  ['mesos.v1.TaskStatus', codecs.mesos.TaskStatus],
] as const;

for (const [fullName, codec] of cases) {
  t.test(`${fullName}: the bytes protobufjs' reflection writes`, async (t) => {
    const type = root.lookupType(fullName);
    let compared = 0;
    fc.assert(
      fc.property(validMessage(fullName), (message) => {
        const ours = codec.encodeBinary(message as never);
        const theirs = Buffer.from(type.encode(type.fromObject(forProtobufjs(message) as Record<string, unknown>)).finish());
        compared++;
        return ours.equals(theirs);
      }),
      { seed: 11, numRuns: 200 },
    );
    t.equal(compared, 200);
  });
}
