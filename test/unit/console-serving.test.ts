// drg serve serving the built web console at /console/: the files with their types and caching, the SPA's routes
// answered with index.html, compression, traversal refused, the security headers on everything, and the 503 of a
// server whose console is not built. The console here is a directory of files written by the test.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { defaultConsoleDir } from '../../src/server-lite/http/console.js';
import { launchChromium } from '../helpers/login.js';
import { exchange, parseResponse } from '../helpers/raw-http.js';
import { tempDir } from '../helpers/serve.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const INDEX =
  '<!DOCTYPE html><html><head><script type="module" src="/console/assets/index-a1b2c3.js"></script></head></html>\n';
// Large enough to be compressed.
const SCRIPT = `${'console.log("drg console");\n'.repeat(200)}`;
const STYLE = 'body{margin:0}\n';
/** Opens a WebSocket to its own server and one to another origin; what became of them goes into a data attribute. */
const PROBE = `const results = { violations: [] };
const show = () => { document.body.dataset.results = JSON.stringify(results); };
document.addEventListener('securitypolicyviolation', (e) => { results.violations.push(e.blockedURI); show(); });
const same = new WebSocket('ws://' + location.host + '/api/integration/ws/v1alpha1/app1');
same.onopen = () => { results.same = 'open'; show(); same.close(); };
same.onerror = () => { results.same = 'error'; show(); };
try {
  const other = new WebSocket('ws://127.0.0.1:9/');
  other.onerror = () => { results.other = 'error'; show(); };
} catch (e) { results.other = 'thrown'; show(); }
`;

/** A built console in a temp dir, with a file beside it that must never be served. */
function writeConsole(): string {
  const root = tempDir('drg-console-');
  writeFileSync(join(root, 'secret.txt'), 'not for the web');
  const dir = join(root, 'console');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-a1b2c3.js'), SCRIPT);
  writeFileSync(join(dir, 'assets', 'index-d4e5f6.css'), STYLE);
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, 'probe.html'), '<!DOCTYPE html><body><script src="/console/assets/probe-1.js"></script>');
  writeFileSync(join(dir, 'assets', 'probe-1.js'), PROBE);
  return dir;
}

function assertSecurityHeaders(res: { headers: Headers } | { headers: Record<string, string> }, what: string): void {
  const get = (name: string) =>
    res.headers instanceof Headers ? res.headers.get(name) : (res.headers as Record<string, string>)[name];
  assert.equal(get('content-security-policy'), CSP, what);
  assert.equal(get('x-content-type-options'), 'nosniff', what);
  assert.equal(get('referrer-policy'), 'no-referrer', what);
}

/** A GET whose body is not decoded, with its Accept-Encoding. */
function rawGet(url: string, acceptEncoding: string): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': acceptEncoding } }, async (res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      resolve({ headers: res.headers, body: Buffer.concat(chunks) });
    })
      .on('error', reject)
      .end();
  });
}

