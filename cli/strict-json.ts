// The strict rules for Mesos JSON a person wrote (the files given to `run` and `check`),
// applied before the codec sees it. On the wire an unknown enum name in an optional field
// leaves the field unset, as Mesos does; in a file that only hides a typo until something
// later complains that the field is missing. So here an unknown enum name is an error that
// names the field path and the value, and an unknown field is reported back.
import { messageSchema, unknownEnumMessage, type FieldSchema } from '../proto/codec.js';

export interface StrictFinding {
  /** Keys that are no field of their message, as paths ("TaskInfo.comand"). */
  unknownFields: string[];
  /** The first enum value not in its enum, as a ready message; undefined when none. */
  badEnum?: { path: string; message: string };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as { isLosslessNumber?: boolean }).isLosslessNumber !== true;
}

function enumValueKnown(field: Extract<FieldSchema, { kind: 'enum' }>, value: unknown): boolean {
  if (typeof value === 'string') return field.values.includes(value);
  // The codec also takes enum numbers; only the wrong kind of value is left to its message.
  if (typeof value === 'number') return field.ids.includes(value);
  return true;
}

function walkValue(field: FieldSchema, value: unknown, path: string, out: StrictFinding): void {
  if (value === null || value === undefined || out.badEnum) return;
  if (field.kind === 'enum') {
    if (!enumValueKnown(field, value)) out.badEnum = { path, message: unknownEnumMessage(path, value, field.values) };
  } else if (field.kind === 'message' && isObject(value)) {
    walkMessage(field.messageType, value, path, out);
  }
}

function walkMessage(fullName: string, json: Json, path: string, out: StrictFinding): void {
  const { fields } = messageSchema(fullName);
  for (const [key, value] of Object.entries(json)) {
    const field = fields.get(key);
    const fpath = `${path}.${key}`;
    if (!field) {
      if (value !== null && value !== undefined) out.unknownFields.push(fpath);
      continue;
    }
    if (field.map && isObject(value)) for (const [k, v] of Object.entries(value)) walkValue(field, v, `${fpath}[${k}]`, out);
    else if (field.repeated && Array.isArray(value)) value.forEach((v, i) => walkValue(field, v, `${fpath}[${i}]`, out));
    else walkValue(field, value, fpath, out);
    if (out.badEnum) return;
  }
}

/**
 * Walks `json` as the message `fullName` ("mesos.v1.TaskInfo"); paths start with the short
 * name, or with `prefix` when given ("TaskGroupInfo.tasks[1]").
 */
export function inspectJson(fullName: string, json: Json, prefix = messageSchema(fullName).name): StrictFinding {
  const out: StrictFinding = { unknownFields: [] };
  walkMessage(fullName, json, prefix, out);
  return out;
}
