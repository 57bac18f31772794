#!/usr/bin/env node
// `npm run bench:<service>`: `node tools/scripts/bench.mjs <service> <name>` brings the stack up if
// needed (as `npm test` does), then runs apps/<service>/bench/<name>.bench.ts with the TEST_*
// variables pointing at it. Benchmarks measure and print; they assert nothing. The benchmark's
// last line on stdout is its summary JSON (SPEC.md, Performance), so nothing is printed after it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, stackUp, testEnvironment } from '../stack/stack-lib.mjs';

const startedAt = Date.now();
const [service, name] = process.argv.slice(2);
if (!service || !name || !/^[a-z0-9-]+$/.test(service) || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: node tools/scripts/bench.mjs <service> <name>   (runs apps/<service>/bench/<name>.bench.ts)');
  process.exit(64);
}
const entry = path.join(ROOT, 'apps', service, 'bench', `${name}.bench.ts`);
if (!fs.existsSync(entry)) {
  console.error(`no benchmark ${path.relative(ROOT, entry)}`);
  process.exit(66);
}

const { env: stackEnv } = await stackUp({ log: (line) => console.log(`stack  ${line}`) });

const env = {
  ...testEnvironment(stackEnv),
  // As libs/testing/src/processes.ts (spawnTs) runs TypeScript: swc reads the root tsconfig's paths (@kami/*).
  SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
  // Lets the benchmark report the total run time, stack check included.
  KAMI_BENCH_STARTED_AT: String(startedAt),
};

const child = spawn(process.execPath, ['-r', '@swc-node/register', entry], { cwd: ROOT, env, stdio: 'inherit' });

// Ctrl-C reaches the whole process group; a signal sent to this process alone is passed on.
// Either way we wait for the benchmark to stop its service and drop its database.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}

child.on('exit', (code, signal) => {
  if (code !== 0) console.error(`bench ${service} ${name} ended with ${signal ?? `exit code ${code}`}`);
  process.exit(code ?? (signal === 'SIGINT' ? 130 : 1));
});
