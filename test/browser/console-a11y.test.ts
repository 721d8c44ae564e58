// Every page of the console, at 1280×800 and at a phone's 390×844: each form control and button has an accessible
// name, nothing scrolls sideways on the phone, and the main path works from the keyboard alone (no mouse: Tab,
// Enter, typing).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { type ConsoleHarness, DESKTOP, PHONE, startConsole } from '../helpers/browser.js';

const APP = 'plant';
const DEVICE = 'pump-1';
const PAGES: Array<[string, string]> = [
  ['apps', 'apps'],
  [`apps/${APP}`, 'app-overview'],
  [`apps/${APP}/devices`, 'devices'],
  [`apps/${APP}/devices/${DEVICE}`, 'device'],
  [`apps/${APP}/events`, 'events'],
  [`apps/${APP}/firmware`, 'firmware'],
  [`apps/${APP}/getting-started`, 'getting-started'],
  ['tokens', 'tokens'],
];

let h: ConsoleHarness;

before(async () => {
  h = await startConsole();
  const asAlice = (path: string, body: unknown) => h.callAs('alice')('POST', `/api/registry/v1alpha1${path}`, body);
  assert.equal((await asAlice('/apps', { metadata: { name: APP, labels: { site: 'north' } } })).status, 201);
  const device = { metadata: { name: DEVICE, application: APP, labels: { kind: 'pump' } } };
  assert.equal((await asAlice(`/apps/${APP}/devices`, device)).status, 201);
  await h.login();
});
after(() => h?.close());

async function open(page: Page, path: string, name: string): Promise<void> {
  await page.evaluate((to) => {
    history.pushState(null, '', to);
    dispatchEvent(new PopStateEvent('popstate'));
  }, `/console/${path}`);
  await page.locator(`[data-page="${name}"]`).waitFor();
  await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached' });
}

/** Controls without an accessible name: no label, no aria-label(ledby), no text, no title. */
function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const controls = document.querySelectorAll<HTMLElement>(
      'main input:not([type=hidden]), main select, main textarea, main button, header button, main a[href]',
    );
    return [...controls]
      .filter((el) => el.getClientRects().length > 0)
      .filter((el) => {
        const labelled = (el as HTMLInputElement).labels?.length;
        const aria = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title;
        return !labelled && !aria && !el.textContent?.trim();
      })
      .map((el) => el.outerHTML.slice(0, 120));
  });
}

for (const [label, viewport] of [
  ['1280×800', DESKTOP],
  ['a phone (390×844)', PHONE],
] as const) {
  test(`every page at ${label}: named controls${viewport === PHONE ? ', nothing wider than the screen' : ''}`, async () => {
    await h.page.setViewportSize(viewport);
    for (const [path, name] of PAGES) {
      await open(h.page, path, name);
      assert.deepEqual(await unnamedControls(h.page), [], `${name}: every control has a name`);
      if (viewport === PHONE) {
        const width = await h.page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
        assert.ok(width <= 0, `${name}: ${width}px wider than the screen`);
        await h.screenshot(`phone-${name}`);
      }
    }
    await h.page.setViewportSize(DESKTOP);
  });
}

test('from the keyboard alone: open an application, create a device, and reach its page', async () => {
  await open(h.page, 'apps', 'apps');
  const focusOn = async (name: string | RegExp, role: 'link' | 'button' | 'textbox') => {
    for (let i = 0; i < 60; i++) {
      await h.page.keyboard.press('Tab');
      const focused = await h.page.evaluate(() => {
        const el = document.activeElement as HTMLInputElement | null;
        const label = el?.getAttribute('aria-label') ?? el?.labels?.[0]?.textContent?.trim() ?? '';
        return { text: el?.textContent?.trim() ?? '', label };
      });
      const matches = (s: string) => (typeof name === 'string' ? s === name : name.test(s));
      if (matches(focused.text) || matches(focused.label)) return;
    }
    assert.fail(`Tab never reached the ${role} ${name}`);
  };
  await focusOn(APP, 'link');
  await h.page.keyboard.press('Enter');
  await h.page.locator('[data-page="app-overview"]').waitFor();
  await focusOn('Devices', 'link');
  await h.page.keyboard.press('Enter');
  await h.page.locator('[data-page="devices"]').waitFor();
  await focusOn('Create device', 'button');
  await h.page.keyboard.press('Enter');
  const dialog = h.page.getByRole('dialog');
  await dialog.waitFor();
  // The dialog takes the focus; Tab moves to its fields.
  await focusOn('Name', 'textbox');
  await h.page.keyboard.type('valve-7');
  await h.page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  await focusOn('valve-7', 'link');
  await h.page.keyboard.press('Enter');
  await h.page.locator('[data-page="device"]').getByRole('heading', { name: 'valve-7' }).waitFor();
});
