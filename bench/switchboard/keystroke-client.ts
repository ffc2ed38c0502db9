// The client side of a TTY session's keystroke rounds in a process of its own, set up as
// `mesos-sidecar exec -it` sets itself up (no optimizing compiler for a TTY session,
// executor/v8-tuning.ts): the CLI is a process of its own, and the benchmark's process,
// which has just moved gigabytes through its own relay code, is not what a user types
// into. Prints the round trips (ms) as JSON on stdout.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { baselineCodeOnly } from '../../executor/v8-tuning.js';
import { SwitchboardClient } from '../../switchboard/client.js';
import { agentApiSession } from './agent-session.js';
import { keystrokeLatency } from './keystrokes.js';

const SELF = fileURLToPath(import.meta.url);

/** Round trips of one TTY session opened by a CLI-like client process against the switchboard at `url`. */
export async function cliKeystrokes(url: string, token: string): Promise<number[]> {
  const child = spawn(process.execPath, [SELF, url], { env: { ...process.env, BENCH_SWITCHBOARD_TOKEN: token }, stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => chunks.push(c));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new Error(`keystroke client exited with ${signal ?? `code ${code}`}`);
  return JSON.parse(Buffer.concat(chunks).toString()) as number[];
}

if (process.argv[1] === SELF) {
  baselineCodeOnly();
  const token = process.env.BENCH_SWITCHBOARD_TOKEN!;
  const samples = await keystrokeLatency(agentApiSession(new SwitchboardClient({ url: process.argv[2]!, token })));
  process.stdout.write(JSON.stringify(samples));
}
