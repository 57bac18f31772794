#!/usr/bin/env node
// `npm run fuzz -- --runs 20000 [--seed S] [--operation "POST /api/v1/catalog/brands"] [--max-ms 5000]`:
// the long fuzz campaign over every route of the OpenAPI document (apps/gateway/test/fuzz.e2e-spec.ts,
// whose short run is part of `npm test`), against a whole system it starts on the local stack.
// The same seed sends the same requests; a failure prints the seed and the request.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, stackUp, testEnvironment } from '../stack/stack-lib.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20000' },
    seed: { type: 'string' },
    operation: { type: 'string' },
    'max-ms': { type: 'string', default: '5000' },
  },
});
for (const [name, value] of Object.entries({ runs: values.runs, seed: values.seed, 'max-ms': values['max-ms'] })) {
  if (value !== undefined && !/^-?\d+$/.test(value)) {
    console.error(`--${name} must be a whole number, not ${value}`);
    process.exit(64);
  }
}

const { env: stackEnv } = await stackUp({ log: (line) => console.log(`stack  ${line}`) });
const env = {
  ...testEnvironment(stackEnv),
  FUZZ_RUNS: values.runs,
  FUZZ_MAX_MS: values['max-ms'],
  // A new seed each campaign unless one is named (to replay a failure).
  FUZZ_SEED: values.seed ?? String(Math.floor(Math.random() * 2 ** 31)),
  ...(values.operation !== undefined ? { FUZZ_OPERATION: values.operation } : {}),
};
const jest = path.join(ROOT, 'node_modules/.bin/jest');
const child = spawn(jest, ['-c', 'apps/gateway/jest.config.js', 'apps/gateway/test/fuzz.e2e-spec.ts'], { cwd: ROOT, env, stdio: 'inherit' });
child.on('close', (code) => process.exit(code ?? 1));
