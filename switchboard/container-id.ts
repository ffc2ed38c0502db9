// ContainerID rules of the Mesos agent (src/slave/validation.cpp, src/common/validation.cpp)
// and the dotted text form Mesos prints (`<root>.<child>`).
import type { mesos } from '../proto/codec.js';

// NAME_MAX on Linux; Mesos applies it to every ID before its own, shorter container limit.
const NAME_MAX = 255;
const MAX_CONTAINER_ID_LENGTH = 242;

function validateId(id: string): string | undefined {
  if (id.length === 0) return 'ID must not be empty';
  if (Buffer.byteLength(id) > NAME_MAX) return `ID must not be greater than ${NAME_MAX} characters`;
  if (id === '.' || id === '..') return `'${id}' is disallowed`;
  // iscntrl(): 0x00-0x1f and 0x7f.
  if (/[\x00-\x1f\x7f/\\]/.test(id)) return `'${id}' contains invalid characters`;
  return undefined;
}

/** The Mesos error text for an invalid ContainerID, or undefined when it is valid. */
export function validateContainerId(id: mesos.ContainerID): string | undefined {
  const common = validateId(id.value);
  if (common) return common;
  if (Buffer.byteLength(id.value) > MAX_CONTAINER_ID_LENGTH) {
    return `'ContainerID.value' '${id.value}' exceeds the maximum length (${MAX_CONTAINER_ID_LENGTH})`;
  }
  if (/[. ]/.test(id.value)) return `'ContainerID.value' '${id.value}' contains invalid characters`;
  if (id.parent) {
    const parent = validateContainerId(id.parent);
    if (parent) return `'ContainerID.parent' is invalid: ${parent}`;
  }
  return undefined;
}

export function containerIdText(id: mesos.ContainerID): string {
  return id.parent ? `${containerIdText(id.parent)}.${id.value}` : id.value;
}

export function rootContainerId(id: mesos.ContainerID): mesos.ContainerID {
  return id.parent ? rootContainerId(id.parent) : id;
}

export function sameContainerId(a: mesos.ContainerID | undefined, b: mesos.ContainerID | undefined): boolean {
  if (!a || !b) return a === b;
  return a.value === b.value && sameContainerId(a.parent, b.parent);
}
