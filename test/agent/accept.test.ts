import t from 'tap';
import { negotiateMessageType } from '../../agent/accept.js';

t.test('SUBSCRIBE Accept negotiation: JSON first, then protobuf, q=0 excluded, an empty Accept accepts nothing (libprocess)', async (t) => {
  const cases: Array<[string | undefined, string | undefined]> = [
    [undefined, 'application/json'],
    ['', undefined],
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
});
