#!/usr/bin/env node
// `npm run lock:fill` — run after changing dependencies.
// Native packages (@swc/core, jest's unrs-resolver, …) list one optional package per platform.
// When the registry this machine reaches does not serve some of them (here: darwin and win32
// builds), npm 11 leaves them out of package-lock.json, and `npm ci` then refuses the lock as
// "out of sync" (npm/cli#8320, #9083). This adds a version-only entry for each missing optional
// platform package: `npm ci` accepts the lock again, and on install it skips the ones that
// do not fit the platform or cannot be fetched, as it does for any optional dependency.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const file = process.argv[2] ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;

/** Where Node would resolve `name` from the package at `location` (nearest node_modules up). */
function isResolvable(location, name) {
  let base = location;
  for (;;) {
    if (packages[`${base ? `${base}/` : ''}node_modules/${name}`]) return true;
    if (!base) return false;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut >= 0 ? base.slice(0, cut) : '';
  }
}

let added = 0;
for (const [location, meta] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    if (isResolvable(location, name) || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) continue;
    packages[`node_modules/${name}`] = { version: spec, ...(meta.dev ? { dev: true } : {}), optional: true };
    added += 1;
  }
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} optional platform package(s) recorded`);
