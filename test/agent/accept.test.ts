import t from 'tap';
import { acceptsMediaType, negotiateMessageType } from '../../agent/accept.js';

t.test('SUBSCRIBE Accept negotiation: JSON first, then protobuf, q=0 excluded', async (t) => {
  const cases: Array<[string | undefined, string | undefined]> = [
    [undefined, 'application/json'],
    ['', 'application/json'],
    ['*/*', 'application/json'],
    ['application/*', 'application/json'],
    ['application/x-protobuf', 'application/x-protobuf'],
    ['application/json;q=0, */*', 'application/x-protobuf'],
    ['application/x-protobuf, application/json;q=0.1', 'application/json'],
    ['application/*;q=0, application/x-protobuf', 'application/x-protobuf'],
    ['text/plain', undefined],
    ['*/*;q=0', undefined],
  ];
  for (const [accept, expected] of cases) t.equal(negotiateMessageType(accept), expected, `Accept: ${accept ?? '(none)'}`);
  t.notOk(acceptsMediaType('application/json;q=0', 'application/json'));
  t.ok(acceptsMediaType('APPLICATION/JSON', 'application/json'), 'media types compare case-insensitively');
});
