#!/usr/bin/env node
// `npm run migrate`: build, then apply every service's pending migrations to its own database.
import { spawnSync } from 'node:child_process';
import { stackUp } from '../stack/stack-lib.mjs';
import { build } from './build.mjs';
import { devSecrets, entryOf, SERVICES, serviceEnv } from './services.mjs';

const { env: stackEnv } = await stackUp({ log: () => undefined });
build({ quiet: true });
const secrets = devSecrets();
let failed = false;
for (const service of SERVICES) {
  const result = spawnSync(process.execPath, [entryOf(service.name, 'migrate')], {
    env: { ...process.env, ...serviceEnv(service, stackEnv, secrets) },
    stdio: 'inherit',
  });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
