#!/usr/bin/env node
// Compiles every app and lib to dist/ with swc (seconds, not minutes). Type checking is a
// separate step (`npm run typecheck`), so a build never waits on it.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function build({ quiet = false } = {}) {
  rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  const swc = path.join(root, 'node_modules/.bin/swc');
  const result = spawnSync(
    swc,
    ['apps', 'libs', '-d', 'dist', '--config-file', '.swcrc', '--ignore', '**/*.spec.ts,**/*.int-spec.ts,**/*.e2e-spec.ts,**/test/**,**/bench/**', '--quiet'],
    { cwd: root, stdio: quiet ? 'pipe' : 'inherit' },
  );
  if (result.status !== 0) {
    if (quiet) process.stderr.write(result.stderr ?? '');
    throw new Error('build failed');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    build();
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
