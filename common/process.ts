// Small process facts shared by tasks, command checks and exec sessions: signals and wait
// statuses. Starting processes is process/'s job.
import { constants } from 'node:os';

/** Sends `signal` to every process in the group led by `pid`; false if the group is gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    // ESRCH: the group has no member left, which is what the caller wanted anyway.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** True while any process of the group led by `pid` exists. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function signalNumber(signal: NodeJS.Signals | number | null | undefined): number | undefined {
  if (signal === null || signal === undefined) return undefined;
  if (typeof signal === 'number') return signal;
  return constants.signals[signal];
}

export function signalName(signal: number): string {
  for (const [name, n] of Object.entries(constants.signals)) if (n === signal) return name;
  return `signal ${signal}`;
}

/** The raw wait(2) status Mesos reports in `exit_status`: code << 8, or the signal number. */
export function rawWaitStatus(exitCode: number | null | undefined, signal: NodeJS.Signals | number | null | undefined): number | undefined {
  const sig = signalNumber(signal);
  if (sig !== undefined && sig !== 0) return sig;
  if (exitCode === null || exitCode === undefined) return undefined;
  return (exitCode & 0xff) << 8;
}

// strsignal(3) wording, which Mesos puts into "Command terminated with signal <...>".
const STRSIGNAL: Record<string, string> = {
  SIGHUP: 'Hangup', SIGINT: 'Interrupt', SIGQUIT: 'Quit', SIGILL: 'Illegal instruction',
  SIGTRAP: 'Trace/breakpoint trap', SIGABRT: 'Aborted', SIGBUS: 'Bus error',
  SIGFPE: 'Floating point exception', SIGKILL: 'Killed', SIGUSR1: 'User defined signal 1',
  SIGSEGV: 'Segmentation fault', SIGUSR2: 'User defined signal 2', SIGPIPE: 'Broken pipe',
  SIGALRM: 'Alarm clock', SIGTERM: 'Terminated', SIGCHLD: 'Child exited', SIGCONT: 'Continued',
  SIGSTOP: 'Stopped (signal)', SIGTSTP: 'Stopped', SIGXCPU: 'CPU time limit exceeded',
  SIGXFSZ: 'File size limit exceeded', SIGSYS: 'Bad system call',
};

/** "exited with status 1" / "terminated with signal Killed", the wording of Mesos' executors. */
export function describeTermination(exitCode: number | null | undefined, signal: NodeJS.Signals | number | null | undefined): string {
  const sig = signalNumber(signal);
  if (sig !== undefined && sig !== 0) {
    const name = signalName(sig);
    return `terminated with signal ${STRSIGNAL[name] ?? name}`;
  }
  return `exited with status ${exitCode ?? 'unknown'}`;
}

/** A raw wait(2) status split into its exit code (WIFEXITED) or its signal (WIFSIGNALED); null where it does not apply. */
export function waitStatusParts(waitStatus: number | undefined): { exitCode: number | null; signal: number | null } {
  if (waitStatus === undefined) return { exitCode: null, signal: null };
  const signal = waitStatus & 0x7f;
  return signal !== 0 ? { exitCode: null, signal } : { exitCode: (waitStatus >> 8) & 0xff, signal: null };
}
