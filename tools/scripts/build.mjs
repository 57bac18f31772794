#!/usr/bin/env node
// `npm run build`: compiles every app and lib to dist/ with swc (seconds, not minutes), then the
// portal with Vite through Nx (`nx run portal:build` → dist/apps/portal, cached by Nx; the gateway
// serves it at `/`). `--no-portal` skips the portal. Type checking is a separate step
// (`npm run typecheck`), so a build never waits on it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'dist');
export const PORTAL_DIST = path.join(dist, 'apps', 'portal');

/** Empties dist/ but for the portal's build, which a running gateway may be serving. */
function cleanDist() {
  if (!fs.existsSync(dist)) return;
  for (const entry of fs.readdirSync(dist)) {
    if (entry !== 'apps') fs.rmSync(path.join(dist, entry), { recursive: true, force: true });
  }
  const apps = path.join(dist, 'apps');
  if (!fs.existsSync(apps)) return;
  for (const entry of fs.readdirSync(apps)) {
    if (entry !== 'portal') fs.rmSync(path.join(apps, entry), { recursive: true, force: true });
  }
}

/** The services, the CLI and the libraries (not the portal). */
export function build({ quiet = false } = {}) {
  cleanDist();
  const swc = path.join(root, 'node_modules/.bin/swc');
  const result = spawnSync(
    swc,
    ['apps', 'libs', '-d', 'dist', '--config-file', '.swcrc', '--ignore', 'apps/portal/**,**/*.spec.ts,**/*.int-spec.ts,**/*.e2e-spec.ts,**/test/**,**/bench/**', '--quiet'],
    { cwd: root, stdio: quiet ? 'pipe' : 'inherit' },
  );
  if (result.status !== 0) {
    if (quiet) process.stderr.write(result.stderr ?? '');
    throw new Error('build failed');
  }
}

/** The portal: Vite's production build through Nx (a cached result is restored in a second or two). */
export function buildPortal({ quiet = false } = {}) {
  const nx = path.join(root, 'node_modules/.bin/nx');
  const result = spawnSync(nx, ['run', 'portal:build', '--outputStyle=static'], {
    cwd: root,
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
    stdio: quiet ? 'pipe' : 'inherit',
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    if (quiet) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new Error(`the portal build failed (nx run portal:build, exit ${result.status ?? result.signal})`);
  }
  if (!fs.existsSync(path.join(PORTAL_DIST, 'index.html'))) throw new Error(`the portal build wrote no ${path.relative(root, PORTAL_DIST)}/index.html`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    build();
    if (!process.argv.includes('--no-portal')) buildPortal();
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
