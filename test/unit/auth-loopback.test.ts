// The loopback listener of the browser login: where it listens, what it accepts, what the browser sees, timeouts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startLoopback } from '../../src/auth/loopback.js';
import { DrgError } from '../../src/errors.js';

test('listens on 127.0.0.1 at a random port behind http://localhost:PORT/, and delivers the matching answer', async () => {
  const loopback = await startLoopback();
  try {
    const { port } = new URL(loopback.redirectUri);
    assert.match(loopback.redirectUri, /^http:\/\/localhost:\d+\/$/);
    const waiting = loopback.waitForCallback('the-state', 10_000);
    const browser = fetch(`http://127.0.0.1:${port}/?code=abc&state=the-state&iss=x`);
    const callback = await waiting;
    assert.equal(callback.url.href, `http://localhost:${port}/?code=abc&state=the-state&iss=x`);
    callback.finish(true, 'drg is logged in. You can close this window.');
    const res = await browser;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(await res.text(), /<h1>Logged in<\/h1><p>drg is logged in\. You can close this window\.<\/p>/);
  } finally {
    await loopback.close();
  }
});

test('a wrong state, another path or a second answer do not end the wait; the page escapes what it shows', async () => {
  const loopback = await startLoopback();
  const base = `http://127.0.0.1:${new URL(loopback.redirectUri).port}`;
  try {
    assert.equal((await fetch(`${base}/?code=abc&state=x`)).status, 409, 'not waiting yet');
    const waiting = loopback.waitForCallback('s1', 10_000);
    const forged = await fetch(`${base}/?code=stolen&state=s2`);
    assert.equal(forged.status, 400);
    assert.equal((await fetch(`${base}/favicon.ico`)).status, 404);
    assert.equal((await fetch(`${base}/?code=abc&state=s1`, { method: 'POST' })).status, 404);
    const browser = fetch(`${base}/?code=good&state=s1`);
    const callback = await waiting;
    assert.equal(callback.url.searchParams.get('code'), 'good');
    callback.finish(false, '<b>failed</b>');
    const page = await (await browser).text();
    assert.ok(page.includes('&lt;b&gt;failed&lt;/b&gt;'));
  } finally {
    await loopback.close();
  }
});

test('an OAuth error with the right state ends the login with that error', async () => {
  const loopback = await startLoopback();
  try {
    const failed = assert.rejects(
      loopback.waitForCallback('st', 10_000),
      (err: unknown) => err instanceof DrgError && err.message === 'the issuer refused the login: access_denied',
    );
    const res = await fetch(`http://127.0.0.1:${new URL(loopback.redirectUri).port}/?error=access_denied&state=st`);
    assert.equal(res.status, 400);
    await failed;
  } finally {
    await loopback.close();
  }
});

test('no answer in time: a clear error that says what to do', async () => {
  const loopback = await startLoopback();
  try {
    await assert.rejects(
      loopback.waitForCallback('st', 50),
      (err: unknown) =>
        err instanceof DrgError &&
        /^no login within 0s: the browser did not come back to drg$/.test(err.message) &&
        /--device/.test(err.hint ?? ''),
    );
  } finally {
    await loopback.close();
  }
  await assert.rejects(fetch(loopback.redirectUri), 'closed');
});
