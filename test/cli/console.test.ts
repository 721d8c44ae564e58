// `drg console`: the console URL from the context's discovery, printed (and opened where there is a display; the
// tests never open one: --no-browser, or no DISPLAY), against drg serve with and without a built console, and
// against stand-ins for a Drogue Cloud cluster and a server naming something that is not a web page.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { type LocalServer, runDrg, startLocalServer } from '../helpers/drg.js';
import { configFor, fails, ok, tempDir } from '../helpers/serve.js';
import { peer } from '../helpers/transport.js';

const NO_DISPLAY = { DISPLAY: '', WAYLAND_DISPLAY: '' };

function builtConsole(): string {
  const dir = join(tempDir('drg-console-'), 'console');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!DOCTYPE html><title>drg console</title>\n');
  return dir;
}

describe('against drg serve with its console', () => {
  let local: LocalServer;
  before(async () => {
    local = await startLocalServer({ consoleDir: builtConsole() });
  });
  after(() => local.server.close());

  test('prints the console URL of the context', async () => {
    const r = ok(await local.run(['console', '--no-browser']));
    assert.equal(r.stdout, `${local.url}/console/\n`);
    assert.equal(r.stderr, '');
    // What it prints answers with the console.
    assert.equal((await fetch(r.stdout.trim())).status, 200);
  });

  test('-o json: one document', async () => {
    const r = ok(await local.run(['console', '--no-browser', '-o', 'json']));
    assert.deepEqual(JSON.parse(r.stdout), { console: `${local.url}/console/` });
  });

  test('without a display it prints the URL and says it opened nothing', async () => {
    const r = ok(await local.run(['console'], { env: NO_DISPLAY }));
    assert.equal(r.stdout, `${local.url}/console/\n`);
    assert.match(r.stderr, /no display to open a browser on/);
  });
});

test('a drg serve whose console is not built has none: an error naming the server', async () => {
  const local = await startLocalServer({ consoleDir: join(tempDir('drg-console-'), 'missing') });
  try {
    const r = fails(await local.run(['console', '--no-browser']), /the server at \S+ has no console/);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`the server at ${local.url} has no console`));
    assert.equal(r.stdout, '');
  } finally {
    await local.server.close();
  }
});

/** A cluster whose discovery names `console`. */
async function cluster(t: TestContext, console: unknown) {
  const server = await peer(t, (request, response) => {
    if (request.url === '/.well-known/drogue-endpoints') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ api: 'x', console }));
    } else response.writeHead(404).end();
  });
  return configFor(server.url);
}

test("a Drogue Cloud cluster's console, from its discovery", async (t) => {
  const config = await cluster(t, 'https://console.sandbox.drogue.cloud');
  const r = ok(await runDrg(config, ['console'], { env: NO_DISPLAY }));
  assert.equal(r.stdout, 'https://console.sandbox.drogue.cloud/\n');
});

test('a console that is not an http(s) URL is refused, never handed to a browser', async (t) => {
  for (const console of ['javascript:alert(1)', 'file:///etc/passwd', 'not a url', 42]) {
    const config = await cluster(t, console);
    const r = fails(await runDrg(config, ['console']), /names a console that is not an http\(s\) URL/);
    assert.equal(r.stdout, '', String(console));
  }
});

test('--help explains it with examples', async () => {
  const r = ok(await runDrg(configFor('http://127.0.0.1:1'), ['console', '--help']));
  assert.match(r.stdout, /--no-browser/);
  assert.match(r.stdout, /drg console -c local --no-browser/);
});
