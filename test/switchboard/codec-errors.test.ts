// Bodies the codec refuses are a 400 naming the field, through the real request handler
// (in-process switchboard on 127.0.0.1): never the TypeError/RangeError 500 of issue 8.7.
import t from 'tap';
import { codecs } from '../../proto/codec.js';
import { MAX_NESTING_DEPTH } from '../../proto/nesting.js';
import { encodeRecord } from '../../proto/recordio.js';
import { startFixture } from './harness.js';

const JSON_T = 'application/json';
const PB = 'application/x-protobuf';
const RIO = 'application/recordio';
const cid = { value: 'c', parent: { value: 'executor-cid' } };

t.test('codec failures answer 400 with the CodecError message', async (t) => {
  const fx = await startFixture(t);
  const post = (headers: Record<string, string>, body: Buffer | string) => fx.client.raw('POST', '/api/v1', headers, body);
  const deep = `{"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"c"}},"x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
  const launch = codecs.agent.Call.encodeBinary({ type: 'LAUNCH_CONTAINER', launch_container: { container_id: cid } });
  // LaunchContainer.limits (5) entry with neither key nor value, appended inside launch_container (13).
  const inner = Buffer.concat([launch.subarray(4), Buffer.from('2a00', 'hex')]);
  const emptyLimit = Buffer.concat([launch.subarray(0, 2), Buffer.from([0x6a, inner.length]), inner]);
  // LaunchNestedContainerSession.container (3) = ContainerInfo{type (1): 99}; type is required.
  const session = codecs.agent.Call.encodeBinary({ type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: cid } });
  const sessionInner = Buffer.concat([session.subarray(4), Buffer.from('1a020863', 'hex')]);
  const badContainerType = Buffer.concat([session.subarray(0, 2), Buffer.from([0x4a, sessionInner.length]), sessionInner]);
  const cases: [string, Promise<{ status: number; body: Buffer }>, string][] = [
    ['JSON nested 5000 deep', post({ 'Content-Type': JSON_T }, deep), `Call: JSON nested deeper than ${MAX_NESTING_DEPTH} levels`],
    ['JSON nested 5000 deep as the first RecordIO record', post({ 'Content-Type': RIO, 'Message-Content-Type': JSON_T }, encodeRecord(Buffer.from(deep))), `Call: JSON nested deeper than ${MAX_NESTING_DEPTH} levels`],
    ['protobuf map entry without key and value', post({ 'Content-Type': PB }, emptyLimit), 'Call.launch_container.limits[].value: required field is missing'],
    ['protobuf required enum with an unknown number', post({ 'Content-Type': PB, Accept: RIO }, badContainerType), 'Call.launch_nested_container_session.container.type: unknown ContainerInfo.Type value 99 in a required field'],
    ['protobuf truncated inside a field', post({ 'Content-Type': PB }, launch.subarray(0, launch.length - 1)), 'Call.launch_container: truncated'],
  ];
  for (const [what, answer, body] of cases) {
    const res = await answer;
    t.equal(res.status, 400, `${what} -> 400`);
    t.match(res.body.toString(), body, `${what}: body names the field`);
  }
  t.notOk(fx.logs.some((l) => l.msg === 'switchboard request failed'), 'no request ended in an unexpected error');
});
