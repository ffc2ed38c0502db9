// `Accept` negotiation for SUBSCRIBE as the agent does it (executor-api.md §2.1): JSON if
// acceptable, then protobuf, else nothing (406), with libprocess' matching rules.
import { acceptsMediaType } from '../common/accepts-media-type.js';
import { JSON_TYPE, PROTOBUF_TYPE, type MessageContentType } from '../proto/codec.js';

export function negotiateMessageType(header: string | undefined): MessageContentType | undefined {
  if (acceptsMediaType(header, JSON_TYPE)) return JSON_TYPE;
  if (acceptsMediaType(header, PROTOBUF_TYPE)) return PROTOBUF_TYPE;
  return undefined;
}
