// The registry API end to end over HTTP (in-process server, real socket): codes, Location, URL encoding.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const API = '/api/registry/v1alpha1';

const call = (method: string, path: string, body?: unknown) => s.call(method, path, body);

async function errorKind(res: Response): Promise<string> {
  return (await res.json()).error;
}

test('applications: create (201 + Location), get, conflict, update, list, delete', async () => {
  let res = await call('POST', `${API}/apps`, { metadata: { name: 'app1', labels: { env: 'prod' } } });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('location'), `${API}/apps/app1`);
  assert.equal(await res.text(), '');

  res = await call('POST', `${API}/apps`, { metadata: { name: 'app1' } });
  assert.equal(res.status, 409);
  assert.equal(await errorKind(res), 'Conflict');

  res = await call('POST', `${API}/apps`, { metadata: { name: 'Not_A_DNS_Label' } });
  assert.equal(res.status, 400);

  res = await call('GET', `${API}/apps/app1`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const app = await res.json();
  assert.equal(app.metadata.name, 'app1');
  assert.deepEqual(app.metadata.labels, { env: 'prod' });

  res = await call('PUT', `${API}/apps/app1`, { ...app, spec: { note: 'x' } });
  assert.equal(res.status, 204);
  res = await call('PUT', `${API}/apps/app1`, { ...app, metadata: { ...app.metadata, resourceVersion: 'stale' } });
  assert.equal(res.status, 409);

  await call('POST', `${API}/apps`, { metadata: { name: 'app2', labels: { env: 'dev' } } });
  res = await call('GET', `${API}/apps?labels=${encodeURIComponent('env=prod')}`);
  assert.deepEqual(
    (await res.json()).map((a: { metadata: { name: string } }) => a.metadata.name),
    ['app1'],
  );
  res = await call('GET', `${API}/apps?limit=1&offset=1`);
  assert.deepEqual(
    (await res.json()).map((a: { metadata: { name: string } }) => a.metadata.name),
    ['app2'],
  );

  res = await call('DELETE', `${API}/apps/app2`, { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } });
  assert.equal(res.status, 409);
  const { metadata } = await (await call('GET', `${API}/apps/app2`)).json();
  res = await call('DELETE', `${API}/apps/app2`, { preconditions: { uid: metadata.uid } });
  assert.equal(res.status, 204);
  res = await call('GET', `${API}/apps/app2`);
  assert.equal(res.status, 404);
  assert.equal(await errorKind(res), 'NotFound');
  res = await call('DELETE', `${API}/apps/app2`);
  assert.equal(res.status, 404);
});

test('device names with "/", spaces, "%", "?" and unicode round-trip through URL encoding', async () => {
  await call('POST', `${API}/apps`, { metadata: { name: 'names' } });
  const names = ['a/b', 'with space', '100%', 'q?x#y&z=1', 'ünï€😀', '..dots', 'x'.repeat(255)];
  for (const name of names) {
    const res = await call('POST', `${API}/apps/names/devices`, { metadata: { name }, spec: {} });
    assert.equal(res.status, 201, name);
    const location = res.headers.get('location');
    assert.equal(location, `${API}/apps/names/devices/${encodeURIComponent(name)}`);

    const got = await call('GET', location!);
    assert.equal(got.status, 200, name);
    const device = await got.json();
    assert.equal(device.metadata.name, name);
    assert.equal(device.metadata.application, 'names');
  }
  const listed = await (await call('GET', `${API}/apps/names/devices`)).json();
  assert.deepEqual(listed.map((d: { metadata: { name: string } }) => d.metadata.name).sort(), [...names].sort());

  // "a" and "a/b" are different devices: the encoded slash is not a path separator.
  assert.equal((await call('POST', `${API}/apps/names/devices`, { metadata: { name: 'a' } })).status, 201);
  const res = await call('DELETE', `${API}/apps/names/devices/${encodeURIComponent('a/b')}`);
  assert.equal(res.status, 204);
  assert.equal((await call('GET', `${API}/apps/names/devices/a%2Fb`)).status, 404);
  assert.equal((await call('GET', `${API}/apps/names/devices/a`)).status, 200);
});

test('a device in an application being deleted: 404 ReferenceNotFound, exactly as Drogue Cloud answers', async () => {
  await call('POST', `${API}/apps`, { metadata: { name: 'going', finalizers: ['keep'] } });
  assert.equal((await call('DELETE', `${API}/apps/going`)).status, 204);
  const res = await call('POST', `${API}/apps/going/devices`, { metadata: { name: 'd1' } });
  assert.equal(res.status, 404);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(await res.text(), '{"error":"ReferenceNotFound","message":"Referenced a non-existing entity"}');
});

test('deleting an application leaves its devices with finalizers untouched, and keeps has-devices', async () => {
  await call('POST', `${API}/apps`, { metadata: { name: 'keeper' } });
  await call('POST', `${API}/apps/keeper/devices`, { metadata: { name: 'plain' } });
  await call('POST', `${API}/apps/keeper/devices`, { metadata: { name: 'held', finalizers: ['f'] } });
  const held = await (await call('GET', `${API}/apps/keeper/devices/held`)).text();
  assert.equal((await call('DELETE', `${API}/apps/keeper`)).status, 204);
  assert.equal((await call('GET', `${API}/apps/keeper/devices/plain`)).status, 404);
  assert.equal(await (await call('GET', `${API}/apps/keeper/devices/held`)).text(), held);
  const app = await (await call('GET', `${API}/apps/keeper`)).json();
  assert.deepEqual(app.metadata.finalizers, ['has-devices']);
  assert.ok(app.metadata.deletionTimestamp);
});

test('devices: 409 on duplicates, 404 in a missing app, update and delete with preconditions', async () => {
  await call('POST', `${API}/apps`, { metadata: { name: 'devs' } });
  let res = await call('POST', `${API}/apps/devs/devices`, { metadata: { name: 'd1' }, spec: {} });
  assert.equal(res.status, 201);
  res = await call('POST', `${API}/apps/devs/devices`, { metadata: { name: 'd1' }, spec: {} });
  assert.equal(res.status, 409);
  res = await call('POST', `${API}/apps/missing/devices`, { metadata: { name: 'd1' }, spec: {} });
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { error: 'ReferenceNotFound', message: 'Referenced a non-existing entity' });
  res = await call('GET', `${API}/apps/devs/devices/none`);
  assert.equal(res.status, 404);

  const device = await (await call('GET', `${API}/apps/devs/devices/d1`)).json();
  res = await call('PUT', `${API}/apps/devs/devices/d1`, { ...device, spec: { core: { disabled: true } } });
  assert.equal(res.status, 204);
  const updated = await (await call('GET', `${API}/apps/devs/devices/d1`)).json();
  assert.deepEqual(updated.spec, { core: { disabled: true } });

  res = await call('DELETE', `${API}/apps/devs/devices/d1`, {
    preconditions: { resourceVersion: device.metadata.resourceVersion },
  });
  assert.equal(res.status, 409, 'the resourceVersion changed with the update');
  res = await call('DELETE', `${API}/apps/devs/devices/d1`, { preconditions: { uid: 42 } });
  assert.equal(res.status, 400);
  res = await call('DELETE', `${API}/apps/devs/devices/d1`);
  assert.equal(res.status, 204);
});
