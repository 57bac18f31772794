import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, ConsoleMessage, Page } from 'playwright-core';
import { WORKSPACE_ROOT } from './processes';

/*
 * A real browser for the portal's tests: Debian's Chromium (installed by
 * tools/scripts/ensure-chromium.mjs, which `npm test` runs first) driven by playwright-core, which
 * never downloads a browser of its own. Headless, no sandbox (CI runs as root), and none of
 * Chromium's background traffic (this machine's network is closed); each launch gets a fresh
 * temporary profile (playwright-core's own --user-data-dir, removed on close).
 */

/** Chromium's flags here, besides playwright-core's own (which add --no-sandbox and --headless). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** Where screenshots go (git-ignored): `test-artifacts/portal/<name>-<lang>.png`. */
export const SCREENSHOT_DIR = path.join(WORKSPACE_ROOT, 'test-artifacts', 'portal');

/** $CHROMIUM_PATH, else Debian's /usr/bin/chromium; throws saying how to get it. */
export function chromiumPath(): string {
  const executable = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  try {
    fs.accessSync(executable, fs.constants.X_OK);
  } catch {
    throw new Error(`no Chromium at ${executable}: run \`node tools/scripts/ensure-chromium.mjs\` (installs Debian's chromium), or set CHROMIUM_PATH`);
  }
  return executable;
}

export interface BrowserProblem {
  /** `console` (console.error, failed resource loads) or `pageerror` (an uncaught exception). */
  kind: 'console' | 'pageerror';
  text: string;
  /** The page's URL when it happened. */
  url: string;
}

export interface BrowserOptions {
  /** The gateway the pages are opened against (e.g. `h.gateway.url`). */
  baseUrl: string;
  /** Screenshots folder (default SCREENSHOT_DIR). */
  screenshotDir?: string;
  /** What a page still loading shows (default `[aria-busy="true"]`): `settle` waits until none is left. */
  busySelector?: string;
  /** Context options: viewport, locale (default zh-CN, as the portal's users), … */
  context?: BrowserContextOptions;
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  /** A new page in the session's context (every page reports its console errors here). */
  newPage(): Promise<Page>;
  /** A new page in a context of its own: its own storage, and a clock (`page.clock`) the other pages do not share. */
  isolatedPage(): Promise<Page>;
  /** A new page, navigated to `path` of the base URL; resolves once the DOM is loaded. */
  open(path: string): Promise<Page>;
  /** Console errors and uncaught exceptions of every page so far. */
  problems(): BrowserProblem[];
  /** Forgets the problems so far (e.g. after a step that errs on purpose). */
  clearProblems(): void;
  /** Waits until the network is idle and nothing matches the busy selector (data shown, not spinners). */
  settle(page: Page): Promise<void>;
  /** Settles the page, then saves a full-page PNG as `<dir>/<name>.png` (name e.g. `login-zh`); returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  /** Milliseconds since the page's navigation started (performance.now() in the page). */
  sinceNavigationStart(page: Page): Promise<number>;
  /** The page's first-contentful-paint time in ms since navigation start, if painted. */
  firstContentfulPaint(page: Page): Promise<number | undefined>;
  close(): Promise<void>;
}

/** Launches Chromium and a fresh context against `options.baseUrl`. Always `close()` it (afterAll). */
export async function launchBrowser(options: BrowserOptions): Promise<BrowserSession> {
  // Loaded here, not at import: most tests use @kami/testing without a browser.
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    chromiumSandbox: false,
    args: [...CHROMIUM_ARGS],
    timeout: 60_000,
  });
  const problems: BrowserProblem[] = [];
  const screenshotDir = options.screenshotDir ?? SCREENSHOT_DIR;
  let context: BrowserContext;
  const newContext = (): Promise<BrowserContext> =>
    browser.newContext({ baseURL: options.baseUrl, locale: 'zh-CN', viewport: { width: 1280, height: 800 }, ...options.context });
  try {
    context = await newContext();
  } catch (error) {
    await browser.close();
    throw error;
  }
  const watch = (page: Page): void => {
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error') problems.push({ kind: 'console', text: message.text(), url: page.url() });
    });
    page.on('pageerror', (error) => problems.push({ kind: 'pageerror', text: `${error.name}: ${error.message}`, url: page.url() }));
  };
  context.on('page', watch);

  const newPage = async (): Promise<Page> => context.newPage();
  const isolatedPage = async (): Promise<Page> => {
    const own = await newContext();
    own.on('page', watch);
    return own.newPage();
  };
  const busySelector = options.busySelector ?? '[aria-busy="true"]';
  const settle = async (page: Page): Promise<void> => {
    await page.waitForLoadState('networkidle');
    // `detached` on the first match: resolves once nothing on the page matches any more.
    await page.locator(busySelector).first().waitFor({ state: 'detached' });
  };

  return {
    browser,
    context,
    newPage,
    isolatedPage,
    async open(target) {
      const page = await newPage();
      await page.goto(target, { waitUntil: 'domcontentloaded' });
      return page;
    },
    problems: () => [...problems],
    clearProblems: () => void problems.splice(0),
    settle,
    async screenshot(page, name) {
      await settle(page);
      fs.mkdirSync(screenshotDir, { recursive: true });
      const file = path.join(screenshotDir, `${name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    sinceNavigationStart: (page) => page.evaluate(() => performance.now()),
    firstContentfulPaint: (page) =>
      page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime as number | undefined),
    async close() {
      await context.close().catch(() => undefined);
      await browser.close(); // and the isolated pages' contexts with it
    },
  };
}
