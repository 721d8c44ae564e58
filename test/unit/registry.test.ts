import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Resource } from '../../src/model/resource.js';
import { matches, parseSelector } from '../../src/model/selector.js';
import { REGISTRY_STATUS } from '../../src/server-lite/http/errors.js';
import type { Caller } from '../../src/server-lite/registry/access.js';
import { RegistryError } from '../../src/server-lite/registry/errors.js';
import type { RegistryEvent } from '../../src/server-lite/registry/events.js';
import { Registry } from '../../src/server-lite/registry/registry.js';
import { type Db, openStore } from '../../src/server-lite/store/db.js';
import { opensslCa } from '../helpers/certs.js';
import { listText } from '../helpers/listing.js';
import { tempDir } from '../helpers/serve.js';

const alice: Caller = { user: 'alice' }; // the owner
const rita: Caller = { user: 'rita' }; // reader
const manny: Caller = { user: 'manny' }; // manager
const ada: Caller = { user: 'ada' }; // admin
const sam: Caller = { user: 'sam' }; // stranger

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NOW = new Date('2024-05-06T07:08:09.123Z');

type Doc = Resource & { metadata: Required<Pick<Resource['metadata'], 'uid' | 'resourceVersion' | 'generation'>> };

/** `fn` throws a RegistryError of `kind`, which the HTTP API answers with `status`. */
function rejects(fn: () => unknown, status: number, kind: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof RegistryError, `expected a RegistryError, got ${err}`);
    assert.equal(REGISTRY_STATUS[err.kind], status, err.message);
    assert.equal(err.kind, kind, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** What the tests compare of an event (uid and resourceVersion have tests of their own). */
type Change = Pick<RegistryEvent, 'kind' | 'application' | 'device' | 'operation'>;

describe('Registry', () => {
  let dir: string;
  let db: Db;
  let reg: Registry;
  let changes: Change[];
  let committedAtNotify: boolean[];

  const app = (caller: Caller, name: string) => JSON.parse(reg.applications.get(caller, name)) as Doc;
  const device = (caller: Caller, a: string, name: string) => JSON.parse(reg.devices.get(caller, a, name)) as Doc;
  const names = (listing: Iterable<string>) =>
    (JSON.parse(listText(listing)) as Resource[]).map((r) => r.metadata.name);

  beforeEach(() => {
    dir = tempDir('drg-registry-');
    db = openStore(dir);
    changes = [];
    committedAtNotify = [];
    reg = new Registry(db, { now: () => NOW });
    reg.events.subscribe('test', ({ kind, application, device, operation }) => {
      changes.push(device === undefined ? { kind, application, operation } : { kind, application, device, operation });
      committedAtNotify.push(!db.inTransaction);
    });
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('create', () => {
    test('sets server-managed metadata and omits empty optional fields', () => {
      assert.deepEqual(reg.applications.create(alice, { metadata: { name: 'app1' } }), { name: 'app1' });
      const text = reg.applications.get(alice, 'app1');
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
      assert.deepEqual(changes, [{ kind: 'application', application: 'app1', operation: 'created' }]);
      assert.deepEqual(committedAtNotify, [true]);
    });

    test('keeps labels, annotations, finalizers, spec and status in the API order', () => {
      reg.applications.create(alice, {
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
      reg.applications.create(alice, {
        metadata: { name: 'app1', labels: {}, annotations: {}, finalizers: [] },
        spec: {},
        status: {},
      });
      assert.equal(reg.applications.get(alice, 'app1').includes('{}'), false);
      assert.equal(reg.applications.get(alice, 'app1').includes('[]'), false);
    });

    test('ignores client-sent uid, resourceVersion, generation and timestamps', () => {
      reg.applications.create(alice, {
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
      reg.applications.create(alice, { metadata: { name: 'a'.repeat(63) } });
      reg.applications.create(alice, { metadata: { name: 'a-1' } });
      for (const name of ['', 'A', 'a_b', '-a', 'a-', 'a.b', 'a'.repeat(64)]) {
        rejects(() => reg.applications.create(alice, { metadata: { name } }), 400, 'BadRequest', /application name/);
      }
    });

    test('device names are 1-255 bytes', () => {
      reg.applications.create(alice, { metadata: { name: 'app1' } });
      reg.devices.create(alice, 'app1', { metadata: { name: 'x'.repeat(255) } });
      reg.devices.create(alice, 'app1', { metadata: { name: 'Ä/ä #1 ' } });
      rejects(() => reg.devices.create(alice, 'app1', { metadata: { name: '' } }), 400, 'BadRequest');
      rejects(
        () => reg.devices.create(alice, 'app1', { metadata: { name: 'x'.repeat(256) } }),
        400,
        'BadRequest',
        /255/,
      );
      // 128 two-byte characters: 256 bytes
      rejects(() => reg.devices.create(alice, 'app1', { metadata: { name: 'é'.repeat(128) } }), 400, 'BadRequest');
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
        { metadata: { name: 'a', labels: { 'bad key!': 'v' } } },
        { metadata: { name: 'a', labels: { '': 'v' } } },
        { metadata: { name: 'a', labels: { k: 'not a value' } } },
        { metadata: { name: 'a', annotations: { 'bad key!': 'v' } } },
        { metadata: { name: 'a\ud800' } },
        { metadata: { name: 'a' }, spec: { x: JSON.parse(`${'['.repeat(63)}${']'.repeat(63)}`) } },
        { metadata: { name: 'a', annotations: 'x' } },
        { metadata: { name: 'a', finalizers: 'f' } },
        { metadata: { name: 'a', finalizers: [1] } },
        { metadata: { name: 'a', uid: 1 } },
        { metadata: { name: 'a', generation: -1 } },
        { metadata: { name: 'a' }, spec: [] },
        { metadata: { name: 'a' }, status: 'x' },
      ];
      for (const body of bad) rejects(() => reg.applications.create(alice, body), 400, 'BadRequest');
      rejects(
        () => reg.applications.create(alice, { metadata: { name: 'a', owner: 'x' } }),
        400,
        'BadRequest',
        /"metadata\.owner"/,
      );
      assert.equal(listText(reg.applications.list(alice, {})), '[]');
      assert.deepEqual(changes, []);
    });

    test('an existing name is a conflict, for anyone', () => {
      reg.applications.create(alice, { metadata: { name: 'app1' } });
      rejects(() => reg.applications.create(alice, { metadata: { name: 'app1' } }), 409, 'Conflict');
      rejects(() => reg.applications.create(sam, { metadata: { name: 'app1' } }), 409, 'Conflict');
      reg.devices.create(alice, 'app1', { metadata: { name: 'd1' } });
      rejects(() => reg.devices.create(alice, 'app1', { metadata: { name: 'd1' } }), 409, 'Conflict');
    });

    test('devices carry the application of the path', () => {
      reg.applications.create(alice, { metadata: { name: 'app1' } });
      reg.applications.create(alice, { metadata: { name: 'app2' } });
      reg.devices.create(alice, 'app1', { metadata: { name: 'd1' } });
      reg.devices.create(alice, 'app1', { metadata: { name: 'd2', application: 'app1' } });
      rejects(
        () => reg.devices.create(alice, 'app1', { metadata: { name: 'd3', application: 'app2' } }),
        400,
        'BadRequest',
      );
      const d1 = device(alice, 'app1', 'd1');
      assert.equal(d1.metadata.application, 'app1');
      assert.deepEqual(Object.keys(d1.metadata).slice(0, 2), ['name', 'application']);
      // same device name in another application is another device
      reg.devices.create(alice, 'app2', { metadata: { name: 'd1' } });
      assert.notEqual(device(alice, 'app2', 'd1').metadata.uid, d1.metadata.uid);
    });

    test('a device in a missing application is a ReferenceNotFound', () => {
      rejects(
        () => reg.devices.create(alice, 'nope', { metadata: { name: 'd1' } }),
        404,
        'ReferenceNotFound',
        /^Referenced a non-existing entity$/,
      );
      assert.deepEqual(changes, []);
    });
  });

  describe('read', () => {
    test('missing resources are not found', () => {
      rejects(() => reg.applications.get(alice, 'nope'), 404, 'NotFound');
      reg.applications.create(alice, { metadata: { name: 'app1' } });
      rejects(() => reg.devices.get(alice, 'app1', 'nope'), 404, 'NotFound');
      rejects(() => reg.devices.get(alice, 'nope', 'd1'), 404, 'NotFound');
      rejects(() => reg.devices.list(alice, 'nope', {}), 404, 'NotFound');
    });

    test('lists are ordered by name and page with limit and offset', () => {
      for (const name of ['c', 'a', 'e', 'b', 'd']) reg.applications.create(alice, { metadata: { name } });
      assert.deepEqual(names(reg.applications.list(alice, {})), ['a', 'b', 'c', 'd', 'e']);
      assert.deepEqual(names(reg.applications.list(alice, { limit: 2 })), ['a', 'b']);
      assert.deepEqual(names(reg.applications.list(alice, { limit: 2, offset: 2 })), ['c', 'd']);
      assert.deepEqual(names(reg.applications.list(alice, { offset: 3 })), ['d', 'e']);
      assert.deepEqual(names(reg.applications.list(alice, { offset: 9 })), []);
      assert.deepEqual(names(reg.applications.list(alice, { limit: 0 })), []);
      for (const name of ['d3', 'd1', 'd2']) reg.devices.create(alice, 'a', { metadata: { name } });
      assert.deepEqual(names(reg.devices.list(alice, 'a', {})), ['d1', 'd2', 'd3']);
      assert.deepEqual(names(reg.devices.list(alice, 'a', { limit: 1, offset: 1 })), ['d2']);
      assert.equal(listText(reg.devices.list(alice, 'b', {})), '[]');
    });

    test('a long listing is read in pieces; writes between them neither repeat nor skip what stays', () => {
      reg.applications.create(alice, { metadata: { name: 'a' } });
      // About 40,000 characters each: a piece holds a few of them.
      const spec = { blob: 'x'.repeat(40_000) };
      const initial = Array.from({ length: 20 }, (_, i) => `d${String(i).padStart(2, '0')}`);
      for (const name of initial) reg.devices.create(alice, 'a', { metadata: { name }, spec });

      const pieces = reg.devices.list(alice, 'a', {})[Symbol.iterator]();
      let text = `${pieces.next().value}${pieces.next().value}`;
      const before = names([`${text}]`]);
      assert.ok(before.length > 1 && before.length < 10, `the first piece holds ${before.length} devices`);
      const last = before.at(-1)!;
      // Between pieces: one listed device and one still to come go, one goes in before the cursor, one after.
      reg.devices.delete(alice, 'a', before[0]);
      reg.devices.delete(alice, 'a', 'd15');
      reg.devices.create(alice, 'a', { metadata: { name: 'c-before' }, spec });
      reg.devices.create(alice, 'a', { metadata: { name: `${last}-after` }, spec });
      for (let piece = pieces.next(); !piece.done; piece = pieces.next()) text += piece.value;

      const expected = [
        ...initial.filter((n) => n <= last),
        `${last}-after`,
        ...initial.filter((n) => n > last && n !== 'd15'),
      ];
      assert.deepEqual(names([text]), expected);
      assert.deepEqual(
        names(reg.devices.list(alice, 'a', { limit: 9, offset: 3 })),
        names(reg.devices.list(alice, 'a', {})).slice(3, 12),
      );
    });

    test('invalid paging numbers are bad requests', () => {
      reg.applications.create(alice, { metadata: { name: 'a' } });
      for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        rejects(() => reg.applications.list(alice, { limit: n }), 400, 'BadRequest', /limit/);
        rejects(() => reg.devices.list(alice, 'a', { offset: n }), 400, 'BadRequest', /offset/);
      }
    });

    test('list elements are the same documents as get returns', () => {
      reg.applications.create(alice, { metadata: { name: 'a', labels: { k: 'v' } }, spec: { x: 1 } });
      reg.devices.create(alice, 'a', { metadata: { name: 'd' }, spec: { y: [1] } });
      assert.equal(listText(reg.applications.list(alice, {})), `[${reg.applications.get(alice, 'a')}]`);
      assert.equal(listText(reg.devices.list(alice, 'a', {})), `[${reg.devices.get(alice, 'a', 'd')}]`);
    });
  });

  describe('label selectors', () => {
    beforeEach(() => {
      reg.applications.create(alice, { metadata: { name: 'app1' } });
      const labelled: Record<string, Record<string, string> | undefined> = {
        gold: { tier: 'gold', zone: 'eu' },
        silver: { tier: 'silver', zone: 'us' },
        bronze: { tier: 'bronze' },
        plain: undefined,
      };
      for (const [name, labels] of Object.entries(labelled)) {
        reg.devices.create(alice, 'app1', { metadata: { name, labels } });
      }
    });

    const select = (labels: string) => names(reg.devices.list(alice, 'app1', { labels }));

    test('all six operators', () => {
      assert.deepEqual(select('tier=gold'), ['gold']);
      assert.deepEqual(select('tier==silver'), ['silver']);
      assert.deepEqual(select('tier!=gold'), ['bronze', 'silver']);
      assert.deepEqual(select('tier in (gold, bronze)'), ['bronze', 'gold']);
      assert.deepEqual(select('tier notin (gold)'), ['bronze', 'silver']);
      assert.deepEqual(select('zone'), ['gold', 'silver']);
      assert.deepEqual(select('!zone'), ['bronze', 'plain']);
    });

    test('!= and notin do not match devices lacking the label', () => {
      assert.deepEqual(select('zone!=eu'), ['silver']);
      assert.deepEqual(select('zone notin (us)'), ['gold']);
    });

    test('SQL selects exactly what model/selector.ts matches', () => {
      const labelsOf = Object.fromEntries(
        (JSON.parse(listText(reg.devices.list(alice, 'app1', {}))) as Resource[]).map((d) => [
          d.metadata.name,
          d.metadata.labels,
        ]),
      );
      const selectors = ['tier=gold', 'tier!=gold', 'zone in (eu)', 'zone notin (eu)', 'tier notin (gold,silver)'];
      for (const text of [...selectors, 'zone', '!zone', 'tier,zone notin (us)', 'tier notin (gold),!zone']) {
        const expected = Object.keys(labelsOf)
          .filter((name) => matches(parseSelector(text), labelsOf[name]))
          .sort();
        assert.deepEqual(select(text), expected, text);
      }
    });

    test('comma is AND; combined with paging', () => {
      assert.deepEqual(select('tier,!zone'), ['bronze']);
      assert.deepEqual(select('zone in (eu,us),tier!=gold'), ['silver']);
      assert.deepEqual(select('tier=gold,tier=silver'), []);
      assert.deepEqual(names(reg.devices.list(alice, 'app1', { labels: 'tier', limit: 1, offset: 1 })), ['gold']);
      assert.deepEqual(select(''), ['bronze', 'gold', 'plain', 'silver']);
    });

    test('a malformed selector is a bad request', () => {
      rejects(() => reg.devices.list(alice, 'app1', { labels: 'tier in gold' }), 400, 'BadRequest', /selector/);
      rejects(() => reg.applications.list(alice, { labels: 'a=b,' }), 400, 'BadRequest', /selector/);
    });

    test('applications are selected by their labels', () => {
      reg.applications.create(alice, { metadata: { name: 'app2', labels: { env: 'prod' } } });
      reg.applications.create(alice, { metadata: { name: 'app3', labels: { env: 'dev' } } });
      assert.deepEqual(names(reg.applications.list(alice, { labels: 'env=prod' })), ['app2']);
      assert.deepEqual(names(reg.applications.list(alice, { labels: 'env!=prod' })), ['app3']);
      assert.deepEqual(names(reg.applications.list(alice, { labels: '!env' })), ['app1']);
      assert.deepEqual(names(reg.applications.list(alice, { labels: 'env notin (dev)' })), ['app2']);
    });

    test('selectors follow label updates', () => {
      const gold = device(alice, 'app1', 'gold');
      reg.devices.update(alice, 'app1', 'gold', { metadata: { name: 'gold', labels: { tier: 'platinum' } } });
      assert.deepEqual(select('tier=gold'), []);
      assert.deepEqual(select('tier=platinum'), ['gold']);
      assert.deepEqual(select('!zone'), ['bronze', 'gold', 'plain']);
      reg.applications.update(alice, 'app1', { metadata: { name: 'app1', labels: { env: 'x' } } });
      assert.deepEqual(names(reg.applications.list(alice, { labels: 'env=x' })), ['app1']);
      assert.notEqual(device(alice, 'app1', 'gold').metadata.resourceVersion, gold.metadata.resourceVersion);
    });
  });

  describe('update', () => {
    beforeEach(() => {
      reg.applications.create(alice, { metadata: { name: 'app1', labels: { a: '1' } }, spec: { x: { y: 1, z: 2 } } });
      reg.devices.create(alice, 'app1', { metadata: { name: 'd1' }, spec: { s: 1 } });
      changes.length = 0;
    });

    test('the name must match the path', () => {
      rejects(() => reg.applications.update(alice, 'app1', { metadata: { name: 'app2' } }), 400, 'BadRequest', /app2/);
      rejects(() => reg.devices.update(alice, 'app1', 'd1', { metadata: { name: 'd2' } }), 400, 'BadRequest');
      rejects(
        () => reg.devices.update(alice, 'app1', 'd1', { metadata: { name: 'd1', application: 'other' } }),
        400,
        'BadRequest',
      );
      rejects(() => reg.applications.update(alice, 'app1', { metadata: { name: 'app1', nope: 1 } }), 400, 'BadRequest');
    });

    test('missing resources are not found', () => {
      rejects(() => reg.applications.update(alice, 'nope', { metadata: { name: 'nope' } }), 404, 'NotFound');
      rejects(() => reg.devices.update(alice, 'app1', 'nope', { metadata: { name: 'nope' } }), 404, 'NotFound');
    });

    test('a stale uid or resourceVersion fails the optimistic lock; empty ones are not checked', () => {
      const before = app(alice, 'app1');
      const body = (m: object) => ({ metadata: { name: 'app1', labels: { a: '2' }, ...m } });
      rejects(
        () => reg.applications.update(alice, 'app1', body({ resourceVersion: 'stale' })),
        409,
        'OptimisticLockFailed',
      );
      rejects(() => reg.applications.update(alice, 'app1', body({ uid: 'other' })), 409, 'OptimisticLockFailed');
      assert.deepEqual(app(alice, 'app1'), before);
      reg.applications.update(
        alice,
        'app1',
        body({ uid: before.metadata.uid, resourceVersion: before.metadata.resourceVersion }),
      );
      const after = app(alice, 'app1');
      assert.deepEqual(after.metadata.labels, { a: '2' });
      rejects(
        () =>
          reg.applications.update(
            alice,
            'app1',
            body({ resourceVersion: before.metadata.resourceVersion, labels: { a: '3' } }),
          ),
        409,
        'OptimisticLockFailed',
      );
      reg.applications.update(alice, 'app1', body({ uid: '', resourceVersion: '', labels: { a: '4' } }));
      assert.deepEqual(app(alice, 'app1').metadata.labels, { a: '4' });

      const d = device(alice, 'app1', 'd1');
      rejects(
        () =>
          reg.devices.update(alice, 'app1', 'd1', { metadata: { name: 'd1', resourceVersion: 'x' }, spec: { s: 2 } }),
        409,
        'OptimisticLockFailed',
      );
      reg.devices.update(alice, 'app1', 'd1', {
        metadata: { name: 'd1', resourceVersion: d.metadata.resourceVersion },
        spec: { s: 2 },
      });
      assert.deepEqual(device(alice, 'app1', 'd1').spec, { s: 2 });
    });

    test('a PUT that changes nothing is a no-op', () => {
      const text = reg.applications.get(alice, 'app1');
      reg.applications.update(alice, 'app1', JSON.parse(text));
      // same content, different key order and empty optional fields
      reg.applications.update(alice, 'app1', {
        spec: { x: { z: 2, y: 1 } },
        status: {},
        metadata: { name: 'app1', labels: { a: '1' }, annotations: {}, finalizers: [] },
      });
      assert.equal(reg.applications.get(alice, 'app1'), text);
      const dtext = reg.devices.get(alice, 'app1', 'd1');
      reg.devices.update(alice, 'app1', 'd1', JSON.parse(dtext));
      assert.equal(reg.devices.get(alice, 'app1', 'd1'), dtext);
      assert.deepEqual(changes, []);
    });

    test('every change gets a new resourceVersion; generation counts spec changes only', () => {
      const v0 = app(alice, 'app1');
      reg.applications.update(alice, 'app1', { ...v0, metadata: { ...v0.metadata, annotations: { n: 'x' } } });
      const v1 = app(alice, 'app1');
      assert.notEqual(v1.metadata.resourceVersion, v0.metadata.resourceVersion);
      assert.equal(v1.metadata.generation, 0);
      reg.applications.update(alice, 'app1', { ...v1, status: { phase: 'ok' } });
      const v2 = app(alice, 'app1');
      assert.notEqual(v2.metadata.resourceVersion, v1.metadata.resourceVersion);
      assert.equal(v2.metadata.generation, 0);
      assert.deepEqual(v2.status, { phase: 'ok' });
      reg.applications.update(alice, 'app1', { ...v2, spec: { x: { y: 2 } } });
      const v3 = app(alice, 'app1');
      assert.equal(v3.metadata.generation, 1);
      assert.deepEqual(v3.spec, { x: { y: 2 } });
      reg.applications.update(alice, 'app1', { metadata: { name: 'app1', labels: { a: '1' } } });
      const v4 = app(alice, 'app1');
      assert.equal(v4.metadata.generation, 2);
      assert.equal(v4.spec, undefined);
      assert.equal(v4.status, undefined);
      assert.equal(v4.metadata.annotations, undefined);
      assert.equal(v4.metadata.uid, v0.metadata.uid);
      assert.deepEqual(
        changes.map((c) => c.operation),
        ['updated', 'updated', 'updated', 'updated'],
      );
    });

    test('device status is writable', () => {
      reg.devices.update(alice, 'app1', 'd1', {
        metadata: { name: 'd1' },
        spec: { s: 1 },
        status: { firmware: { current: '1.0' } },
      });
      const d = device(alice, 'app1', 'd1');
      assert.deepEqual(d.status, { firmware: { current: '1.0' } });
      assert.equal(d.metadata.generation, 0);
      assert.deepEqual(changes, [{ kind: 'device', application: 'app1', device: 'd1', operation: 'updated' }]);
    });

    test('server-managed fields cannot be changed', () => {
      const before = app(alice, 'app1');
      reg.applications.update(alice, 'app1', {
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
      reg.applications.delete(alice, 'app1');
      rejects(() => reg.applications.get(alice, 'app1'), 404, 'NotFound');
    });
  });

  describe('delete', () => {
    beforeEach(() => {
      reg.applications.create(alice, { metadata: { name: 'app1' } });
    });

    test('without finalizers the resource is removed', () => {
      reg.devices.create(alice, 'app1', { metadata: { name: 'd1', labels: { k: 'v' } } });
      changes.length = 0;
      reg.devices.delete(alice, 'app1', 'd1');
      rejects(() => reg.devices.get(alice, 'app1', 'd1'), 404, 'NotFound');
      rejects(() => reg.devices.delete(alice, 'app1', 'd1'), 404, 'NotFound');
      assert.deepEqual(changes, [{ kind: 'device', application: 'app1', device: 'd1', operation: 'deleted' }]);
      // the name is free again, and the old labels are gone with the old device
      reg.devices.create(alice, 'app1', { metadata: { name: 'd1' } });
      assert.deepEqual(names(reg.devices.list(alice, 'app1', { labels: 'k' })), []);
      reg.applications.delete(alice, 'app1');
      rejects(() => reg.applications.get(alice, 'app1'), 404, 'NotFound');
    });

    test('with finalizers it is marked deleted until a PUT removes the last finalizer', () => {
      reg.devices.create(alice, 'app1', { metadata: { name: 'd1', finalizers: ['f1', 'f2'] }, spec: { s: 1 } });
      changes.length = 0;
      reg.devices.delete(alice, 'app1', 'd1');
      const marked = device(alice, 'app1', 'd1');
      assert.equal(marked.metadata.deletionTimestamp, NOW.toISOString());
      assert.deepEqual(marked.metadata.finalizers, ['f1', 'f2']);
      assert.deepEqual(changes, [{ kind: 'device', application: 'app1', device: 'd1', operation: 'updated' }]);

      // deleting again changes nothing
      reg.devices.delete(alice, 'app1', 'd1');
      assert.deepEqual(device(alice, 'app1', 'd1'), marked);

      reg.devices.update(alice, 'app1', 'd1', { ...marked, metadata: { ...marked.metadata, finalizers: ['f2'] } });
      const still = device(alice, 'app1', 'd1');
      assert.deepEqual(still.metadata.finalizers, ['f2']);
      assert.equal(still.metadata.deletionTimestamp, marked.metadata.deletionTimestamp);

      reg.devices.update(alice, 'app1', 'd1', { ...still, metadata: { ...still.metadata, finalizers: [] } });
      rejects(() => reg.devices.get(alice, 'app1', 'd1'), 404, 'NotFound');
      assert.deepEqual(changes.at(-1), { kind: 'device', application: 'app1', device: 'd1', operation: 'deleted' });
    });

    test('preconditions must match', () => {
      reg.devices.create(alice, 'app1', { metadata: { name: 'd1' } });
      const d = device(alice, 'app1', 'd1');
      rejects(() => reg.devices.delete(alice, 'app1', 'd1', { uid: 'other' }), 409, 'OptimisticLockFailed');
      rejects(() => reg.devices.delete(alice, 'app1', 'd1', { resourceVersion: 'old' }), 409, 'OptimisticLockFailed');
      reg.devices.delete(alice, 'app1', 'd1', { uid: d.metadata.uid, resourceVersion: d.metadata.resourceVersion });
      rejects(() => reg.devices.get(alice, 'app1', 'd1'), 404, 'NotFound');

      const a = app(alice, 'app1');
      rejects(() => reg.applications.delete(alice, 'app1', { resourceVersion: 'old' }), 409, 'OptimisticLockFailed');
      reg.applications.delete(alice, 'app1', { uid: '', resourceVersion: a.metadata.resourceVersion });
      rejects(() => reg.applications.get(alice, 'app1'), 404, 'NotFound');
    });

    test('an application with finalizers stays until they are removed', () => {
      reg.applications.create(alice, { metadata: { name: 'app2', finalizers: ['keep'] } });
      reg.applications.delete(alice, 'app2');
      const marked = app(alice, 'app2');
      assert.equal(marked.metadata.deletionTimestamp, NOW.toISOString());
      rejects(() => reg.devices.create(alice, 'app2', { metadata: { name: 'd1' } }), 404, 'ReferenceNotFound');
      reg.applications.delete(alice, 'app2');
      assert.deepEqual(app(alice, 'app2'), marked);
      reg.applications.update(alice, 'app2', { metadata: { name: 'app2' } });
      rejects(() => reg.applications.get(alice, 'app2'), 404, 'NotFound');
      // the name is free again
      reg.applications.create(sam, { metadata: { name: 'app2' } });
      assert.notEqual(app(sam, 'app2').metadata.uid, marked.metadata.uid);
    });

    test('deleting an application deletes its devices without finalizers, leaves the others as they are', () => {
      reg.applications.update(alice, 'app1', { metadata: { name: 'app1', finalizers: ['keep'] } });
      reg.devices.create(alice, 'app1', { metadata: { name: 'plain1', labels: { k: 'v' } } });
      reg.devices.create(alice, 'app1', { metadata: { name: 'plain2' } });
      reg.devices.create(alice, 'app1', { metadata: { name: 'held1', finalizers: ['f'] } });
      reg.devices.create(alice, 'app1', { metadata: { name: 'held2', finalizers: ['f'] } });
      const held = ['held1', 'held2'].map((name) => reg.devices.get(alice, 'app1', name));
      changes.length = 0;

      reg.applications.delete(alice, 'app1');
      assert.deepEqual(names(reg.devices.list(alice, 'app1', {})), ['held1', 'held2']);
      assert.deepEqual(
        ['held1', 'held2'].map((name) => reg.devices.get(alice, 'app1', name)),
        held,
        'devices with finalizers are untouched: no deletionTimestamp, same resourceVersion',
      );
      const deleting = app(alice, 'app1');
      assert.equal(deleting.metadata.deletionTimestamp, NOW.toISOString());
      assert.deepEqual(deleting.metadata.finalizers, ['keep', 'has-devices']);
      assert.deepEqual(changes.map((c) => `${c.operation} ${c.device ?? c.application}`).sort(), [
        'deleted plain1',
        'deleted plain2',
        'updated app1',
      ]);
      rejects(
        () => reg.devices.create(alice, 'app1', { metadata: { name: 'new' } }),
        404,
        'ReferenceNotFound',
        /^Referenced a non-existing entity$/,
      );

      // the server keeps has-devices while devices remain, whatever the client sends
      reg.applications.update(alice, 'app1', { metadata: { name: 'app1', finalizers: ['keep'] } });
      assert.deepEqual(app(alice, 'app1').metadata.finalizers, ['keep', 'has-devices']);
      reg.applications.update(alice, 'app1', { metadata: { name: 'app1' } });
      assert.deepEqual(app(alice, 'app1').metadata.finalizers, ['has-devices']);

      // a device goes only when someone deletes it and its finalizers are removed
      const held1 = device(alice, 'app1', 'held1');
      reg.devices.update(alice, 'app1', 'held1', { metadata: { ...held1.metadata, finalizers: [] } });
      assert.equal(device(alice, 'app1', 'held1').metadata.deletionTimestamp, undefined);
      reg.devices.delete(alice, 'app1', 'held1');
      assert.deepEqual(names(reg.devices.list(alice, 'app1', {})), ['held2']);
      assert.deepEqual(app(alice, 'app1').metadata.finalizers, ['has-devices']);

      reg.devices.delete(alice, 'app1', 'held2');
      const held2 = device(alice, 'app1', 'held2');
      assert.equal(held2.metadata.deletionTimestamp, NOW.toISOString());
      changes.length = 0;
      reg.devices.update(alice, 'app1', 'held2', { metadata: { ...held2.metadata, finalizers: [] } });
      rejects(() => reg.applications.get(alice, 'app1'), 404, 'NotFound');
      assert.deepEqual(changes, [
        { kind: 'device', application: 'app1', device: 'held2', operation: 'deleted' },
        { kind: 'application', application: 'app1', operation: 'deleted' },
      ]);
      assert.ok(committedAtNotify.every((committed) => committed));
    });

    test('has-devices is removed when the last device goes; other finalizers keep the application', () => {
      reg.applications.update(alice, 'app1', { metadata: { name: 'app1', finalizers: ['keep'] } });
      reg.devices.create(alice, 'app1', { metadata: { name: 'held', finalizers: ['f'] } });
      reg.applications.delete(alice, 'app1');
      const before = app(alice, 'app1');
      const held = device(alice, 'app1', 'held');
      reg.devices.update(alice, 'app1', 'held', { metadata: { ...held.metadata, finalizers: [] } });
      assert.deepEqual(app(alice, 'app1'), before, 'the device remains');
      reg.devices.delete(alice, 'app1', 'held');
      const after = app(alice, 'app1');
      assert.deepEqual(after.metadata.finalizers, ['keep']);
      assert.notEqual(after.metadata.resourceVersion, before.metadata.resourceVersion);
      assert.equal(after.metadata.deletionTimestamp, before.metadata.deletionTimestamp);
      reg.applications.update(alice, 'app1', { metadata: { name: 'app1' } });
      rejects(() => reg.applications.get(alice, 'app1'), 404, 'NotFound');
    });

    test('a plain DELETE of the last held device also releases the application', () => {
      reg.devices.create(alice, 'app1', { metadata: { name: 'held', finalizers: ['f'] } });
      reg.devices.delete(alice, 'app1', 'held');
      reg.applications.delete(alice, 'app1');
      assert.deepEqual(app(alice, 'app1').metadata.finalizers, ['has-devices']);
      const held = device(alice, 'app1', 'held');
      reg.devices.update(alice, 'app1', 'held', { metadata: { ...held.metadata, finalizers: [] } });
      rejects(() => reg.applications.get(alice, 'app1'), 404, 'NotFound');
    });
  });

  describe('ownership and access', () => {
    beforeEach(() => {
      reg.applications.create(alice, { metadata: { name: 'shared' } });
      reg.applications.create(alice, { metadata: { name: 'private' } });
      reg.applications.create(sam, { metadata: { name: 'sams' } });
      reg.members.set(alice, 'shared', {
        rita: { role: 'reader' },
        manny: { role: 'manager' },
        ada: { role: 'admin' },
      });
      reg.devices.create(alice, 'shared', { metadata: { name: 'd1' } });
      reg.devices.create(alice, 'private', { metadata: { name: 'd1' } });
    });

    const put = (caller: Caller, name: string) => () =>
      reg.applications.update(caller, name, { metadata: { name, annotations: { by: caller.user! } } });
    const putDevice = (caller: Caller) => () =>
      reg.devices.update(caller, 'shared', 'd1', { metadata: { name: 'd1', annotations: { by: caller.user! } } });

    test('lists contain only what the caller may read', () => {
      assert.deepEqual(names(reg.applications.list(alice, {})), ['private', 'shared']);
      for (const member of [rita, manny, ada]) assert.deepEqual(names(reg.applications.list(member, {})), ['shared']);
      assert.deepEqual(names(reg.applications.list(sam, {})), ['sams']);
      assert.equal(listText(reg.applications.list({}, {})), '[]');
    });

    test('owner and members read; anyone else gets 403 for the application and 404 for its devices', () => {
      for (const caller of [alice, rita, manny, ada]) {
        assert.equal(app(caller, 'shared').metadata.name, 'shared');
        assert.equal(device(caller, 'shared', 'd1').metadata.name, 'd1');
        assert.deepEqual(names(reg.devices.list(caller, 'shared', {})), ['d1']);
      }
      rejects(() => reg.applications.get(sam, 'shared'), 403, 'Forbidden');
      rejects(() => reg.applications.get(rita, 'private'), 403, 'Forbidden');
      rejects(() => reg.devices.get(sam, 'shared', 'd1'), 404, 'NotFound');
      rejects(() => reg.devices.list(sam, 'shared', {}), 404, 'NotFound');
      rejects(() => reg.devices.get(rita, 'private', 'd1'), 404, 'NotFound');
    });

    test('owner, manager and admin write; reader and stranger do not', () => {
      for (const caller of [alice, manny, ada]) {
        put(caller, 'shared')();
        assert.deepEqual(app(alice, 'shared').metadata.annotations, { by: caller.user });
        putDevice(caller)();
        assert.deepEqual(device(alice, 'shared', 'd1').metadata.annotations, { by: caller.user });
        reg.devices.create(caller, 'shared', { metadata: { name: `by-${caller.user}` } });
        reg.devices.delete(caller, 'shared', `by-${caller.user}`);
      }
      rejects(put(rita, 'shared'), 403, 'Forbidden');
      rejects(put(sam, 'shared'), 403, 'Forbidden');
      rejects(putDevice(rita), 403, 'Forbidden');
      rejects(putDevice(sam), 404, 'NotFound');
      rejects(() => reg.devices.create(rita, 'shared', { metadata: { name: 'x' } }), 403, 'Forbidden');
      rejects(() => reg.devices.create(sam, 'shared', { metadata: { name: 'x' } }), 404, 'NotFound');
      rejects(() => reg.devices.delete(rita, 'shared', 'd1'), 403, 'Forbidden');
      rejects(() => reg.devices.delete(sam, 'shared', 'd1'), 404, 'NotFound');
      assert.equal(device(alice, 'shared', 'd1').metadata.name, 'd1');
      assert.deepEqual(app(alice, 'shared').metadata.annotations, { by: 'ada' });
    });

    test('only owner and admin delete the application', () => {
      rejects(() => reg.applications.delete(rita, 'shared'), 403, 'Forbidden');
      rejects(() => reg.applications.delete(manny, 'shared'), 403, 'Forbidden');
      rejects(() => reg.applications.delete(sam, 'shared'), 403, 'Forbidden');
      rejects(() => reg.applications.delete(ada, 'private'), 403, 'Forbidden');
      reg.applications.delete(ada, 'shared');
      rejects(() => reg.applications.get(alice, 'shared'), 404, 'NotFound');
      reg.applications.delete(alice, 'private');
      rejects(() => reg.applications.get(alice, 'private'), 404, 'NotFound');
    });

    test('owner and members are not part of the resource', () => {
      for (const text of [
        reg.applications.get(alice, 'shared'),
        listText(reg.applications.list(rita, {})),
        reg.devices.get(alice, 'shared', 'd1'),
      ]) {
        for (const word of ['alice', 'rita', 'owner', 'members']) assert.equal(text.includes(word), false, text);
      }
    });

    test('members: read back, roles validated, resourceVersion locked and bumped', () => {
      const before = app(alice, 'shared');
      const members = reg.members.get(alice, 'shared');
      assert.equal(members.resourceVersion, before.metadata.resourceVersion);
      assert.deepEqual(members.members, {
        ada: { role: 'admin' },
        manny: { role: 'manager' },
        rita: { role: 'reader' },
      });
      rejects(() => reg.members.set(alice, 'shared', { sam: { role: 'owner' } }), 400, 'BadRequest');
      rejects(() => reg.members.set(alice, 'shared', { sam: 'reader' }), 400, 'BadRequest');
      rejects(
        () => reg.members.set(alice, 'shared', { sam: { role: 'reader' } }, 'stale'),
        409,
        'OptimisticLockFailed',
      );
      rejects(() => reg.members.set(alice, 'nope', {}), 404, 'NotFound');
      reg.members.set(alice, 'shared', { sam: { role: 'reader' } }, members.resourceVersion);
      assert.deepEqual(reg.members.get(alice, 'shared').members, { sam: { role: 'reader' } });
      assert.notEqual(app(alice, 'shared').metadata.resourceVersion, before.metadata.resourceVersion);
      assert.equal(app(sam, 'shared').metadata.name, 'shared');
      rejects(() => reg.applications.get(rita, 'shared'), 403, 'Forbidden');
    });

    test('an anonymous caller cannot create', () => {
      rejects(() => reg.applications.create({}, { metadata: { name: 'anon' } }), 403, 'Forbidden');
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
      reg.applications.create(alice, { metadata: { name: 'app1' }, spec, status: { trustAnchors: 'forged' } });
      const created = app(alice, 'app1');
      const anchors = (created.status as { trustAnchors: { anchors: Record<string, Record<string, string>>[] } })
        .trustAnchors.anchors;
      assert.equal(anchors.length, 2);
      assert.equal(anchors[0].valid.subject, 'O=Drogue IoT, CN=Registry Test');
      assert.equal(anchors[0].valid.certificate, certificate);
      assert.equal(anchors[1].invalid.error, 'NoCertificateFound');

      // a PUT sending back a forged status changes nothing
      reg.applications.update(alice, 'app1', { ...created, status: { trustAnchors: { anchors: [] } } });
      assert.deepEqual(app(alice, 'app1'), created);

      // other status fields are the client's; removing the anchors removes status.trustAnchors
      reg.applications.update(alice, 'app1', { metadata: { name: 'app1' }, status: { other: 1 } });
      assert.deepEqual(app(alice, 'app1').status, { other: 1 });
      reg.applications.update(alice, 'app1', { metadata: { name: 'app1' } });
      assert.equal(app(alice, 'app1').status, undefined);
    });

    test('a malformed trustAnchors section is a bad request', () => {
      rejects(
        () => reg.applications.create(alice, { metadata: { name: 'app1' }, spec: { trustAnchors: { anchors: 'x' } } }),
        400,
        'BadRequest',
      );
    });
  });

  test('data persists across reopening the store', () => {
    reg.applications.create(alice, { metadata: { name: 'app1', labels: { env: 'prod' } } });
    reg.members.set(alice, 'app1', { rita: { role: 'reader' } });
    reg.devices.create(alice, 'app1', { metadata: { name: 'd1', labels: { tier: 'gold' } }, spec: { s: 1 } });
    reg.devices.create(alice, 'app1', { metadata: { name: 'd2', finalizers: ['f'] } });
    reg.devices.delete(alice, 'app1', 'd2');
    const appText = reg.applications.get(alice, 'app1');
    const devicesText = listText(reg.devices.list(alice, 'app1', {}));
    db.close();

    db = openStore(dir);
    reg = new Registry(db);
    assert.equal(reg.applications.get(alice, 'app1'), appText);
    assert.equal(reg.applications.get(rita, 'app1'), appText);
    assert.equal(listText(reg.devices.list(alice, 'app1', {})), devicesText);
    assert.deepEqual(names(reg.devices.list(alice, 'app1', { labels: 'tier=gold' })), ['d1']);
    assert.deepEqual(names(reg.applications.list(alice, { labels: 'env=prod' })), ['app1']);
    assert.ok(device(alice, 'app1', 'd2').metadata.deletionTimestamp);
  });
});
