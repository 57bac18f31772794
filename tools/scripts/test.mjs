#!/usr/bin/env node
// `npm test`: bring the stack up if needed, then every project's lint, type check and tests
// (unit, integration and e2e against the real PostgreSQL, Redis and Kafka). Non-zero on any failure.
// Extra arguments go to nx, e.g. `npm test -- --projects=gateway`. The portal's browser tests need
// Chromium: ensure-chromium.mjs finds it or installs Debian's package first (when the run includes them).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, stackUp } from '../stack/stack-lib.mjs';
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
  ...process.env,
  ...stackEnv,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
  TEST_POSTGRES_URL: process.env.TEST_POSTGRES_URL ?? `postgres://${stackEnv.PGUSER}@${stackEnv.PGHOST}:${stackEnv.PGPORT}`,
  TEST_REDIS_URL: process.env.TEST_REDIS_URL ?? stackEnv.REDIS_URL,
  TEST_KAFKA_BROKERS: process.env.TEST_KAFKA_BROKERS ?? stackEnv.KAFKA_BROKERS,
};
const nx = path.join(ROOT, 'node_modules/.bin/nx');
const result = spawnSync(nx, ['run-many', '-t', 'lint', 'typecheck', 'test', '--outputStyle=static', ...process.argv.slice(2)], {
  cwd: ROOT,
  env,
  stdio: 'inherit',
});
console.log(`npm test finished in ${((performance.now() - started) / 1000).toFixed(0)} s with exit code ${result.status}`);
process.exit(result.status ?? 1);
