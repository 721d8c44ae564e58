// Registry change events: one per committed change on every write path, after the commit, in commit order, to
// guarded listeners.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Resource } from '../../src/model/resource.js';
import type { Caller } from '../../src/server-lite/registry/access.js';
import type { RegistryEvent } from '../../src/server-lite/registry/events.js';
import { Registry } from '../../src/server-lite/registry/registry.js';
import { type Db, openStore } from '../../src/server-lite/store/db.js';
import { tempDir } from '../helpers/serve.js';

const alice: Caller = { user: 'alice' };
const bob: Caller = { user: 'bob' };

describe('registry events', () => {
  let dir: string;
  let db: Db;
  let reg: Registry;
  let events: RegistryEvent[];
  let warnings: { obj: object; msg: string }[];

  const metadataOf = (json: string) => (JSON.parse(json) as Resource).metadata;
  const appVersion = (app = 'app1') => {
    const { uid, resourceVersion } = metadataOf(reg.applications.get(alice, app));
    return { uid, resourceVersion };
  };
  const deviceVersion = (device = 'd1') => {
    const { uid, resourceVersion } = metadataOf(reg.devices.get(alice, 'app1', device));
    return { uid, resourceVersion };
  };
  /** The events `write` publishes. */
  const eventsOf = (write: () => void): RegistryEvent[] => {
    events.length = 0;
    write();
    return [...events];
  };

  beforeEach(() => {
    dir = tempDir('drg-registry-events-');
    db = openStore(dir);
    warnings = [];
    reg = new Registry(db, { logger: { warn: (obj, msg) => warnings.push({ obj, msg }) } });
    events = [];
    reg.events.subscribe('recorder', (event) => {
      assert.equal(db.inTransaction, false, 'published after the commit');
      events.push(event);
    });
    reg.applications.create(alice, { metadata: { name: 'app1' } });
    reg.devices.create(alice, 'app1', { metadata: { name: 'd1' } });
  });

  afterEach(() => {
    db.close();
  });

  test('creates and updates carry the new uid and resourceVersion', () => {
    assert.deepEqual(
      eventsOf(() => reg.applications.create(alice, { metadata: { name: 'app2' } })),
      [{ kind: 'application', application: 'app2', operation: 'created', ...appVersion('app2') }],
    );
    assert.deepEqual(
      eventsOf(() => reg.devices.create(alice, 'app1', { metadata: { name: 'd2' } })),
      [{ kind: 'device', application: 'app1', device: 'd2', operation: 'created', ...deviceVersion('d2') }],
    );
    assert.deepEqual(
      eventsOf(() => reg.applications.update(alice, 'app1', { metadata: { name: 'app1', labels: { a: 'b' } } })),
      [{ kind: 'application', application: 'app1', operation: 'updated', ...appVersion() }],
    );
    assert.deepEqual(
      eventsOf(() => reg.devices.update(alice, 'app1', 'd1', { metadata: { name: 'd1' }, spec: { x: 1 } })),
      [
        {
          kind: 'device',
          application: 'app1',
          device: 'd1',
          operation: 'updated',
          specChanged: true,
          ...deviceVersion(),
        },
      ],
    );
    assert.deepEqual(
      eventsOf(() =>
        reg.devices.update(alice, 'app1', 'd1', { metadata: { name: 'd1' }, spec: { x: 1 }, status: { y: 2 } }),
      ),
      [
        {
          kind: 'device',
          application: 'app1',
          device: 'd1',
          operation: 'updated',
          specChanged: false,
          ...deviceVersion(),
        },
      ],
      'a status-only write says so',
    );
  });

  test('a delete that marks the resource is an update; a removal carries no version', () => {
    reg.devices.create(alice, 'app1', { metadata: { name: 'held', finalizers: ['f'] } });
    assert.deepEqual(
      eventsOf(() => reg.devices.delete(alice, 'app1', 'held')),
      [{ kind: 'device', application: 'app1', device: 'held', operation: 'updated', ...deviceVersion('held') }],
    );
    assert.deepEqual(
      eventsOf(() => reg.devices.delete(alice, 'app1', 'd1')),
      [{ kind: 'device', application: 'app1', device: 'd1', operation: 'deleted' }],
    );
    assert.deepEqual(
      eventsOf(() => reg.applications.delete(alice, 'app1')),
      [{ kind: 'application', application: 'app1', operation: 'updated', ...appVersion() }],
    );
    const held = metadataOf(reg.devices.get(alice, 'app1', 'held'));
    assert.deepEqual(
      eventsOf(() => reg.devices.update(alice, 'app1', 'held', { metadata: { ...held, finalizers: [] } })),
      [
        { kind: 'device', application: 'app1', device: 'held', operation: 'deleted' },
        { kind: 'application', application: 'app1', operation: 'deleted' },
      ],
    );
  });

  test('an application held by finalizers: marked, then released by the PUT that removes the last', () => {
    reg.applications.create(alice, { metadata: { name: 'kept', finalizers: ['a', 'b'] } });
    reg.devices.create(alice, 'kept', { metadata: { name: 'held', finalizers: ['f'] } });
    reg.applications.delete(alice, 'kept');
    assert.deepEqual(
      eventsOf(() => reg.applications.update(alice, 'kept', { metadata: { name: 'kept', finalizers: ['b'] } })),
      [{ kind: 'application', application: 'kept', operation: 'updated', ...appVersion('kept') }],
    );
    reg.devices.delete(alice, 'kept', 'held');
    const held = metadataOf(reg.devices.get(alice, 'kept', 'held'));
    assert.deepEqual(
      eventsOf(() => reg.devices.update(alice, 'kept', 'held', { metadata: { ...held, finalizers: [] } })),
      [
        { kind: 'device', application: 'kept', device: 'held', operation: 'deleted' },
        { kind: 'application', application: 'kept', operation: 'updated', ...appVersion('kept') },
      ],
      'the last device gone: has-devices is dropped',
    );
    assert.deepEqual(metadataOf(reg.applications.get(alice, 'kept')).finalizers, ['b']);
    assert.deepEqual(
      eventsOf(() => reg.applications.update(alice, 'kept', { metadata: { name: 'kept' } })),
      [{ kind: 'application', application: 'kept', operation: 'deleted' }],
    );
  });

  test('deleting an application: its devices first, then the application', () => {
    reg.devices.create(alice, 'app1', { metadata: { name: 'd2' } });
    assert.deepEqual(
      eventsOf(() => reg.applications.delete(alice, 'app1')),
      [
        { kind: 'device', application: 'app1', device: 'd1', operation: 'deleted' },
        { kind: 'device', application: 'app1', device: 'd2', operation: 'deleted' },
        { kind: 'application', application: 'app1', operation: 'deleted' },
      ],
    );
  });

  test('member changes and ownership transfers', () => {
    reg = new Registry(db, { userExists: (user) => ['alice', 'bob', 'carol'].includes(user) });
    reg.events.subscribe('recorder', (event) => events.push(event));
    assert.deepEqual(
      eventsOf(() => reg.members.set(alice, 'app1', { bob: { role: 'reader' } })),
      [{ kind: 'application', application: 'app1', operation: 'members-changed', ...appVersion() }],
    );
    assert.deepEqual(
      eventsOf(() => reg.transfers.offer(alice, 'app1', 'carol')),
      [{ kind: 'application', application: 'app1', operation: 'transfer-offered', ...appVersion() }],
    );
    assert.deepEqual(
      eventsOf(() => reg.transfers.cancel(alice, 'app1')),
      [{ kind: 'application', application: 'app1', operation: 'transfer-cancelled', ...appVersion() }],
    );
    assert.deepEqual(
      eventsOf(() => reg.transfers.cancel(alice, 'app1')),
      [],
      'nothing pending: nothing changed',
    );
    reg.transfers.offer(alice, 'app1', 'bob');
    const version = appVersion();
    assert.deepEqual(
      eventsOf(() => reg.transfers.accept(bob, 'app1')),
      [{ kind: 'application', application: 'app1', operation: 'transfer-accepted', ...version }],
    );
  });

  test('writes that change nothing or fail publish nothing', () => {
    const doc = JSON.parse(reg.devices.get(alice, 'app1', 'd1'));
    assert.deepEqual(
      eventsOf(() => reg.devices.update(alice, 'app1', 'd1', doc)),
      [],
    );
    assert.deepEqual(
      eventsOf(() =>
        assert.throws(() => reg.applications.create(alice, { metadata: { name: 'app1' } }), /already exists/),
      ),
      [],
    );
    assert.deepEqual(
      eventsOf(() => assert.throws(() => reg.devices.delete(bob, 'app1', 'd1'), /not found/)),
      [],
    );
  });

  test('a throwing listener is logged once, the write stands, the other listeners still get the event', () => {
    const after: RegistryEvent[] = [];
    reg.events.subscribe('broken', () => {
      throw new Error('cache exploded');
    });
    reg.events.subscribe('after', (event) => after.push(event));
    reg.applications.create(alice, { metadata: { name: 'app2' } });
    assert.equal(JSON.parse(reg.applications.get(alice, 'app2')).metadata.name, 'app2');
    assert.deepEqual(
      after.map((e) => e.application),
      ['app2'],
    );
    assert.deepEqual(warnings, [
      {
        obj: {
          listener: 'broken',
          event: { kind: 'application', application: 'app2', device: undefined, operation: 'created' },
          error: 'cache exploded',
        },
        msg: 'registry event listener failed',
      },
    ]);
  });

  test('a listener whose promise rejects is logged too', async () => {
    let failed!: () => void;
    const logged = new Promise<void>((resolve) => {
      failed = resolve;
    });
    const logger = {
      warn: (obj: object, msg: string) => {
        warnings.push({ obj, msg });
        failed();
      },
    };
    reg = new Registry(db, { logger });
    reg.events.subscribe('async', async () => {
      throw new Error('later');
    });
    reg.applications.create(alice, { metadata: { name: 'app2' } });
    await logged;
    assert.equal(warnings.length, 1);
    assert.equal((warnings[0].obj as { error: string }).error, 'later');
  });

  test('a write a listener makes is delivered after the write that caused it, to every listener', () => {
    const seen: string[] = [];
    reg.events.subscribe('cascade', (event) => {
      seen.push(`cascade ${event.operation} ${event.device}`);
      if (event.device === 'd2') reg.devices.create(alice, 'app1', { metadata: { name: 'd3' } });
    });
    reg.events.subscribe('last', (event) => seen.push(`last ${event.operation} ${event.device}`));
    const published = eventsOf(() => reg.devices.create(alice, 'app1', { metadata: { name: 'd2' } }));
    assert.deepEqual(seen, ['cascade created d2', 'last created d2', 'cascade created d3', 'last created d3']);
    assert.deepEqual(
      published.map((e) => e.device),
      ['d2', 'd3'],
    );
  });

  test('an unsubscribed listener gets nothing more', () => {
    const got: RegistryEvent[] = [];
    const unsubscribe = reg.events.subscribe('short', (event) => got.push(event));
    reg.applications.create(alice, { metadata: { name: 'app2' } });
    unsubscribe();
    reg.applications.create(alice, { metadata: { name: 'app3' } });
    assert.deepEqual(
      got.map((e) => e.application),
      ['app2'],
    );
  });
});
