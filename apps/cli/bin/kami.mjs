#!/usr/bin/env node
// `kami`, the supplier CLI. Runs without a build step: it loads the swc build
// (dist/apps/cli/src/main.js, from `npm run build`) when that is at least as new as the sources,
// and otherwise compiles apps/cli/src on the fly with @swc-node/register (a devDependency).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const sourceDir = path.join(root, 'apps/cli/src');
const built = path.join(root, 'dist/apps/cli/src/main.js');

/** Newest modification time under `dir` (0 when it does not exist, e.g. in an image without sources). */
function newestMtime(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

function load() {
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(sourceDir)) return require(built);
  process.env.SWC_NODE_PROJECT ??= path.join(root, 'tsconfig.json');
  require('@swc-node/register');
  return require(path.join(sourceDir, 'main.ts'));
}

// Started by `npm run kami -- …`: npm runs scripts from the repository root, so relative paths
// given on the command line mean the directory npm was called from (INIT_CWD).
if (process.env.npm_lifecycle_event === 'kami' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

load()
  .run(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
