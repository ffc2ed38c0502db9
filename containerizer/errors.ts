// Typed failures of the containerizer. Each carries what the integration needs to map it
// onto a TaskStatus: the resource field (TASK_ERROR), or the cgroup path and errno
// (TASK_FAILED), without parsing message text.
import { SidecarError } from '../common/errors.js';

/** A `resources`/`limits` entry that makes no sense; `field` names it (`cpus`, `limits.mem`). */
export class ResourceInvalidError extends SidecarError {
  readonly code = 'E_RESOURCE_INVALID';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`Invalid resource '${field}': ${message}`);
  }
}

export type CgroupOperation = 'create' | 'write' | 'read' | 'remove' | 'join' | 'kill';

/** A cgroup operation the kernel refused; `errno` is Node's code (`EACCES`, `EBUSY`, ...). */
export class CgroupError extends SidecarError {
  readonly code = 'E_CGROUP';
  constructor(
    readonly operation: CgroupOperation,
    readonly path: string,
    readonly errno: string,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    super(`Failed to ${operation} cgroup '${path}': ${errno}${detail ? ` (${detail})` : ''}`, options);
  }
}

/** An operation on a container in the wrong state (a session of a destroyed container, ...). */
export class ContainerStateError extends SidecarError {
  readonly code = 'E_CONTAINER_STATE';
}

/** Node's errno code of a failed fs/process call, or `EUNKNOWN`. */
export function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'EUNKNOWN';
}
