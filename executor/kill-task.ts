// Killing one task (executor-api.md §9.2): what a kill does in each phase. A kill before
// the process exists waits for it; a repeated kill may only bring SIGKILL forward; a kill
// of a running task pauses its checks, says TASK_KILLING when the framework wants it, sends
// SIGTERM to the task's command and arms the escalation, which destroys its container (every
// process in it, as Mesos' SIGKILL to the container does). The signals go through the
// launched handle and the update is injected, so step tests run it on a ManualClock without
// processes.
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { KillRequest } from './kill-cause.js';
import { KillEscalation } from './kill-policy.js';
import type { Task } from './task.js';

export interface KillEffects {
  clock: Clock;
  log: Logger;
  /** Right before SIGTERM: send TASK_KILLING if the framework has the capability and the cause wants it. */
  onKilling(task: Task, request: KillRequest): void;
}

export function killTask(task: Task, request: KillRequest, effects: KillEffects): void {
  const phase = task.phase;
  // Any kill ends the max_completion_time wait: that timer may only start a kill.
  effects.clock.clearTimeout(task.completionTimer);
  task.completionTimer = undefined;
  switch (phase.kind) {
    case 'terminated':
      return;
    case 'starting':
      return task.deferKill(request);
    case 'killing':
      if (task.shortenKill(request.graceMs)) effects.log.info({ task_id: task.taskId, graceMs: request.graceMs }, 'repeated kill moved SIGKILL earlier');
      return;
    case 'running': {
      task.checks?.pause();
      effects.onKilling(task, request);
      const { process } = phase;
      effects.log.info({ task_id: task.taskId, pid: process.pid, graceMs: request.graceMs, cause: request.cause.kind }, 'killing task: SIGTERM to its command');
      process.kill('SIGTERM');
      const escalation = new KillEscalation(effects.clock, request.graceMs, () => {
        effects.log.warn({ task_id: task.taskId, pid: process.pid }, 'grace period over: destroying the container (SIGKILL to all of it)');
        process.destroy();
      });
      task.kill(escalation, request);
    }
  }
}
