// For the web console's browser tests: an in-process drg serve (ephemeral ports, the MQTT device endpoint on) with
// the user alice, Debian's chromium through playwright-core, logging in through the real form, and screenshots
// under test-artifacts/console/ (ignored by git). Every page error and CSP refusal the browser reports is collected:
// close() fails the test if there was any.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import type { ServerOptions } from '../../src/server-lite/server.js';
import { basic } from './config.js';
import { ALICE, launchChromium, submitLoginForm } from './login.js';
import { startTestServer, type TestServer } from './server.js';

export const SCREENSHOTS = resolve(import.meta.dirname, '../../test-artifacts/console');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** An API call: `body` is sent as JSON, or as is when it is bytes. */
export type ApiCall = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<Response>;

export interface ConsoleHarness {
  server: TestServer;
  /** `<server>/console/`. */
  consoleUrl: string;
  /** The MQTT device endpoint's port. */
  mqttPort: number;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Calls of the API as `user`, with an access token of theirs (made on first use). */
  callAs(user: string): ApiCall;
  /** Goes to /console/<path> the way the console's links do (no reload). */
  go(path: string): Promise<void>;
  /** Opens the console, logs in through the issuer's form, and waits for the applications page. */
  login(user?: string, password?: string): Promise<void>;
  /** Saves the page as test-artifacts/console/<name>.png; returns the path. */
  screenshot(name: string, page?: Page): Promise<string>;
  /** Page errors and console errors (CSP refusals among them) so far. */
  problems(): string[];
  /** Fails if the browser reported problems; closes the browser and the server. */
  close(): Promise<void>;
}

/** Chromium's report of an API answer of 4xx (a 409, a 400 for bad input), which the page shows and handles. */
function expectedApiRefusal(message: ConsoleMessage): boolean {
  const url = message.location().url;
  return (
    /^Failed to load resource: the server responded with a status of 4\d\d\b/.test(message.text()) &&
    url !== '' &&
    new URL(url).pathname.startsWith('/api/')
  );
}

export async function startConsole(options: Partial<ServerOptions> = {}, viewport = DESKTOP): Promise<ConsoleHarness> {
  const server = await startTestServer(undefined, {
    users: [{ name: ALICE.user, password: ALICE.password }],
    mqttPort: 0,
    ...options,
  });
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport });
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !expectedApiRefusal(message)) problems.push(`console error: ${message.text()}`);
    });
  };
  context.on('page', watch);
  const page = await context.newPage();
  const consoleUrl = `${server.url}/console/`;
  const mqttPort = server.server.endpoints().mqtt?.port;
  const calls = new Map<string, ApiCall>();
  assert.ok(mqttPort, 'the MQTT device endpoint runs');
  return {
    server,
    consoleUrl,
    mqttPort,
    browser,
    context,
    page,
    callAs(user) {
      let call = calls.get(user);
      if (!call) {
        const authorization = basic(user, server.server.accessTokens.create(user, 'console test').token);
        call = (method, path, body, headers = {}) => {
          const json = body !== undefined && !(body instanceof Uint8Array);
          return fetch(`${server.url}${path}`, {
            method,
            headers: { authorization, ...(json && { 'content-type': 'application/json' }), ...headers },
            body: (body === undefined ? undefined : json ? JSON.stringify(body) : body) as BodyInit | undefined,
          });
        };
        calls.set(user, call);
      }
      return call;
    },
    async go(path) {
      await page.evaluate((to) => {
        history.pushState(null, '', to);
        dispatchEvent(new PopStateEvent('popstate'));
      }, `/console/${path}`);
    },
    async login(user = ALICE.user, password = ALICE.password) {
      await page.goto(consoleUrl);
      await page.locator('[data-page="login"], #username').first().waitFor();
      if (await page.locator('[data-page="login"]').isVisible()) {
        await page.getByRole('button', { name: 'Log in' }).click();
      }
      await page.locator('#username').waitFor();
      await submitLoginForm(page, user, password);
      await page.locator('[data-page="apps"]').waitFor();
    },
    async screenshot(name, shot = page) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const path = join(SCREENSHOTS, `${name}.png`);
      await shot.screenshot({ path, fullPage: true });
      return path;
    },
    problems: () => [...problems],
    async close() {
      try {
        assert.deepEqual(problems, [], 'the browser reported no page errors or CSP refusals');
      } finally {
        await browser.close();
        await server.close();
      }
    },
  };
}
