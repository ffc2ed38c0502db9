// libprocess' Request::_acceptsMediaType (3rdparty/libprocess/src/http.cpp), row by row:
// the Accept (or Message-Accept) value, the media type asked about, and the answer.
import t from 'tap';
import { acceptsMediaType } from '../../common/accepts-media-type.js';

const JSON_T = 'application/json';
const PB = 'application/x-protobuf';
const RIO = 'application/recordio';

const rows: Array<[string | undefined, string, boolean, string]> = [
  [undefined, JSON_T, true, 'no header accepts everything'],
  ['', JSON_T, false, 'an empty header has no range, so accepts nothing'],
  [',;, ;', JSON_T, false, 'only separators: no range'],
  ['*/*', PB, true, '*/* matches any type'],
  ['application/*', RIO, true, 'type/* matches the subtype'],
  ['text/*', JSON_T, false, 'type/* of another type'],
  ['text/html', JSON_T, false, 'an unrelated type'],
  ['APPLICATION/JSON', JSON_T, true, 'types compare case-insensitively'],
  ['application/json', 'APPLICATION/JSON', true, 'the asked type is lowered too'],
  ['application/json;q=0', JSON_T, false, 'q=0 refuses'],
  ['application/json;q=0.0', JSON_T, false, 'q=0.0 refuses'],
  ['application/json;q=-1', JSON_T, false, 'a negative q refuses'],
  ['application/json;q=0.001', JSON_T, true, 'any q above 0 accepts'],
  ['application/json;q=1e-3', JSON_T, true, 'exponents are numbers'],
  ['application/json;q=.5', JSON_T, true, 'a leading dot is a number'],
  ['application/json;q=abc', JSON_T, false, 'a q that is not a number refuses'],
  ['application/json;q=0x1', JSON_T, false, 'hexadecimal is not a double'],
  ['application/json;q=nan', JSON_T, false, 'NaN is not above 0'],
  ['application/json;q=inf', JSON_T, true, 'infinity is above 0'],
  ['application/json;q=', JSON_T, true, 'q without a value is malformed: ignored, accepts'],
  ['application/json;q=0=1', JSON_T, true, 'q with three pieces is malformed: ignored, accepts'],
  ['application/json;q==0', JSON_T, false, 'empty pieces are dropped: q==0 is q=0'],
  ['application/json;q=0;q=0', JSON_T, true, 'two q values are malformed: accepts'],
  ['application/json;Q=0', JSON_T, true, 'the q key is case-sensitive'],
  ['application/json;level=1;q=0', JSON_T, false, 'other parameters do not matter'],
  ['application/json ; q = 0', JSON_T, false, 'spaces are removed before parsing'],
  ['application/json;\tq=0', JSON_T, false, 'tabs are removed too'],
  ['application/json;q=0, */*', JSON_T, false, 'the exact type decides before */*'],
  ['application/json;q=0, application/*', JSON_T, false, 'the exact type decides before type/*'],
  ['*/*, application/json;q=0', JSON_T, false, 'the exact type decides wherever it is listed'],
  ['application/*;q=0, */*', JSON_T, false, 'type/* decides before */*'],
  ['application/json;q=0, application/json', JSON_T, false, 'the first of two equal ranges decides'],
  ['application/json, application/json;q=0', JSON_T, true, 'the first of two equal ranges decides'],
  ['text/html, application/recordio;q=0.5', RIO, true, 'a later range of the list'],
  ['*/*;q=0', PB, false, '*/* with q=0 refuses'],
  ['application/json', 'application', false, 'an asked type without a subtype is never accepted'],
  ['*/*', 'a/b/c', false, 'an asked type with three parts is never accepted'],
  ['*/*', 'application//json', true, 'empty parts of the asked type are dropped'],
];

t.test('acceptsMediaType: every row of libprocess', async (t) => {
  for (const [field, mediaType, expected, why] of rows) {
    t.equal(acceptsMediaType(field, mediaType), expected, `Accept: ${JSON.stringify(field)} for ${mediaType}: ${why}`);
  }
});
