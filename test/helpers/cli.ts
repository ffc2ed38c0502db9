// The real CLI (dist/cli/main.js) as a user runs it: under a node-pty terminal (raw mode,
// window size, keystrokes) or as a plain child with pipes, each with a deadline that fails
// loudly instead of hanging the suite.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as pty from 'node-pty';

export const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

/** A terminal running `sh -c script`; resolves `expect(text)` as soon as the screen shows it. */
export class Terminal {
  readonly term: pty.IPty;
  text = '';
  #waiters: { match: string | RegExp; resolve: (m: string) => void }[] = [];
  readonly exited: Promise<number>;

  constructor(script: string, env: Record<string, string>) {
    this.term = pty.spawn('/bin/sh', ['-c', script], { cols: 100, rows: 30, env: { ...process.env, ...env } as Record<string, string> });
    this.term.onData((d) => {
      this.text += d;
      this.#check();
    });
    this.exited = new Promise((resolve) => this.term.onExit(({ exitCode }) => resolve(exitCode)));
  }

  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      const m = typeof w.match === 'string' ? (this.text.includes(w.match) ? w.match : undefined) : this.text.match(w.match)?.[0];
      if (m === undefined) return true;
      w.resolve(m);
      return false;
    });
  }

  /** Waits for the screen to show `match`; fails (with the screen) after a deadline, never hangs. */
  expect(match: string | RegExp, deadlineMs = 60_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`terminal never showed ${String(match)}; screen:\n${this.text}`)), deadlineMs);
      this.#waiters.push({ match, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      this.#check();
    });
  }

  /** Types `input` (Enter is \r) and waits for the screen to show `shows`. */
  type(input: string, shows: string | RegExp): Promise<string> {
    this.term.write(input);
    return this.expect(shows);
  }

  /** Waits for the CLI to return (under `wrap`): its exit code and the modes it left the terminal in. */
  async cliExit(): Promise<{ code: number; modes: string }> {
    await this.expect('END');
    const ends = [...this.text.matchAll(/rc=(\d+)([^]*?)END/g)];
    const last = ends[ends.length - 1];
    if (!last) throw new Error(`no exit status before END; screen:\n${this.text}`);
    return { code: Number(last[1]), modes: last[2]!.trim() };
  }

  /** The CLI: the wrapper shell's child process. */
  cliPid(): number {
    return Number(readFileSync(`/proc/${this.term.pid}/task/${this.term.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
  }
}

// After the CLI returns, the wrapper prints its exit code and the terminal's mode flags,
// then waits (teardown kills it): a process that exits right after printing can lose its
// last bytes on node-pty's side under load (docs/switchboard.md), the END with them.
export const wrap = (cli: string) => `node ${CLI} ${cli}; echo "rc=$?"; stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo|isig)$' | tr '\\n' ' '; echo END; read -r _`;

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The CLI with pipes. `stdin`: a string written and then closed, `'open'` (a pipe never
 * written nor closed) or `'null'` (</dev/null). Killed by its pid at the deadline, which
 * then fails the run with what it printed so far.
 */
export function runCli(args: string[], env: Record<string, string>, stdin: string | 'open' | 'null' = '', deadlineMs = 20_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: [stdin === 'null' ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d) => (stderr += d));
    if (child.stdin && stdin !== 'open') child.stdin.end(stdin);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mesos-sidecar ${args.join(' ')} did not finish within ${deadlineMs} ms; stdout: ${Buffer.concat(out).toString()}; stderr: ${stderr}`));
    }, deadlineMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin?.destroy();
      resolve({ code, signal, stdout: Buffer.concat(out).toString('latin1'), stderr });
    });
  });
}
