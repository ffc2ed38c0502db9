// Header negotiation of the agent's `/api/v1` (`Http::api` in src/slave/http.cpp) and
// libprocess' `acceptsMediaType`, step for step, so clients get the same 4xx as from Mesos.
import type { IncomingHttpHeaders } from 'node:http';
import { JSON_TYPE, PROTOBUF_TYPE, RECORDIO_TYPE, type MessageContentType } from '../proto/codec.js';
import { acceptsMediaType } from '../common/accepts-media-type.js';
import { badRequest, notAcceptable, unsupportedMediaType } from './errors.js';

export type MediaType = MessageContentType | typeof RECORDIO_TYPE;

export interface RequestMediaTypes {
  content: MediaType;
  accept: MediaType;
  /** Record encoding of a streaming (recordio) request body. */
  messageContent?: MessageContentType;
  /** Record encoding of a streaming (recordio) response. */
  messageAccept?: MessageContentType;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Steps 3-10 of attach-exec.md §2; throws the Mesos answer for the first failing step. */
export function negotiateMediaTypes(headers: IncomingHttpHeaders): RequestMediaTypes {
  const contentType = header(headers, 'content-type');
  if (contentType === undefined) throw badRequest("Expecting 'Content-Type' to be present");
  if (contentType !== JSON_TYPE && contentType !== PROTOBUF_TYPE && contentType !== RECORDIO_TYPE) {
    throw unsupportedMediaType(`Expecting 'Content-Type' of ${JSON_TYPE} or ${PROTOBUF_TYPE} or ${RECORDIO_TYPE}`);
  }
  const result: RequestMediaTypes = { content: contentType, accept: JSON_TYPE };
  const messageContentType = header(headers, 'message-content-type');
  if (contentType === RECORDIO_TYPE) {
    if (messageContentType === undefined) throw badRequest("Expecting 'Message-Content-Type' to be set for streaming requests");
    if (messageContentType !== JSON_TYPE && messageContentType !== PROTOBUF_TYPE) {
      throw unsupportedMediaType(`Expecting 'Message-Content-Type' of ${JSON_TYPE} or ${PROTOBUF_TYPE}`);
    }
    result.messageContent = messageContentType;
  } else if (messageContentType !== undefined) {
    throw unsupportedMediaType("Expecting 'Message-Content-Type' to be not set for non-streaming requests");
  }

  const accept = header(headers, 'accept');
  if (acceptsMediaType(accept, JSON_TYPE)) result.accept = JSON_TYPE;
  else if (acceptsMediaType(accept, PROTOBUF_TYPE)) result.accept = PROTOBUF_TYPE;
  else if (acceptsMediaType(accept, RECORDIO_TYPE)) result.accept = RECORDIO_TYPE;
  else throw notAcceptable(`Expecting 'Accept' to allow ${JSON_TYPE} or ${PROTOBUF_TYPE} or ${RECORDIO_TYPE}`);

  const messageAccept = header(headers, 'message-accept');
  if (result.accept === RECORDIO_TYPE) {
    if (acceptsMediaType(messageAccept, JSON_TYPE)) result.messageAccept = JSON_TYPE;
    else if (acceptsMediaType(messageAccept, PROTOBUF_TYPE)) result.messageAccept = PROTOBUF_TYPE;
    else throw notAcceptable(`Expecting 'Message-Accept' to allow ${JSON_TYPE} or ${PROTOBUF_TYPE}`);
  } else if (messageAccept !== undefined) {
    throw notAcceptable("Expecting 'Message-Accept' to be not set for non-streaming responses");
  }
  return result;
}

/** The encoding of the records in a streaming response (§3: plain accept types still get RecordIO). */
export function recordEncoding(types: RequestMediaTypes): MessageContentType {
  return types.accept === RECORDIO_TYPE ? types.messageAccept! : types.accept;
}
