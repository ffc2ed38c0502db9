// libprocess' Request::_acceptsMediaType (3rdparty/libprocess/src/http.cpp), row by row:
// the Accept (or Message-Accept) value, the media type asked about, and the answer.
import t from 'tap';
import { acceptsMediaType } from '../../common/accepts-media-type.js';

// Accept value (JSON; null: absent) | media type asked about | accepted | why
const TABLE = String.raw`
null                                       | application/json         | yes | no header accepts everything
""                                         | application/json         | no  | an empty header has no range, so accepts nothing
",;, ;"                                    | application/json         | no  | only separators: no range
"*/*"                                      | application/x-protobuf   | yes | */* matches any type
"application/*"                            | application/recordio     | yes | type/* matches the subtype
"text/*"                                   | application/json         | no  | type/* of another type
"text/html"                                | application/json         | no  | an unrelated type
"APPLICATION/JSON"                         | application/json         | yes | types compare case-insensitively
"application/json"                         | APPLICATION/JSON         | yes | the asked type is lowered too
"application/json;q=0"                     | application/json         | no  | q=0 refuses
"application/json;q=0.0"                   | application/json         | no  | q=0.0 refuses
"application/json;q=-1"                    | application/json         | no  | a negative q refuses
"application/json;q=0.001"                 | application/json         | yes | any q above 0 accepts
"application/json;q=1e-3"                  | application/json         | yes | exponents are numbers
"application/json;q=.5"                    | application/json         | yes | a leading dot is a number
"application/json;q=abc"                   | application/json         | no  | a q that is not a number refuses
"application/json;q=0x1"                   | application/json         | no  | hexadecimal is not a double
"application/json;q=nan"                   | application/json         | no  | NaN is not above 0
"application/json;q=inf"                   | application/json         | yes | infinity is above 0
"application/json;q="                      | application/json         | yes | q without a value is malformed: ignored, accepts
"application/json;q=0=1"                   | application/json         | yes | q with three pieces is malformed: ignored, accepts
"application/json;q==0"                    | application/json         | no  | empty pieces are dropped: q==0 is q=0
"application/json;q=0;q=0"                 | application/json         | yes | two q values are malformed: accepts
"application/json;Q=0"                     | application/json         | yes | the q key is case-sensitive
"application/json;level=1;q=0"             | application/json         | no  | other parameters do not matter
"application/json ; q = 0"                 | application/json         | no  | spaces are removed before parsing
"application/json;\tq=0"                   | application/json         | no  | tabs are removed too
"application/json;q=0, */*"                | application/json         | no  | the exact type decides before */*
"application/json;q=0, application/*"      | application/json         | no  | the exact type decides before type/*
"*/*, application/json;q=0"                | application/json         | no  | the exact type decides wherever it is listed
"application/*;q=0, */*"                   | application/json         | no  | type/* decides before */*
"application/json;q=0, application/json"   | application/json         | no  | the first of two equal ranges decides
"application/json, application/json;q=0"   | application/json         | yes | the first of two equal ranges decides
"text/html, application/recordio;q=0.5"    | application/recordio     | yes | a later range of the list
"*/*;q=0"                                  | application/x-protobuf   | no  | */* with q=0 refuses
"application/json"                         | application              | no  | an asked type without a subtype is never accepted
"*/*"                                      | a/b/c                    | no  | an asked type with three parts is never accepted
"*/*"                                      | application//json        | yes | empty parts of the asked type are dropped
`;

const rows = TABLE.trim()
  .split('\n')
  .map((line) => line.split(' | ').map((cell) => cell.trim()))
  .map(([field, mediaType, accepted, why]) => ({ field: JSON.parse(field!) as string | null, mediaType: mediaType!, accepted: accepted === 'yes', why: why! }));

t.test('acceptsMediaType: every row of libprocess', async (t) => {
  t.equal(rows.length, 38, 'every row parsed');
  for (const { field, mediaType, accepted, why } of rows) {
    t.equal(acceptsMediaType(field ?? undefined, mediaType), accepted, `Accept: ${field === null ? '(absent)' : JSON.stringify(field)} for ${mediaType}: ${why}`);
  }
});
