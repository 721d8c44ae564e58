import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Resource } from '../../src/model/resource.js';
import { ApiError } from '../../src/server-lite/errors.js';
import { SqliteRegistry } from '../../src/server-lite/registry/service.js';
import type { Caller, RegistryChange } from '../../src/server-lite/registry/types.js';
import { type Db, openStore } from '../../src/server-lite/store/db.js';
import { opensslCa } from '../helpers/certs.js';
import { tempDir } from '../helpers/serve.js';

const alice: Caller = { user: 'alice' }; // the owner
const rita: Caller = { user: 'rita' }; // reader
const manny: Caller = { user: 'manny' }; // manager
const ada: Caller = { user: 'ada' }; // admin
const sam: Caller = { user: 'sam' }; // stranger

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NOW = new Date('2024-05-06T07:08:09.123Z');

type Doc = Resource & { metadata: Required<Pick<Resource['metadata'], 'uid' | 'resourceVersion' | 'generation'>> };

function rejects(fn: () => unknown, status: number, kind: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${err}`);
    assert.equal(err.status, status, err.message);
    assert.equal(err.kind, kind, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('SqliteRegistry', () => {
  let dir: string;
  let db: Db;
  let reg: SqliteRegistry;
  let changes: RegistryChange[];
  let committedAtNotify: boolean[];

  const app = (caller: Caller, name: string) => JSON.parse(reg.getApp(caller, name)) as Doc;
  const device = (caller: Caller, a: string, name: string) => JSON.parse(reg.getDevice(caller, a, name)) as Doc;
  const names = (json: string) => (JSON.parse(json) as Resource[]).map((r) => r.metadata.name);

  beforeEach(() => {
    dir = tempDir('drg-registry-');
    db = openStore(dir);
    changes = [];
    committedAtNotify = [];
    reg = new SqliteRegistry(db, {
      now: () => NOW,
      onChange: (c) => {
        changes.push(c);
        committedAtNotify.push(!db.inTransaction);
      },
    });
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('create', () => {
    test('sets server-managed metadata and omits empty optional fields', () => {
      assert.deepEqual(reg.createApp(alice, { metadata: { name: 'app1' } }), { name: 'app1' });
      const text = reg.getApp(alice, 'app1');
      const doc = JSON.parse(text);
      assert.deepEqual(Object.keys(doc), ['metadata']);
      assert.deepEqual(Object.keys(doc.metadata), [
        'name',
        'uid',
        'creationTimestamp',
        'generation',
        'resourceVersion',
      ]);
      assert.match(doc.metadata.uid, UUID);
      assert.match(doc.metadata.resourceVersion, UUID);
      assert.notEqual(doc.metadata.uid, doc.metadata.resourceVersion);
      assert.equal(doc.metadata.creationTimestamp, NOW.toISOString());
      assert.equal(doc.metadata.generation, 0);
      assert.deepEqual(changes, [{ kind: 'application', application: 'app1', op: 'created' }]);
      assert.deepEqual(committedAtNotify, [true]);
    });

    test('keeps labels, annotations, finalizers, spec and status in the API order', () => {
      reg.createApp(alice, {
        status: { s: 1 },
        spec: { a: { b: [1, 2] } },
        metadata: { annotations: { note: 'x' }, labels: { tier: 'gold' }, finalizers: ['f1'], name: 'app1' },
      });
      const doc = app(alice, 'app1');
      assert.deepEqual(Object.keys(doc), ['metadata', 'spec', 'status']);
      assert.deepEqual(Object.keys(doc.metadata), [
        'name',
        'uid',
        'creationTimestamp',
        'generation',
        'resourceVersion',
        'finalizers',
        'labels',
        'annotations',
      ]);
      assert.deepEqual(doc.metadata.labels, { tier: 'gold' });
      assert.deepEqual(doc.metadata.annotations, { note: 'x' });
      assert.deepEqual(doc.metadata.finalizers, ['f1']);
      assert.deepEqual(doc.spec, { a: { b: [1, 2] } });
      assert.deepEqual(doc.status, { s: 1 });
    });

    test('empty labels, annotations, finalizers, spec and status are omitted', () => {
      reg.createApp(alice, {
        metadata: { name: 'app1', labels: {}, annotations: {}, finalizers: [] },
        spec: {},
        status: {},
      });
      assert.equal(reg.getApp(alice, 'app1').includes('{}'), false);
      assert.equal(reg.getApp(alice, 'app1').includes('[]'), false);
    });

    test('ignores client-sent uid, resourceVersion, generation and timestamps', () => {
      reg.createApp(alice, {
        metadata: {
          name: 'app1',
          uid: 'u',
          resourceVersion: 'r',
          generation: 7,
          creationTimestamp: '2000-01-01T00:00:00Z',
          deletionTimestamp: '2000-01-01T00:00:00Z',
        },
      });
      const doc = app(alice, 'app1');
      assert.match(doc.metadata.uid, UUID);
      assert.match(doc.metadata.resourceVersion, UUID);
      assert.equal(doc.metadata.generation, 0);
      assert.equal(doc.metadata.creationTimestamp, NOW.toISOString());
      assert.equal(doc.metadata.deletionTimestamp, undefined);
    });

    test('application names are DNS labels', () => {
      reg.createApp(alice, { metadata: { name: 'a'.repeat(63) } });
      reg.createApp(alice, { metadata: { name: 'a-1' } });
      for (const name of ['', 'A', 'a_b', '-a', 'a-', 'a.b', 'a'.repeat(64)]) {
        rejects(() => reg.createApp(alice, { metadata: { name } }), 400, 'BadRequest', /application name/);
      }
    });

    test('device names are 1-255 bytes', () => {
      reg.createApp(alice, { metadata: { name: 'app1' } });
      reg.createDevice(alice, 'app1', { metadata: { name: 'x'.repeat(255) } });
      reg.createDevice(alice, 'app1', { metadata: { name: 'Ä/ä #1 ' } });
      rejects(() => reg.createDevice(alice, 'app1', { metadata: { name: '' } }), 400, 'BadRequest');
      rejects(() => reg.createDevice(alice, 'app1', { metadata: { name: 'x'.repeat(256) } }), 400, 'BadRequest', /255/);
      // 128 two-byte characters: 256 bytes
      rejects(() => reg.createDevice(alice, 'app1', { metadata: { name: 'é'.repeat(128) } }), 400, 'BadRequest');
      assert.equal(device(alice, 'app1', 'Ä/ä #1 ').metadata.name, 'Ä/ä #1 ');
    });

    test('malformed bodies are bad requests', () => {
      const bad: unknown[] = [
        null,
        [],
        'x',
        {},
        { metadata: [] },
        { metadata: {} },
        { metadata: { name: 1 } },
        { metadata: { name: 'a', owner: 'x' } },
        { metadata: { name: 'a', application: 'x' } },
        { metadata: { name: 'a', labels: { k: 1 } } },
        { metadata: { name: 'a', labels: ['k'] } },
        { metadata: { name: 'a', annotations: 'x' } },
        { metadata: { name: 'a', finalizers: 'f' } },
        { metadata: { name: 'a', finalizers: [1] } },
        { metadata: { name: 'a', uid: 1 } },
        { metadata: { name: 'a', generation: -1 } },
        { metadata: { name: 'a' }, spec: [] },
        { metadata: { name: 'a' }, status: 'x' },
      ];
      for (const body of bad) rejects(() => reg.createApp(alice, body), 400, 'BadRequest');
      rejects(() => reg.createApp(alice, { metadata: { name: 'a', owner: 'x' } }), 400, 'BadRequest', /"owner"/);
      assert.equal(reg.listApps(alice, {}), '[]');
      assert.deepEqual(changes, []);
    });

    test('an existing name is a conflict, for anyone', () => {
      reg.createApp(alice, { metadata: { name: 'app1' } });
      rejects(() => reg.createApp(alice, { metadata: { name: 'app1' } }), 409, 'Conflict');
      rejects(() => reg.createApp(sam, { metadata: { name: 'app1' } }), 409, 'Conflict');
      reg.createDevice(alice, 'app1', { metadata: { name: 'd1' } });
      rejects(() => reg.createDevice(alice, 'app1', { metadata: { name: 'd1' } }), 409, 'Conflict');
    });

    test('devices carry the application of the path', () => {
      reg.createApp(alice, { metadata: { name: 'app1' } });
      reg.createApp(alice, { metadata: { name: 'app2' } });
      reg.createDevice(alice, 'app1', { metadata: { name: 'd1' } });
      reg.createDevice(alice, 'app1', { metadata: { name: 'd2', application: 'app1' } });
      rejects(
        () => reg.createDevice(alice, 'app1', { metadata: { name: 'd3', application: 'app2' } }),
        400,
        'BadRequest',
      );
      const d1 = device(alice, 'app1', 'd1');
      assert.equal(d1.metadata.application, 'app1');
      assert.deepEqual(Object.keys(d1.metadata).slice(0, 2), ['name', 'application']);
      // same device name in another application is another device
      reg.createDevice(alice, 'app2', { metadata: { name: 'd1' } });
      assert.notEqual(device(alice, 'app2', 'd1').metadata.uid, d1.metadata.uid);
    });

    test('a device in a missing application is not found', () => {
      rejects(() => reg.createDevice(alice, 'nope', { metadata: { name: 'd1' } }), 404, 'NotFound');
    });
  });

  describe('read', () => {
    test('missing resources are not found', () => {
      rejects(() => reg.getApp(alice, 'nope'), 404, 'NotFound');
      reg.createApp(alice, { metadata: { name: 'app1' } });
      rejects(() => reg.getDevice(alice, 'app1', 'nope'), 404, 'NotFound');
      rejects(() => reg.getDevice(alice, 'nope', 'd1'), 404, 'NotFound');
      rejects(() => reg.listDevices(alice, 'nope', {}), 404, 'NotFound');
    });

    test('lists are ordered by name and page with limit and offset', () => {
      for (const name of ['c', 'a', 'e', 'b', 'd']) reg.createApp(alice, { metadata: { name } });
      assert.deepEqual(names(reg.listApps(alice, {})), ['a', 'b', 'c', 'd', 'e']);
      assert.deepEqual(names(reg.listApps(alice, { limit: 2 })), ['a', 'b']);
      assert.deepEqual(names(reg.listApps(alice, { limit: 2, offset: 2 })), ['c', 'd']);
      assert.deepEqual(names(reg.listApps(alice, { offset: 3 })), ['d', 'e']);
      assert.deepEqual(names(reg.listApps(alice, { offset: 9 })), []);
      assert.deepEqual(names(reg.listApps(alice, { limit: 0 })), []);
      for (const name of ['d3', 'd1', 'd2']) reg.createDevice(alice, 'a', { metadata: { name } });
      assert.deepEqual(names(reg.listDevices(alice, 'a', {})), ['d1', 'd2', 'd3']);
      assert.deepEqual(names(reg.listDevices(alice, 'a', { limit: 1, offset: 1 })), ['d2']);
      assert.equal(reg.listDevices(alice, 'b', {}), '[]');
    });

    test('invalid paging numbers are bad requests', () => {
      reg.createApp(alice, { metadata: { name: 'a' } });
      for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        rejects(() => reg.listApps(alice, { limit: n }), 400, 'BadRequest', /limit/);
        rejects(() => reg.listDevices(alice, 'a', { offset: n }), 400, 'BadRequest', /offset/);
      }
    });

    test('list elements are the same documents as get returns', () => {
      reg.createApp(alice, { metadata: { name: 'a', labels: { k: 'v' } }, spec: { x: 1 } });
      reg.createDevice(alice, 'a', { metadata: { name: 'd' }, spec: { y: [1] } });
      assert.equal(reg.listApps(alice, {}), `[${reg.getApp(alice, 'a')}]`);
      assert.equal(reg.listDevices(alice, 'a', {}), `[${reg.getDevice(alice, 'a', 'd')}]`);
    });
  });

  describe('label selectors', () => {
    beforeEach(() => {
      reg.createApp(alice, { metadata: { name: 'app1' } });
      const labelled: Record<string, Record<string, string> | undefined> = {
        gold: { tier: 'gold', zone: 'eu' },
        silver: { tier: 'silver', zone: 'us' },
        bronze: { tier: 'bronze' },
        plain: undefined,
      };
      for (const [name, labels] of Object.entries(labelled)) {
        reg.createDevice(alice, 'app1', { metadata: { name, labels } });
      }
    });

    const select = (labels: string) => names(reg.listDevices(alice, 'app1', { labels }));

    test('all six operators', () => {
      assert.deepEqual(select('tier=gold'), ['gold']);
      assert.deepEqual(select('tier==silver'), ['silver']);
      assert.deepEqual(select('tier!=gold'), ['bronze', 'silver']);
      assert.deepEqual(select('tier in (gold, bronze)'), ['bronze', 'gold']);
      assert.deepEqual(select('tier notin (gold)'), ['bronze', 'plain', 'silver']);
      assert.deepEqual(select('zone'), ['gold', 'silver']);
      assert.deepEqual(select('!zone'), ['bronze', 'plain']);
    });

    test('!= does not match devices lacking the label', () => {
      assert.deepEqual(select('zone!=eu'), ['silver']);
    });

    test('comma is AND; combined with paging', () => {
      assert.deepEqual(select('tier,!zone'), ['bronze']);
      assert.deepEqual(select('zone in (eu,us),tier!=gold'), ['silver']);
      assert.deepEqual(select('tier=gold,tier=silver'), []);
      assert.deepEqual(names(reg.listDevices(alice, 'app1', { labels: 'tier', limit: 1, offset: 1 })), ['gold']);
      assert.deepEqual(select(''), ['bronze', 'gold', 'plain', 'silver']);
    });

    test('a malformed selector is a bad request', () => {
      rejects(() => reg.listDevices(alice, 'app1', { labels: 'tier in gold' }), 400, 'BadRequest', /selector/);
      rejects(() => reg.listApps(alice, { labels: 'a=b,' }), 400, 'BadRequest', /selector/);
    });

    test('applications are selected by their labels', () => {
      reg.createApp(alice, { metadata: { name: 'app2', labels: { env: 'prod' } } });
      reg.createApp(alice, { metadata: { name: 'app3', labels: { env: 'dev' } } });
      assert.deepEqual(names(reg.listApps(alice, { labels: 'env=prod' })), ['app2']);
      assert.deepEqual(names(reg.listApps(alice, { labels: 'env!=prod' })), ['app3']);
      assert.deepEqual(names(reg.listApps(alice, { labels: '!env' })), ['app1']);
      assert.deepEqual(names(reg.listApps(alice, { labels: 'env notin (dev)' })), ['app1', 'app2']);
    });

    test('selectors follow label updates', () => {
      const gold = device(alice, 'app1', 'gold');
      reg.updateDevice(alice, 'app1', 'gold', { metadata: { name: 'gold', labels: { tier: 'platinum' } } });
      assert.deepEqual(select('tier=gold'), []);
      assert.deepEqual(select('tier=platinum'), ['gold']);
      assert.deepEqual(select('!zone'), ['bronze', 'gold', 'plain']);
      reg.updateApp(alice, 'app1', { metadata: { name: 'app1', labels: { env: 'x' } } });
      assert.deepEqual(names(reg.listApps(alice, { labels: 'env=x' })), ['app1']);
      assert.notEqual(device(alice, 'app1', 'gold').metadata.resourceVersion, gold.metadata.resourceVersion);
    });
  });

  describe('update', () => {
    beforeEach(() => {
      reg.createApp(alice, { metadata: { name: 'app1', labels: { a: '1' } }, spec: { x: { y: 1, z: 2 } } });
      reg.createDevice(alice, 'app1', { metadata: { name: 'd1' }, spec: { s: 1 } });
      changes.length = 0;
    });

    test('the name must match the path', () => {
      rejects(() => reg.updateApp(alice, 'app1', { metadata: { name: 'app2' } }), 400, 'BadRequest', /app2/);
      rejects(() => reg.updateDevice(alice, 'app1', 'd1', { metadata: { name: 'd2' } }), 400, 'BadRequest');
      rejects(
        () => reg.updateDevice(alice, 'app1', 'd1', { metadata: { name: 'd1', application: 'other' } }),
        400,
        'BadRequest',
      );
      rejects(() => reg.updateApp(alice, 'app1', { metadata: { name: 'app1', nope: 1 } }), 400, 'BadRequest');
    });

    test('missing resources are not found', () => {
      rejects(() => reg.updateApp(alice, 'nope', { metadata: { name: 'nope' } }), 404, 'NotFound');
      rejects(() => reg.updateDevice(alice, 'app1', 'nope', { metadata: { name: 'nope' } }), 404, 'NotFound');
    });

    test('a stale uid or resourceVersion fails the optimistic lock; empty ones are not checked', () => {
      const before = app(alice, 'app1');
      const body = (m: object) => ({ metadata: { name: 'app1', labels: { a: '2' }, ...m } });
      rejects(() => reg.updateApp(alice, 'app1', body({ resourceVersion: 'stale' })), 409, 'OptimisticLockFailed');
      rejects(() => reg.updateApp(alice, 'app1', body({ uid: 'other' })), 409, 'OptimisticLockFailed');
      assert.deepEqual(app(alice, 'app1'), before);
      reg.updateApp(
        alice,
        'app1',
        body({ uid: before.metadata.uid, resourceVersion: before.metadata.resourceVersion }),
      );
      const after = app(alice, 'app1');
      assert.deepEqual(after.metadata.labels, { a: '2' });
      rejects(
        () =>
          reg.updateApp(alice, 'app1', body({ resourceVersion: before.metadata.resourceVersion, labels: { a: '3' } })),
        409,
        'OptimisticLockFailed',
      );
      reg.updateApp(alice, 'app1', body({ uid: '', resourceVersion: '', labels: { a: '4' } }));
      assert.deepEqual(app(alice, 'app1').metadata.labels, { a: '4' });

      const d = device(alice, 'app1', 'd1');
      rejects(
        () => reg.updateDevice(alice, 'app1', 'd1', { metadata: { name: 'd1', resourceVersion: 'x' }, spec: { s: 2 } }),
        409,
        'OptimisticLockFailed',
      );
      reg.updateDevice(alice, 'app1', 'd1', {
        metadata: { name: 'd1', resourceVersion: d.metadata.resourceVersion },
        spec: { s: 2 },
      });
      assert.deepEqual(device(alice, 'app1', 'd1').spec, { s: 2 });
    });

    test('a PUT that changes nothing is a no-op', () => {
      const text = reg.getApp(alice, 'app1');
      reg.updateApp(alice, 'app1', JSON.parse(text));
      // same content, different key order and empty optional fields
      reg.updateApp(alice, 'app1', {
        spec: { x: { z: 2, y: 1 } },
        status: {},
        metadata: { name: 'app1', labels: { a: '1' }, annotations: {}, finalizers: [] },
      });
      assert.equal(reg.getApp(alice, 'app1'), text);
      const dtext = reg.getDevice(alice, 'app1', 'd1');
      reg.updateDevice(alice, 'app1', 'd1', JSON.parse(dtext));
      assert.equal(reg.getDevice(alice, 'app1', 'd1'), dtext);
      assert.deepEqual(changes, []);
    });

    test('every change gets a new resourceVersion; generation counts spec changes only', () => {
      const v0 = app(alice, 'app1');
      reg.updateApp(alice, 'app1', { ...v0, metadata: { ...v0.metadata, annotations: { n: 'x' } } });
      const v1 = app(alice, 'app1');
      assert.notEqual(v1.metadata.resourceVersion, v0.metadata.resourceVersion);
      assert.equal(v1.metadata.generation, 0);
      reg.updateApp(alice, 'app1', { ...v1, status: { phase: 'ok' } });
      const v2 = app(alice, 'app1');
      assert.notEqual(v2.metadata.resourceVersion, v1.metadata.resourceVersion);
      assert.equal(v2.metadata.generation, 0);
      assert.deepEqual(v2.status, { phase: 'ok' });
      reg.updateApp(alice, 'app1', { ...v2, spec: { x: { y: 2 } } });
      const v3 = app(alice, 'app1');
      assert.equal(v3.metadata.generation, 1);
      assert.deepEqual(v3.spec, { x: { y: 2 } });
      reg.updateApp(alice, 'app1', { metadata: { name: 'app1', labels: { a: '1' } } });
      const v4 = app(alice, 'app1');
      assert.equal(v4.metadata.generation, 2);
      assert.equal(v4.spec, undefined);
      assert.equal(v4.status, undefined);
      assert.equal(v4.metadata.annotations, undefined);
      assert.equal(v4.metadata.uid, v0.metadata.uid);
      assert.deepEqual(
        changes.map((c) => c.op),
        ['updated', 'updated', 'updated', 'updated'],
      );
    });

    test('device status is writable', () => {
      reg.updateDevice(alice, 'app1', 'd1', {
        metadata: { name: 'd1' },
        spec: { s: 1 },
        status: { firmware: { current: '1.0' } },
      });
      const d = device(alice, 'app1', 'd1');
      assert.deepEqual(d.status, { firmware: { current: '1.0' } });
      assert.equal(d.metadata.generation, 0);
      assert.deepEqual(changes, [{ kind: 'device', application: 'app1', device: 'd1', op: 'updated' }]);
    });

    test('server-managed fields cannot be changed', () => {
      const before = app(alice, 'app1');
      reg.updateApp(alice, 'app1', {
        metadata: {
          ...before.metadata,
          labels: { a: '9' },
          generation: 42,
          creationTimestamp: '2000-01-01T00:00:00Z',
          deletionTimestamp: '2000-01-01T00:00:00Z',
        },
        spec: before.spec,
      });
      const after = app(alice, 'app1');
      assert.equal(after.metadata.generation, before.metadata.generation);
      assert.equal(after.metadata.creationTimestamp, before.metadata.creationTimestamp);
      assert.equal(after.metadata.deletionTimestamp, undefined);
      assert.equal(after.metadata.uid, before.metadata.uid);
      assert.deepEqual(after.metadata.labels, { a: '9' });
      reg.deleteApp(alice, 'app1');
      rejects(() => reg.getApp(alice, 'app1'), 404, 'NotFound');
    });
  });

  describe('delete', () => {
    beforeEach(() => {
      reg.createApp(alice, { metadata: { name: 'app1' } });
    });

    test('without finalizers the resource is removed', () => {
      reg.createDevice(alice, 'app1', { metadata: { name: 'd1', labels: { k: 'v' } } });
      changes.length = 0;
      reg.deleteDevice(alice, 'app1', 'd1');
      rejects(() => reg.getDevice(alice, 'app1', 'd1'), 404, 'NotFound');
      rejects(() => reg.deleteDevice(alice, 'app1', 'd1'), 404, 'NotFound');
      assert.deepEqual(changes, [{ kind: 'device', application: 'app1', device: 'd1', op: 'deleted' }]);
      // the name is free again, and the old labels are gone with the old device
      reg.createDevice(alice, 'app1', { metadata: { name: 'd1' } });
      assert.deepEqual(names(reg.listDevices(alice, 'app1', { labels: 'k' })), []);
      reg.deleteApp(alice, 'app1');
      rejects(() => reg.getApp(alice, 'app1'), 404, 'NotFound');
    });

    test('with finalizers it is marked deleted until a PUT removes the last finalizer', () => {
      reg.createDevice(alice, 'app1', { metadata: { name: 'd1', finalizers: ['f1', 'f2'] }, spec: { s: 1 } });
      changes.length = 0;
      reg.deleteDevice(alice, 'app1', 'd1');
      const marked = device(alice, 'app1', 'd1');
      assert.equal(marked.metadata.deletionTimestamp, NOW.toISOString());
      assert.deepEqual(marked.metadata.finalizers, ['f1', 'f2']);
      assert.deepEqual(changes, [{ kind: 'device', application: 'app1', device: 'd1', op: 'updated' }]);

      // deleting again changes nothing
      reg.deleteDevice(alice, 'app1', 'd1');
      assert.deepEqual(device(alice, 'app1', 'd1'), marked);

      reg.updateDevice(alice, 'app1', 'd1', { ...marked, metadata: { ...marked.metadata, finalizers: ['f2'] } });
      const still = device(alice, 'app1', 'd1');
      assert.deepEqual(still.metadata.finalizers, ['f2']);
      assert.equal(still.metadata.deletionTimestamp, marked.metadata.deletionTimestamp);

      reg.updateDevice(alice, 'app1', 'd1', { ...still, metadata: { ...still.metadata, finalizers: [] } });
      rejects(() => reg.getDevice(alice, 'app1', 'd1'), 404, 'NotFound');
      assert.deepEqual(changes.at(-1), { kind: 'device', application: 'app1', device: 'd1', op: 'deleted' });
    });

    test('preconditions must match', () => {
      reg.createDevice(alice, 'app1', { metadata: { name: 'd1' } });
      const d = device(alice, 'app1', 'd1');
      rejects(() => reg.deleteDevice(alice, 'app1', 'd1', { uid: 'other' }), 409, 'OptimisticLockFailed');
      rejects(() => reg.deleteDevice(alice, 'app1', 'd1', { resourceVersion: 'old' }), 409, 'OptimisticLockFailed');
      reg.deleteDevice(alice, 'app1', 'd1', { uid: d.metadata.uid, resourceVersion: d.metadata.resourceVersion });
      rejects(() => reg.getDevice(alice, 'app1', 'd1'), 404, 'NotFound');

      const a = app(alice, 'app1');
      rejects(() => reg.deleteApp(alice, 'app1', { resourceVersion: 'old' }), 409, 'OptimisticLockFailed');
      reg.deleteApp(alice, 'app1', { uid: '', resourceVersion: a.metadata.resourceVersion });
      rejects(() => reg.getApp(alice, 'app1'), 404, 'NotFound');
    });

    test('an application with finalizers stays until they are removed', () => {
      reg.createApp(alice, { metadata: { name: 'app2', finalizers: ['keep'] } });
      reg.deleteApp(alice, 'app2');
      const marked = app(alice, 'app2');
      assert.equal(marked.metadata.deletionTimestamp, NOW.toISOString());
      rejects(() => reg.createDevice(alice, 'app2', { metadata: { name: 'd1' } }), 404, 'NotFound');
      reg.deleteApp(alice, 'app2');
      assert.deepEqual(app(alice, 'app2'), marked);
      reg.updateApp(alice, 'app2', { metadata: { name: 'app2' } });
      rejects(() => reg.getApp(alice, 'app2'), 404, 'NotFound');
      // the name is free again
      reg.createApp(sam, { metadata: { name: 'app2' } });
      assert.notEqual(app(sam, 'app2').metadata.uid, marked.metadata.uid);
    });

    test('deleting an application deletes its devices; devices with finalizers keep it alive', () => {
      reg.updateApp(alice, 'app1', { metadata: { name: 'app1', finalizers: ['keep'] } });
      reg.createDevice(alice, 'app1', { metadata: { name: 'plain1', labels: { k: 'v' } } });
      reg.createDevice(alice, 'app1', { metadata: { name: 'plain2' } });
      reg.createDevice(alice, 'app1', { metadata: { name: 'held1', finalizers: ['f'] } });
      reg.createDevice(alice, 'app1', { metadata: { name: 'held2', finalizers: ['f'] } });
      changes.length = 0;

      reg.deleteApp(alice, 'app1');
      assert.deepEqual(names(reg.listDevices(alice, 'app1', {})), ['held1', 'held2']);
      for (const name of ['held1', 'held2']) {
        assert.equal(device(alice, 'app1', name).metadata.deletionTimestamp, NOW.toISOString());
      }
      const deleting = app(alice, 'app1');
      assert.equal(deleting.metadata.deletionTimestamp, NOW.toISOString());
      assert.deepEqual(deleting.metadata.finalizers, ['keep', 'has-devices']);
      assert.deepEqual(changes.map((c) => `${c.op} ${c.device ?? c.application}`).sort(), [
        'deleted plain1',
        'deleted plain2',
        'updated app1',
        'updated held1',
        'updated held2',
      ]);
      rejects(() => reg.createDevice(alice, 'app1', { metadata: { name: 'new' } }), 404, 'NotFound');

      // the server keeps has-devices while devices remain, whatever the client sends
      reg.updateApp(alice, 'app1', { metadata: { name: 'app1', finalizers: ['keep'] } });
      assert.deepEqual(app(alice, 'app1').metadata.finalizers, ['keep', 'has-devices']);
      reg.updateApp(alice, 'app1', { metadata: { name: 'app1' } });
      assert.deepEqual(app(alice, 'app1').metadata.finalizers, ['has-devices']);

      const held1 = device(alice, 'app1', 'held1');
      reg.updateDevice(alice, 'app1', 'held1', { metadata: { ...held1.metadata, finalizers: [] } });
      assert.deepEqual(app(alice, 'app1').metadata.finalizers, ['has-devices']);

      changes.length = 0;
      const held2 = device(alice, 'app1', 'held2');
      reg.updateDevice(alice, 'app1', 'held2', { metadata: { ...held2.metadata, finalizers: [] } });
      rejects(() => reg.getApp(alice, 'app1'), 404, 'NotFound');
      assert.deepEqual(changes, [
        { kind: 'device', application: 'app1', device: 'held2', op: 'deleted' },
        { kind: 'application', application: 'app1', op: 'deleted' },
      ]);
      assert.ok(committedAtNotify.every((committed) => committed));
    });

    test('has-devices is removed when the last device goes; other finalizers keep the application', () => {
      reg.updateApp(alice, 'app1', { metadata: { name: 'app1', finalizers: ['keep'] } });
      reg.createDevice(alice, 'app1', { metadata: { name: 'held', finalizers: ['f'] } });
      reg.deleteApp(alice, 'app1');
      const before = app(alice, 'app1');
      const held = device(alice, 'app1', 'held');
      reg.updateDevice(alice, 'app1', 'held', { metadata: { ...held.metadata, finalizers: [] } });
      const after = app(alice, 'app1');
      assert.deepEqual(after.metadata.finalizers, ['keep']);
      assert.notEqual(after.metadata.resourceVersion, before.metadata.resourceVersion);
      assert.equal(after.metadata.deletionTimestamp, before.metadata.deletionTimestamp);
      reg.updateApp(alice, 'app1', { metadata: { name: 'app1' } });
      rejects(() => reg.getApp(alice, 'app1'), 404, 'NotFound');
    });

    test('a plain DELETE of the last held device also releases the application', () => {
      reg.createDevice(alice, 'app1', { metadata: { name: 'held', finalizers: ['f'] } });
      reg.deleteDevice(alice, 'app1', 'held');
      reg.deleteApp(alice, 'app1');
      assert.deepEqual(app(alice, 'app1').metadata.finalizers, ['has-devices']);
      const held = device(alice, 'app1', 'held');
      reg.updateDevice(alice, 'app1', 'held', { metadata: { ...held.metadata, finalizers: [] } });
      rejects(() => reg.getApp(alice, 'app1'), 404, 'NotFound');
    });
  });

  describe('ownership and access', () => {
    beforeEach(() => {
      reg.createApp(alice, { metadata: { name: 'shared' } });
      reg.createApp(alice, { metadata: { name: 'private' } });
      reg.createApp(sam, { metadata: { name: 'sams' } });
      reg.setMembers(alice, 'shared', { rita: { role: 'reader' }, manny: { role: 'manager' }, ada: { role: 'admin' } });
      reg.createDevice(alice, 'shared', { metadata: { name: 'd1' } });
      reg.createDevice(alice, 'private', { metadata: { name: 'd1' } });
    });

    const put = (caller: Caller, name: string) => () =>
      reg.updateApp(caller, name, { metadata: { name, annotations: { by: caller.user! } } });
    const putDevice = (caller: Caller) => () =>
      reg.updateDevice(caller, 'shared', 'd1', { metadata: { name: 'd1', annotations: { by: caller.user! } } });

    test('lists contain only what the caller may read', () => {
      assert.deepEqual(names(reg.listApps(alice, {})), ['private', 'shared']);
      for (const member of [rita, manny, ada]) assert.deepEqual(names(reg.listApps(member, {})), ['shared']);
      assert.deepEqual(names(reg.listApps(sam, {})), ['sams']);
      assert.equal(reg.listApps({}, {}), '[]');
    });

    test('owner and members read; anyone else gets 403 for the application and 404 for its devices', () => {
      for (const caller of [alice, rita, manny, ada]) {
        assert.equal(app(caller, 'shared').metadata.name, 'shared');
        assert.equal(device(caller, 'shared', 'd1').metadata.name, 'd1');
        assert.deepEqual(names(reg.listDevices(caller, 'shared', {})), ['d1']);
      }
      rejects(() => reg.getApp(sam, 'shared'), 403, 'Forbidden');
      rejects(() => reg.getApp(rita, 'private'), 403, 'Forbidden');
      rejects(() => reg.getDevice(sam, 'shared', 'd1'), 404, 'NotFound');
      rejects(() => reg.listDevices(sam, 'shared', {}), 404, 'NotFound');
      rejects(() => reg.getDevice(rita, 'private', 'd1'), 404, 'NotFound');
    });

    test('owner, manager and admin write; reader and stranger do not', () => {
      for (const caller of [alice, manny, ada]) {
        put(caller, 'shared')();
        assert.deepEqual(app(alice, 'shared').metadata.annotations, { by: caller.user });
        putDevice(caller)();
        assert.deepEqual(device(alice, 'shared', 'd1').metadata.annotations, { by: caller.user });
        reg.createDevice(caller, 'shared', { metadata: { name: `by-${caller.user}` } });
        reg.deleteDevice(caller, 'shared', `by-${caller.user}`);
      }
      rejects(put(rita, 'shared'), 403, 'Forbidden');
      rejects(put(sam, 'shared'), 403, 'Forbidden');
      rejects(putDevice(rita), 403, 'Forbidden');
      rejects(putDevice(sam), 404, 'NotFound');
      rejects(() => reg.createDevice(rita, 'shared', { metadata: { name: 'x' } }), 403, 'Forbidden');
      rejects(() => reg.createDevice(sam, 'shared', { metadata: { name: 'x' } }), 404, 'NotFound');
      rejects(() => reg.deleteDevice(rita, 'shared', 'd1'), 403, 'Forbidden');
      rejects(() => reg.deleteDevice(sam, 'shared', 'd1'), 404, 'NotFound');
      assert.equal(device(alice, 'shared', 'd1').metadata.name, 'd1');
      assert.deepEqual(app(alice, 'shared').metadata.annotations, { by: 'ada' });
    });

    test('only owner and admin delete the application', () => {
      rejects(() => reg.deleteApp(rita, 'shared'), 403, 'Forbidden');
      rejects(() => reg.deleteApp(manny, 'shared'), 403, 'Forbidden');
      rejects(() => reg.deleteApp(sam, 'shared'), 403, 'Forbidden');
      rejects(() => reg.deleteApp(ada, 'private'), 403, 'Forbidden');
      reg.deleteApp(ada, 'shared');
      rejects(() => reg.getApp(alice, 'shared'), 404, 'NotFound');
      reg.deleteApp(alice, 'private');
      rejects(() => reg.getApp(alice, 'private'), 404, 'NotFound');
    });

    test('owner and members are not part of the resource', () => {
      for (const text of [reg.getApp(alice, 'shared'), reg.listApps(rita, {}), reg.getDevice(alice, 'shared', 'd1')]) {
        for (const word of ['alice', 'rita', 'owner', 'members']) assert.equal(text.includes(word), false, text);
      }
    });

    test('members: read back, roles validated, resourceVersion locked and bumped', () => {
      const before = app(alice, 'shared');
      const members = reg.getMembers(alice, 'shared');
      assert.equal(members.resourceVersion, before.metadata.resourceVersion);
      assert.deepEqual(members.members, {
        ada: { role: 'admin' },
        manny: { role: 'manager' },
        rita: { role: 'reader' },
      });
      rejects(() => reg.setMembers(alice, 'shared', { sam: { role: 'owner' } }), 400, 'BadRequest');
      rejects(() => reg.setMembers(alice, 'shared', { sam: 'reader' }), 400, 'BadRequest');
      rejects(() => reg.setMembers(alice, 'shared', { sam: { role: 'reader' } }, 'stale'), 409, 'OptimisticLockFailed');
      rejects(() => reg.setMembers(alice, 'nope', {}), 404, 'NotFound');
      reg.setMembers(alice, 'shared', { sam: { role: 'reader' } }, members.resourceVersion);
      assert.deepEqual(reg.getMembers(alice, 'shared').members, { sam: { role: 'reader' } });
      assert.notEqual(app(alice, 'shared').metadata.resourceVersion, before.metadata.resourceVersion);
      assert.equal(app(sam, 'shared').metadata.name, 'shared');
      rejects(() => reg.getApp(rita, 'shared'), 403, 'Forbidden');
    });

    test('an anonymous caller cannot create', () => {
      rejects(() => reg.createApp({}, { metadata: { name: 'anon' } }), 403, 'Forbidden');
    });
  });

  describe('trust anchors', () => {
    const anchor = (): string => {
      const ca = opensslCa(
        dir,
        'ca',
        [
          ['O', 'Drogue IoT'],
          ['CN', 'Registry Test'],
        ],
        10,
      );
      return Buffer.from(ca.pem).toString('base64');
    };

    test('the status is computed on every write and cannot be written by clients', () => {
      const certificate = anchor();
      const spec = {
        trustAnchors: { anchors: [{ certificate }, { certificate: Buffer.from('x').toString('base64') }] },
      };
      reg.createApp(alice, { metadata: { name: 'app1' }, spec, status: { trustAnchors: 'forged' } });
      const created = app(alice, 'app1');
      const anchors = (created.status as { trustAnchors: { anchors: Record<string, Record<string, string>>[] } })
        .trustAnchors.anchors;
      assert.equal(anchors.length, 2);
      assert.equal(anchors[0].valid.subject, 'O=Drogue IoT, CN=Registry Test');
      assert.equal(anchors[0].valid.certificate, certificate);
      assert.equal(anchors[1].invalid.error, 'NoCertificateFound');

      // a PUT sending back a forged status changes nothing
      reg.updateApp(alice, 'app1', { ...created, status: { trustAnchors: { anchors: [] } } });
      assert.deepEqual(app(alice, 'app1'), created);

      // other status fields are the client's; removing the anchors removes status.trustAnchors
      reg.updateApp(alice, 'app1', { metadata: { name: 'app1' }, status: { other: 1 } });
      assert.deepEqual(app(alice, 'app1').status, { other: 1 });
      reg.updateApp(alice, 'app1', { metadata: { name: 'app1' } });
      assert.equal(app(alice, 'app1').status, undefined);
    });

    test('a malformed trustAnchors section is a bad request', () => {
      rejects(
        () => reg.createApp(alice, { metadata: { name: 'app1' }, spec: { trustAnchors: { anchors: 'x' } } }),
        400,
        'BadRequest',
      );
    });
  });

  test('data persists across reopening the store', () => {
    reg.createApp(alice, { metadata: { name: 'app1', labels: { env: 'prod' } } });
    reg.setMembers(alice, 'app1', { rita: { role: 'reader' } });
    reg.createDevice(alice, 'app1', { metadata: { name: 'd1', labels: { tier: 'gold' } }, spec: { s: 1 } });
    reg.createDevice(alice, 'app1', { metadata: { name: 'd2', finalizers: ['f'] } });
    reg.deleteDevice(alice, 'app1', 'd2');
    const appText = reg.getApp(alice, 'app1');
    const devicesText = reg.listDevices(alice, 'app1', {});
    db.close();

    db = openStore(dir);
    reg = new SqliteRegistry(db);
    assert.equal(reg.getApp(alice, 'app1'), appText);
    assert.equal(reg.getApp(rita, 'app1'), appText);
    assert.equal(reg.listDevices(alice, 'app1', {}), devicesText);
    assert.deepEqual(names(reg.listDevices(alice, 'app1', { labels: 'tier=gold' })), ['d1']);
    assert.deepEqual(names(reg.listApps(alice, { labels: 'env=prod' })), ['app1']);
    assert.ok(device(alice, 'app1', 'd2').metadata.deletionTimestamp);
  });
});
