import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { eventually, PORTAL_BUILD_DIR, WORKSPACE_ROOT, type BrowserSession } from '@kami/testing';
import type { Locator, Page } from 'playwright-core';

export type Language = 'zh' | 'en';

/**
 * Makes sure dist/apps/portal holds a build of the current sources. Under Nx (`npm test`,
 * `nx run portal:test`) the test target depends on the build, so nothing is left to do; a test file
 * run alone with jest builds it here (Nx restores an unchanged build from its cache).
 */
export function ensurePortalBuilt(): void {
  if (!process.env.NX_TASK_TARGET_PROJECT) {
    const result = spawnSync(path.join(WORKSPACE_ROOT, 'node_modules/.bin/nx'), ['run', 'portal:build', '--outputStyle=static'], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`nx run portal:build failed:\n${result.stdout}${result.stderr}`);
  }
  if (!fs.existsSync(path.join(PORTAL_BUILD_DIR, 'index.html'))) throw new Error(`no portal build in ${PORTAL_BUILD_DIR}: run \`npx nx run portal:build\``);
}

/** A page still loading: a busy region, or the portal's loading line. */
export const BUSY = '[aria-busy="true"], .loading';

/** Labels of the login form in either language. */
export const LABELS = {
  email: /^(邮箱|Email)$/,
  password: /^(密码|Password)$/,
  submit: /^(登录|Log in)$/,
  logout: /^(退出登录|Log out)$/,
  navigation: /^(主导航|Main navigation)$/,
  language: /^(语言|Language)$/,
};

export const emailField = (page: Page): Locator => page.getByLabel(LABELS.email);
export const passwordField = (page: Page): Locator => page.getByLabel(LABELS.password);

/** Switches the portal's language with its own control (a labelled select, or buttons named 中文 / English). */
export async function switchLanguage(page: Page, language: Language): Promise<void> {
  const name = language === 'zh' ? '中文' : 'English';
  const select = page.getByRole('combobox', { name: LABELS.language });
  if ((await select.count()) > 0) {
    await select.first().selectOption({ label: name });
  } else {
    const group = page.getByRole('group', { name: LABELS.language });
    const scope = (await group.count()) > 0 ? group.first() : page;
    await scope.getByRole('button', { name, exact: true }).or(scope.getByRole('radio', { name, exact: true })).first().click();
  }
  await page.waitForFunction((lang) => document.documentElement.lang === lang, language === 'zh' ? 'zh-CN' : 'en');
}

/** Fills and sends the login form; resolves once the signed-in layout (main navigation) shows. */
export async function logIn(page: Page, email: string, password: string): Promise<void> {
  await emailField(page).fill(email);
  await passwordField(page).fill(password);
  await page.getByRole('button', { name: LABELS.submit }).click();
  await page.getByRole('navigation', { name: LABELS.navigation }).first().waitFor({ state: 'visible' });
}

/**
 * A dispute decided over Kafka (replaced by the vault, refunded by settlement) shows on the
 * disputes list only when it is read again: clicks the list's Refresh until the row's status says
 * `status` (in the page's language), as a supplier or operator would.
 */
export async function refreshUntilDisputeStatus(browser: BrowserSession, page: Page, row: Locator, status: string): Promise<void> {
  await eventually(
    async () => {
      await page.getByRole('button', { name: /^(刷新|Refresh)$/ }).first().click();
      await browser.settle(page);
      return row.getByTestId('dispute-status').textContent();
    },
    (shown) => shown === status,
    { what: `the dispute to show ${status}` },
  );
}