describe('a built console', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer(undefined, { consoleDir: writeConsole() });
  });
  after(() => s.close());

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${s.url}${path}`, { headers, redirect: 'manual' });

  test('/console redirects to /console/ (308), keeping the query', async () => {
    for (const [path, location] of [
      ['/console', '/console/'],
      ['/console?x=1', '/console/?x=1'],
    ]) {
      const res = await get(path);
      assert.equal(res.status, 308, path);
      assert.equal(res.headers.get('location'), location, path);
      assertSecurityHeaders(res, path);
    }
  });

  test('/console/ and every path that is not a file answer index.html, not cached without revalidation', async () => {
    for (const path of [
      '/console/',
      '/console/apps/app1/devices',
      '/console/callback?code=x&state=y',
      '/console/a.b',
    ]) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8', path);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
      assertSecurityHeaders(res, path);
      assert.equal(await res.text(), INDEX, path);
    }
  });

  test('assets: their types, cached for a year as immutable; other files revalidated', async () => {
    const script = await get('/console/assets/index-a1b2c3.js');
    assert.equal(script.status, 200);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(await script.text(), SCRIPT);
    const style = await get('/console/assets/index-d4e5f6.css');
    assert.equal(style.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal(await style.text(), STYLE);
    const icon = await get('/console/favicon.svg');
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
    assert.equal(icon.headers.get('cache-control'), 'no-cache');
    assertSecurityHeaders(icon, 'favicon');
  });

  test('a missing asset is a 404 in the API error shape, with the security headers', async () => {
    const res = await get('/console/assets/index-000000.js');
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), {
      error: 'NotFound',
      message: 'the console has no file assets/index-000000.js',
    });
    assertSecurityHeaders(res, '404');
  });

  test('HEAD answers the headers without the body', async () => {
    const res = await fetch(`${s.url}/console/assets/index-a1b2c3.js`, {
      method: 'HEAD',
      headers: { 'accept-encoding': 'identity' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(SCRIPT)));
    assert.equal(await res.text(), '');
    assertSecurityHeaders(res, 'HEAD');
  });

  test('brotli or gzip as the client accepts them, the same bytes once decompressed', async () => {
    const script = '/console/assets/index-a1b2c3.js';
    const br = await rawGet(`${s.url}${script}`, 'gzip, br');
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers.vary, 'accept-encoding');
    assert.ok(br.body.length < Buffer.byteLength(SCRIPT) / 4);
    assert.equal(brotliDecompressSync(br.body).toString(), SCRIPT);
    const gz = await rawGet(`${s.url}${script}`, 'gzip, br;q=0');
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.body).toString(), SCRIPT);
    const plain = await rawGet(`${s.url}${script}`, 'identity');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString(), SCRIPT);
    // Files too small to gain are sent as they are.
    const style = await rawGet(`${s.url}/console/assets/index-d4e5f6.css`, 'br');
    assert.equal(style.headers['content-encoding'], undefined);
    assert.equal(style.body.toString(), STYLE);
  });

  test('an unchanged file revalidates with its ETag: 304', async () => {
    const first = await get('/console/');
    const etag = first.headers.get('etag');
    assert.ok(etag);
    const again = await get('/console/', { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assertSecurityHeaders(again, '304');
  });

  test('dot segments, plain or percent-encoded, never reach a file outside the console', async () => {
    for (const path of [
      '/console/../secret.txt',
      '/console/assets/../../secret.txt',
      '/console/%2e%2e/secret.txt',
      '/console/%2E%2E/%2e%2e/package.json',
      '/console/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/console/..%5csecret.txt',
      '/console/./index.html',
    ]) {
      const res = parseResponse(
        await exchange(s.url, `GET ${path} HTTP/1.1\r\nHost: drg\r\nConnection: close\r\n\r\n`),
      );
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body, /not for the web/, path);
      assert.deepEqual(JSON.parse(res.body).error, 'NotFound', path);
      assertSecurityHeaders(res, path);
    }
  });

  test('the console files are anonymous; the API is not', async () => {
    assert.equal((await get('/console/')).status, 200);
    assert.equal((await get('/api/registry/v1alpha1/apps')).status, 401);
  });

  test("in Chromium, connect-src 'self' lets a page open a WebSocket to its server and blocks other origins", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${s.url}/console/probe.html`);
      const handle = await page.waitForFunction(() => {
        const text = document.body.dataset.results;
        const results = text ? JSON.parse(text) : undefined;
        return results?.same && results.other && results.violations.length > 0 ? results : undefined;
      });
      const results = (await handle.jsonValue()) as { same: string; other: string; violations: string[] };
      assert.equal(results.same, 'open');
      assert.deepEqual(results.violations, ['ws://127.0.0.1:9/']);
    } finally {
      await browser.close();
    }
  });

  test('discovery names the console: /.well-known/drogue-endpoints and /api/console/v1alpha1/info', async () => {
    const endpoints = await (await get('/.well-known/drogue-endpoints')).json();
    assert.equal(endpoints.console, `${s.url}/console/`);
    const info = await (await s.call('GET', '/api/console/v1alpha1/info')).json();
    assert.equal(info.console, `${s.url}/console/`);
  });
});

describe('a console that is not built', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer(undefined, { consoleDir: join(tempDir('drg-console-'), 'missing') });
  });
  after(() => s.close());

  test('the server starts; /console/ answers 503 with what to do', async () => {
    for (const path of ['/console/', '/console/apps', '/console/assets/index-a1b2c3.js']) {
      const res = await fetch(`${s.url}${path}`);
      assert.equal(res.status, 503, path);
      assert.deepEqual(await res.json(), {
        error: 'ServiceUnavailable',
        message: 'the console is not built: run npm run build',
      });
      assertSecurityHeaders(res, path);
    }
  });

  test('discovery has no console', async () => {
    const endpoints = await (await fetch(`${s.url}/.well-known/drogue-endpoints`)).json();
    assert.equal(endpoints.console, undefined);
    assert.ok(endpoints.api);
  });
});

test('the default console directory is dist/console of the repository when running from source', () => {
  assert.equal(defaultConsoleDir(), fileURLToPath(new URL('../../dist/console/', import.meta.url)));
});
