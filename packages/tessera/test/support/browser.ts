import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { runDir } from './artifacts.js';

/** Debian's chromium package; `.ci/run` installs it. No browser is ever downloaded. */
export const chromiumPath = '/usr/bin/chromium';
export const screenshotsDir = join(runDir, 'screenshots');

// Headless, and quiet: no first-run, sync, component updates or background requests leave the machine.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** What page scripts can read that might hold a secret. */
interface BrowserExposure {
  localStorage: string;
  localStorageLength: number;
  sessionStorage: string;
  sessionStorageLength: number;
  scriptCookies: string;
  location: string;
}

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Every URL the browser requested so far. */
  requestedUrls(): string[];
  /** Uncaught page errors and console errors, except the browser's own note on each 4xx response. */
  pageErrors(): string[];
  screenshot(name: string): Promise<void>;
  /** Fails unless storage, every cookie and every requested URL are free of all the given secrets. */
  expectNoSecretsExposed(secrets: readonly string[], step: string): Promise<void>;
  /** Runs expectNoSecretsExposed and fails on any page error so far: the check after each step of a test. */
  checkpoint(secrets: readonly string[], step: string): Promise<void>;
  /** Signs in with an admin token on the sign-in form and waits for the overview. */
  signIn(token: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Launches Chromium on a new, empty profile that may load only `origin`, a loopback server. Any
 * other request is aborted and recorded, so a test fails rather than reaching the network.
 */
export async function launchBrowser(origin: string): Promise<TestBrowser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing; install Debian's chromium package (apt-get install -y chromium), as .ci/run does`);
  }

  const profileDir = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    args: chromiumArgs,
    headless: true,
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
    serviceWorkers: 'block',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });

  const urls: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url === origin) return route.continue();
    errors.push(`blocked request to ${url}`);
    return route.abort();
  });
  context.on('request', (request) => urls.push(request.url()));

  const page = context.pages()[0] ?? (await context.newPage());
  // Shorter than the test timeout, so a missing element fails the step that waited for it.
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 4xx fetch as a console error, but the tests expect and check those responses.
    if (message.type() === 'error' && !/status of 40[0-9]/.test(message.text())) errors.push(`console error: ${message.text()}`);
  });
  mkdirSync(screenshotsDir, { recursive: true });

  const browser: TestBrowser = {
    context,
    page,
    requestedUrls: () => [...urls],
    pageErrors: () => [...errors],
    async screenshot(name) {
      await page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: true });
    },
    async expectNoSecretsExposed(secrets, step) {
      // A string, because the test type-checks against Node's globals rather than the DOM's.
      const exposed: BrowserExposure = await page.evaluate(`({
        localStorage: JSON.stringify(Object.entries(localStorage)),
        localStorageLength: localStorage.length,
        sessionStorage: JSON.stringify(Object.entries(sessionStorage)),
        sessionStorageLength: sessionStorage.length,
        scriptCookies: document.cookie,
        location: location.href,
      })`);
      const cookies = JSON.stringify(await context.cookies());

      expect(exposed.localStorageLength, `localStorage after ${step}`).toBe(0);
      expect(exposed.sessionStorageLength, `sessionStorage after ${step}`).toBe(0);
      expect(exposed.scriptCookies, `script-readable cookies after ${step}`).toBe('');
      for (const secret of secrets) {
        expect(exposed.localStorage.includes(secret), `a secret in localStorage after ${step}`).toBe(false);
        expect(exposed.sessionStorage.includes(secret), `a secret in sessionStorage after ${step}`).toBe(false);
        expect(cookies.includes(secret), `a secret in a cookie after ${step}`).toBe(false);
        expect(exposed.location.includes(secret), `a secret in the address bar after ${step}`).toBe(false);
        const leakingUrl = urls.find((url) => url.includes(secret));
        expect(leakingUrl, `a secret in a requested URL after ${step}`).toBeUndefined();
      }
    },
    async checkpoint(secrets, step) {
      await browser.expectNoSecretsExposed(secrets, step);
      expect([...errors], `page errors after ${step}`).toEqual([]);
    },
    async signIn(token) {
      await page.getByLabel('Admin token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('[data-loaded="overview"]').waitFor();
    },
    async close() {
      await context.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
  return browser;
}
