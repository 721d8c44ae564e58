// set/label's read-modify-write against a fake registry on a real socket: the PUT carries the version that was
// read, a concurrent change is a reported 409 (never retried over), and nothing is written when nothing changes.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { ApiClient } from '../../src/client/http.js';
import { RegistryClient } from '../../src/client/registry.js';
import { parseLabelArgs } from '../../src/commands/options.js';
import { DrgError } from '../../src/errors.js';
import type { Resource } from '../../src/model/resource.js';
import { withAlias } from '../../src/resources/device-spec.js';
import { applyLabelChanges } from '../../src/resources/labels.js';
import { appTarget, deviceTarget, readModifyWrite } from '../../src/resources/target.js';

interface Stored {
  doc: Resource;
  /** Simulates someone else writing right after our GET. */
  raceAfterRead: boolean;
  puts: Resource[];
}

let stored: Stored;
let registry: RegistryClient;
const server = createServer(handle);

function handle(req: IncomingMessage, res: ServerResponse): void {
  let text = '';
  req.on('data', (d) => {
    text += d;
  });
  req.on('end', () => {
    const known = ['/api/registry/v1alpha1/apps/app1', '/api/registry/v1alpha1/apps/app1/devices/d1'];
    if (!known.includes(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"NotFound"}');
      return;
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stored.doc));
      if (stored.raceAfterRead)
        stored.doc = { ...stored.doc, metadata: { ...stored.doc.metadata, resourceVersion: 'rv2' } };
      return;
    }
    const body = JSON.parse(text) as Resource;
    stored.puts.push(body);
    if (body.metadata.resourceVersion && body.metadata.resourceVersion !== stored.doc.metadata.resourceVersion) {
      res.writeHead(409, { 'content-type': 'application/json' });
      res.end('{"error":"OptimisticLockFailed","message":"stale"}');
      return;
    }
    stored.doc = { ...body, metadata: { ...body.metadata, resourceVersion: 'rv-next' } };
    res.writeHead(204).end();
  });
}

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  registry = new RegistryClient(new ApiClient({ baseUrl: `http://127.0.0.1:${port}` }));
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  stored = {
    doc: { metadata: { name: 'd1', application: 'app1', uid: 'u1', resourceVersion: 'rv1', labels: { a: '1' } } },
    raceAfterRead: false,
    puts: [],
  };
});

const addAlias = (d: Resource) => withAlias(d, 'x');

test('the update carries the uid and resourceVersion that were read', async () => {
  assert.equal(await readModifyWrite(registry, deviceTarget('app1', 'd1'), addAlias), 'updated');
  assert.equal(stored.puts.length, 1);
  assert.equal(stored.puts[0].metadata.resourceVersion, 'rv1');
  assert.equal(stored.puts[0].metadata.uid, 'u1');
  assert.deepEqual(stored.puts[0].spec, { alias: ['x'] });
});

test('a concurrent change is a 409 failure, reported once and not retried', async () => {
  stored.raceAfterRead = true;
  await assert.rejects(readModifyWrite(registry, deviceTarget('app1', 'd1'), addAlias), (err: DrgError) => {
    assert.ok(err instanceof DrgError);
    assert.equal(err.httpStatus, 409);
    assert.match(
      err.message,
      /device 'd1' in application 'app1' was changed by someone else while drg was updating it/,
    );
    assert.match(err.hint ?? '', /nothing was changed/);
    return true;
  });
  assert.equal(stored.puts.length, 1, 'no second attempt over the other change');
  assert.equal(stored.doc.spec, undefined, "the other writer's version stands");
});

test('labels: merged into what was read; no write when nothing changes', async () => {
  const label = (args: string[]) => (current: Resource) => ({
    ...current,
    metadata: { ...current.metadata, labels: applyLabelChanges(current.metadata.labels, parseLabelArgs(args)) },
  });
  stored.doc = { metadata: { name: 'app1', uid: 'u1', resourceVersion: 'rv1', labels: { a: '1', b: '2' } } };
  assert.equal(await readModifyWrite(registry, appTarget('app1'), label(['a=1'])), 'unchanged');
  assert.equal(stored.puts.length, 0);
  assert.equal(await readModifyWrite(registry, appTarget('app1'), label(['c=3', 'b-'])), 'updated');
  assert.deepEqual(stored.puts[0].metadata.labels, { a: '1', c: '3' });
  stored.raceAfterRead = true;
  await assert.rejects(
    readModifyWrite(registry, appTarget('app1'), label(['d=4'])),
    (err: DrgError) => err instanceof DrgError && err.httpStatus === 409,
  );
});

test('a missing resource is the 404 from the read; nothing is written', async () => {
  await assert.rejects(readModifyWrite(registry, deviceTarget('app1', 'other'), addAlias), (err: DrgError) => {
    return err instanceof DrgError && err.httpStatus === 404;
  });
  assert.equal(stored.puts.length, 0);
});
