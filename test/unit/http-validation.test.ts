// Input the registry cannot store or serve is refused with a 400 that states the rule, before anything is committed:
// lone surrogates, documents nested too deeply, label and annotation keys selectors cannot match, selectors SQLite
// would refuse, limits above the maximum.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
  const res = await send('POST', APPS, '{"metadata":{"name":"app1"}}');
  assert.equal(res.status, 201);
});
after(() => s.close());

const APPS = '/api/registry/v1alpha1/apps';
const DEVICES = `${APPS}/app1/devices`;

function send(method: string, path: string, body?: string): Promise<Response> {
  return fetch(`${s.url}${path}`, {
    method,
    headers: { authorization: s.authorization, 'content-type': 'application/json' },
    body,
  });
}

async function refused(res: Response, message: RegExp): Promise<void> {
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error, 'BadRequest');
  assert.match(body.message, message);
}

async function deviceNames(): Promise<string[]> {
  const res = await send('GET', DEVICES);
  assert.equal(res.status, 200);
  return (await res.json()).map((d: { metadata: { name: string } }) => d.metadata.name);
}

/** A device document whose `spec.x` nests `levels` levels deep (the document itself adds two). */
function nested(name: string, levels: number): string {
  return `{"metadata":{"name":"${name}"},"spec":{"x":${'['.repeat(levels)}${']'.repeat(levels)}}}`;
}

test('a lone surrogate anywhere in a document is refused, and nothing is committed', async () => {
  // JSON.parse takes "\ud800"; UTF-8 cannot carry it, so it could be neither served nor named in a URL.
  const lone = '\\ud800';
  const documents: Array<[string, RegExp]> = [
    [`{"metadata":{"name":"x${lone}"}}`, /^metadata\.name is not valid Unicode: it holds a lone UTF-16 surrogate/],
    [`{"metadata":{"name":"d","labels":{"k":"v${lone}"}}}`, /^metadata\.labels\.k is not valid Unicode/],
    [`{"metadata":{"name":"d","annotations":{"note":"${lone}"}}}`, /^metadata\.annotations\.note is not valid/],
    [`{"metadata":{"name":"d","finalizers":["f${lone}"]}}`, /^metadata\.finalizers\[0\] is not valid Unicode/],
    [`{"metadata":{"name":"d"},"spec":{"a":[{"b":"${lone}"}]}}`, /^spec\.a\[0\]\.b is not valid Unicode/],
    [`{"metadata":{"name":"d"},"spec":{"k${lone}":1}}`, /^the key "k\\ud800" of spec is not valid Unicode/],
  ];
  for (const [body, message] of documents) await refused(await send('POST', DEVICES, body), message);
  assert.deepEqual(await deviceNames(), []);

  // A surrogate pair is a character like any other.
  assert.equal((await send('POST', DEVICES, '{"metadata":{"name":"\\ud83d\\ude00"}}')).status, 201);
  const res = await send('GET', `${DEVICES}/${encodeURIComponent('😀')}`);
  assert.equal((await res.json()).metadata.name, '😀');
  assert.equal((await send('DELETE', `${DEVICES}/${encodeURIComponent('😀')}`)).status, 204);

  const created = await send('POST', DEVICES, '{"metadata":{"name":"kept"}}');
  assert.equal(created.status, 201);
  const device = await (await send('GET', `${DEVICES}/kept`)).json();
  device.spec = { note: 'x' };
  const update = JSON.stringify(device).replace('"note":"x"', `"note":"x${lone}"`);
  await refused(await send('PUT', `${DEVICES}/kept`, update), /^spec\.note is not valid Unicode/);
  assert.deepEqual((await (await send('GET', `${DEVICES}/kept`)).json()).spec, undefined);
  assert.equal((await send('DELETE', `${DEVICES}/kept`)).status, 204);
});

test('a body nested deeper than 64 levels is refused before it is parsed; 64 levels are stored and served', async () => {
  for (const levels of [63, 4_100, 300_000]) {
    await refused(await send('POST', DEVICES, nested('deep', levels)), /^the request body nests deeper than 64 levels/);
  }
  assert.deepEqual(await deviceNames(), []);
  assert.doesNotMatch(s.logs(), /"level":50/);

  assert.equal((await send('POST', DEVICES, nested('deepest', 62))).status, 201);
  const device = await (await send('GET', `${DEVICES}/deepest`)).json();
  device.metadata.labels = { changed: 'yes' };
  assert.equal((await send('PUT', `${DEVICES}/deepest`, JSON.stringify(device))).status, 204);
  assert.equal((await send('DELETE', `${DEVICES}/deepest`)).status, 204);
});

test('label keys and values follow Kubernetes’ rules, annotation keys too', async () => {
  const documents: Array<[Record<string, unknown>, RegExp]> = [
    [{ labels: { 'bad key!': 'v' } }, /^invalid label key "bad key!": the name must be 1-63 characters/],
    [{ labels: { '': 'v' } }, /^invalid label key "": the name must be 1-63 characters/],
    [{ labels: { 'Example.com/x': 'v' } }, /^invalid label key "Example\.com\/x": the prefix must be a lowercase DNS/],
    [{ labels: { k: 'a b' } }, /^invalid label value "a b"/],
    [{ labels: { k: 'x'.repeat(64) } }, /^invalid label value "x{64}"/],
    [{ annotations: { 'bad key!': 'any text' } }, /^invalid annotation key "bad key!": the name must be 1-63/],
  ];
  for (const [metadata, message] of documents) {
    await refused(await send('POST', DEVICES, JSON.stringify({ metadata: { name: 'd', ...metadata } })), message);
    await refused(await send('POST', APPS, JSON.stringify({ metadata: { name: 'a2', ...metadata } })), message);
  }
  assert.deepEqual(await deviceNames(), []);

  const fine = { labels: { 'example.com/tier': 'gold', empty: '' }, annotations: { 'example.com/note': 'any text!' } };
  assert.equal((await send('POST', DEVICES, JSON.stringify({ metadata: { name: 'fine', ...fine } }))).status, 201);
  const selected = await send('GET', `${DEVICES}?labels=${encodeURIComponent('example.com/tier=gold,empty=')}`);
  assert.deepEqual(
    (await selected.json()).map((d: { metadata: { name: string } }) => d.metadata.name),
    ['fine'],
  );
  assert.equal((await send('DELETE', `${DEVICES}/fine`)).status, 204);
});

test('a selector of more than 100 requirements is refused with the limit; 100 are answered', async () => {
  const selector = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(',');
  for (const n of [101, 991]) {
    const res = await send('GET', `${DEVICES}?labels=${selector(n)}`);
    await refused(res, /^the label selector has more than 100 requirements \(the limit\)/);
  }
  const res = await send('GET', `${DEVICES}?labels=${selector(100)}`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), []);
});

test('a limit above 1000 is refused with the maximum; 1000 is answered', async () => {
  for (const path of [APPS, DEVICES]) {
    await refused(await send('GET', `${path}?limit=1001`), /^limit must be at most 1000: page with limit and offset/);
    assert.equal((await send('GET', `${path}?limit=1000`)).status, 200);
  }
});
