// `Accept` negotiation for SUBSCRIBE as the agent does it (executor-api.md §2.1): JSON if
// acceptable, then protobuf, else nothing (406). A missing header accepts everything.
import { JSON_TYPE, PROTOBUF_TYPE, type MessageContentType } from '../proto/codec.js';

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [media, ...params] = part.trim().split(';');
    const [type, subtype] = (media ?? '').trim().toLowerCase().split('/');
    if (!type || !subtype) continue;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k?.trim() === 'q' && v !== undefined) q = Number(v.trim());
    }
    ranges.push({ type, subtype, q: Number.isFinite(q) ? q : 0 });
  }
  return ranges;
}

/** Whether `mediaType` is acceptable: its most specific matching range must have q > 0. */
export function acceptsMediaType(header: string | undefined, mediaType: string): boolean {
  if (header === undefined || header.trim() === '') return true;
  const [type, subtype] = mediaType.split('/');
  let best: { specificity: number; q: number } | undefined;
  for (const r of parseAccept(header)) {
    let specificity = -1;
    if (r.type === type && r.subtype === subtype) specificity = 2;
    else if (r.type === type && r.subtype === '*') specificity = 1;
    else if (r.type === '*' && r.subtype === '*') specificity = 0;
    if (specificity >= 0 && (!best || specificity > best.specificity)) best = { specificity, q: r.q };
  }
  return best !== undefined && best.q > 0;
}

export function negotiateMessageType(header: string | undefined): MessageContentType | undefined {
  if (acceptsMediaType(header, JSON_TYPE)) return JSON_TYPE;
  if (acceptsMediaType(header, PROTOBUF_TYPE)) return PROTOBUF_TYPE;
  return undefined;
}
