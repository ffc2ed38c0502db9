#!/usr/bin/env node
// Reads tap's output on stdin, passes it through, and ends with the plain
// "N passed, N failed" line that CI looks for. Exit status is left to the caller.
import { createInterface } from 'node:readline';

let summary;
for await (const line of createInterface({ input: process.stdin })) {
  process.stdout.write(`${line}\n`);
  const m = /^# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?(?:, skip: (\d+))?/.exec(line);
  if (m) summary = { pass: Number(m[2]), fail: Number(m[3] ?? 0), skip: Number(m[4] ?? 0) };
}
if (summary) console.log(`tests: ${summary.pass} passed, ${summary.fail} failed${summary.skip ? `, ${summary.skip} skipped` : ''}`);
else console.log('tests: 0 passed, 1 failed');
