#!/usr/bin/env node
// `npm test`: bring the stack up if needed, then every project's lint, type check and tests
// (unit, integration and e2e against the real PostgreSQL, Redis and Kafka). Non-zero on any failure.
// Extra arguments go to nx, e.g. `npm test -- --projects=gateway`. The portal's browser tests need
// Chromium: ensure-chromium.mjs finds it or installs Debian's package first (when the run includes them).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, stackUp, testEnvironment } from '../stack/stack-lib.mjs';
import { ensureChromium } from './ensure-chromium.mjs';

/** The projects named with --projects (nx's own syntax), or undefined when the run is every project. */
function projectsArgument(args) {
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--projects=')) return args[i].slice('--projects='.length);
    if (args[i] === '--projects' || args[i] === '-p') return args[i + 1] ?? '';
  }
  return undefined;
}

const started = performance.now();
const projects = projectsArgument(process.argv.slice(2));
if (projects === undefined || /portal|[*]/.test(projects)) {
  try {
    process.env.CHROMIUM_PATH ||= ensureChromium();
  } catch (error) {
    console.error(`chromium  ${error.message}`);
    process.exit(1);
  }
}
const { env: stackEnv } = await stackUp({ log: (line) => console.log(`stack  ${line}`) });

const env = {
  ...testEnvironment(stackEnv),
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
};
/**
 * Jest's failure blocks (`● suite › test` and what follows) and FAIL lines, repeated at the end of a
 * failed run: nx prints each task's output in turn, so a failure is otherwise buried mid-log, and a
 * CI page often keeps only the tail.
 */
function failureDigest(output, maxChars = 12_000) {
  const lines = output.split('\n');
  const picked = [];
  for (let i = 0; i < lines.length; i++) {
    const plain = lines[i].replace(/\u001b\[[0-9;]*m/g, '');
    if (/^\s*FAIL\s/.test(plain) || /^\s*(✖|×|error)\s/.test(plain)) picked.push(lines[i]);
    else if (/^\s*● (?!Console)/.test(plain)) picked.push(...lines.slice(i, i + 30), '');
  }
  const digest = picked.join('\n');
  return digest.length > maxChars ? `${digest.slice(0, maxChars)}\n…` : digest;
}

const nx = path.join(ROOT, 'node_modules/.bin/nx');
const child = spawn(nx, ['run-many', '-t', 'lint', 'typecheck', 'test', '--outputStyle=static', ...process.argv.slice(2)], {
  cwd: ROOT,
  env,
  stdio: ['inherit', 'pipe', 'pipe'],
});
let output = '';
for (const [stream, sink] of [
  [child.stdout, process.stdout],
  [child.stderr, process.stderr],
]) {
  stream.on('data', (chunk) => {
    sink.write(chunk);
    output += chunk.toString('utf8');
  });
}
const status = await new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
if (status !== 0) {
  const digest = failureDigest(output);
  if (digest) console.log(`\n==== what failed (repeated from above) ====\n${digest}\n==== end of what failed ====`);
}
console.log(`npm test finished in ${((performance.now() - started) / 1000).toFixed(0)} s with exit code ${status}`);
process.exit(status);
