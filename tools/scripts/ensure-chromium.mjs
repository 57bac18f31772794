#!/usr/bin/env node
// Chromium for the portal's browser tests (playwright-core drives it; playwright-core never
// downloads a browser). Uses $CHROMIUM_PATH or Debian's /usr/bin/chromium; when it is missing,
// installs Debian's `chromium` package — and a small Chinese font, so the zh pages render as
// characters rather than boxes — with apt-get, as root or through password-less sudo. Otherwise
// it says how to install them and fails. `npm test` calls it; `node tools/scripts/ensure-chromium.mjs`
// runs it alone. Prints (or returns) the browser's path.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';
/** Debian packages: the browser, and a CJK font (1.6 MB) for the Chinese pages and screenshots. */
const BROWSER_PACKAGE = 'chromium';
const CJK_FONT_PACKAGE = 'fonts-wqy-microhei';

const isExecutable = (file) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

/** The browser's version line, or undefined when it does not run. */
function versionOf(executable) {
  const result = spawnSync(executable, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Whether fontconfig knows a font covering Chinese (without fc-list: assume so, nothing to check with). */
function hasChineseFont() {
  const result = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  if (result.error) return true;
  return result.stdout.trim().length > 0;
}

/** How to run apt-get here: directly as root, through password-less sudo, or not at all. */
function aptRunner() {
  if (process.platform !== 'linux' || !isExecutable('/usr/bin/apt-get')) return undefined;
  if (process.getuid?.() === 0) return [];
  const sudo = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' });
  return sudo.status === 0 ? ['sudo', '-n'] : undefined;
}

function apt(prefix, args, log) {
  const [command, ...rest] = [...prefix, 'apt-get', ...args];
  log(`$ ${[command, ...rest].join(' ')}`);
  const result = spawnSync(command, rest, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) throw new Error(`apt-get ${args[0]} failed (exit ${result.status ?? result.signal})`);
}

/**
 * Finds Chromium, installing Debian's packages when they are missing and this process may.
 * Returns the executable's path; throws with instructions when it cannot provide one.
 */
export function ensureChromium({ log = (line) => console.log(`chromium  ${line}`) } = {}) {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (!isExecutable(configured) || !versionOf(configured)) throw new Error(`CHROMIUM_PATH=${configured} is not a Chromium that runs here`);
    return configured;
  }
  const missing = [];
  if (!isExecutable(DEFAULT_CHROMIUM_PATH)) missing.push(BROWSER_PACKAGE);
  if (!hasChineseFont()) missing.push(CJK_FONT_PACKAGE);
  if (missing.length > 0) {
    const prefix = aptRunner();
    if (!prefix) {
      throw new Error(
        `the browser tests need ${missing.join(' and ')} (Debian packages). Install them with\n` +
          `    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(' ')}\n` +
          `or point CHROMIUM_PATH at a Chromium or Chrome executable.`,
      );
    }
    log(`installing ${missing.join(', ')} from Debian's packages…`);
    apt(prefix, ['update'], log);
    apt(prefix, ['install', '-y', '--no-install-recommends', ...missing], log);
  }
  const version = versionOf(DEFAULT_CHROMIUM_PATH);
  if (!version) throw new Error(`${DEFAULT_CHROMIUM_PATH} is installed but does not run (\`${DEFAULT_CHROMIUM_PATH} --version\` failed)`);
  if (missing.length > 0) log(`ready: ${version}`);
  return DEFAULT_CHROMIUM_PATH;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    console.log(ensureChromium());
  } catch (error) {
    console.error(`chromium  ${error.message}`);
    process.exit(1);
  }
}
