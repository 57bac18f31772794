#!/usr/bin/env node
// CLI for the local dependency stack (PostgreSQL, Redis, Kafka). See stack-lib.mjs.
//
//   node tools/stack/stack.mjs up       start or reuse all three and wait until usable
//   node tools/stack/stack.mjs down     stop what `up` started; leave reused servers alone
//   node tools/stack/stack.mjs status   report each; exit 0 only if all three are up
//
// Env: PGHOST/PGPORT/PGUSER, REDIS_URL, KAFKA_BROKERS (endpoints); KAMI_CACHE_DIR (where the
// Kafka jars are cached); KAMI_STACK_MODE=auto|native|docker; STACK_TIMEOUT_MS (per dependency).

import { stackDown, stackStatus, stackUp } from './stack-lib.mjs';

const USAGE = 'usage: node tools/stack/stack.mjs up|down|status';

async function main(command) {
  switch (command) {
    case 'up': {
      const timeoutMs = process.env.STACK_TIMEOUT_MS ? Number(process.env.STACK_TIMEOUT_MS) : undefined;
      const started = Date.now();
      await stackUp({ timeoutMs });
      console.log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    case 'down':
      await stackDown();
      return 0;
    case 'status':
      return (await stackStatus()).ok ? 0 : 1;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return command ? 0 : 2;
    default:
      console.error(`unknown command: ${command}\n${USAGE}`);
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err?.message ?? err);
    process.exitCode = 1;
  },
);
