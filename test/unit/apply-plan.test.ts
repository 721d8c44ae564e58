import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { type Resource, sameContent } from '../../src/model/resource.js';
import { createBody, planApply, resourceId, updateBody } from '../../src/resources/apply.js';
import type { ManifestDocument } from '../../src/resources/manifests.js';

const doc = (value: unknown, location = 'f.yaml:1'): ManifestDocument => ({ value, location });

test('apps and devices are told apart; apps go first, in file order', () => {
  const items = planApply(
    [
      doc({ metadata: { name: 'd1', application: 'app1' } }),
      doc({ metadata: { name: 'app2' } }),
      doc({ kind: 'Device', metadata: { name: 'd2' }, spec: {} }),
      doc({ apiVersion: 'v1', kind: 'Application', metadata: { name: 'app1', labels: { a: 'b' } } }),
    ],
    'dflt',
  );
  assert.deepEqual(items.map(resourceId), ['application/app2', 'application/app1', 'device/app1/d1', 'device/dflt/d2']);
  assert.deepEqual(
    items[1].resource,
    { metadata: { name: 'app1', labels: { a: 'b' } } },
    'kind and apiVersion dropped',
  );
  assert.equal(items[3].resource.metadata.application, 'dflt');
});

test('every problem of every document is reported at once, with its location', () => {
  assert.throws(
    () =>
      planApply(
        [
          doc({ metadata: { name: 'Bad_Name' } }, 'a.yaml:1'),
          doc({ metadata: { name: 'ok', labels: { 'bad key': 'x' } }, specs: {} }, 'a.yaml:5'),
          doc({ kind: 'Device', metadata: { name: 'd' } }, 'b.json'),
          doc({ kind: 'Gadget', metadata: { name: 'g' } }, 'c.yaml:1'),
          doc('just text', 'c.yaml:3'),
          doc({ metadata: { name: 'x', colour: 'red' }, spec: [] }, 'd.yaml:1'),
        ],
        undefined,
      ),
    (err: Error) => {
      assert.ok(err instanceof UsageError);
      for (const expected of [
        /a\.yaml:1: application name "Bad_Name" is invalid/,
        /a\.yaml:5: unknown field "specs"/,
        /a\.yaml:5: invalid label key "bad key"/,
        /b\.json: the device has no metadata\.application, and there is no --app/,
        /c\.yaml:1: unknown kind "Gadget"/,
        /c\.yaml:3: not a resource/,
        /d\.yaml:1: unknown field "metadata\.colour"/,
        /d\.yaml:1: spec must be an object/,
      ]) {
        assert.match(err.message, expected);
      }
      return true;
    },
  );
});

test('a resource defined twice is an error; an empty input is an error', () => {
  assert.throws(
    () => planApply([doc({ metadata: { name: 'a' } }, 'x:1'), doc({ metadata: { name: 'a' } }, 'y:1')], undefined),
    /y:1: application\/a is also defined at x:1/,
  );
  assert.throws(() => planApply([], undefined), /no resources found/);
});

test('null (empty YAML) sections are empty; other null metadata is absent', () => {
  const [item] = planApply([doc({ metadata: { name: 'a', labels: null, uid: null }, spec: null })], undefined);
  assert.deepEqual(item.resource, { metadata: { name: 'a', labels: {} }, spec: {} });
});

const current: Resource = {
  metadata: {
    name: 'a',
    uid: 'u1',
    creationTimestamp: '2026-01-01T00:00:00Z',
    generation: 3,
    resourceVersion: 'rv1',
    labels: { x: '1' },
    annotations: { note: 'n' },
  },
  spec: { s: 1 },
  status: { st: 'ok' },
};

test('create drops server-managed metadata', () => {
  assert.deepEqual(createBody({ ...current, metadata: { ...current.metadata, finalizers: ['f'] } }), {
    metadata: { name: 'a', labels: { x: '1' }, annotations: { note: 'n' }, finalizers: ['f'] },
    spec: { s: 1 },
    status: { st: 'ok' },
  });
});

test('update: stated sections replace, omitted ones stay, versions come from the server', () => {
  const body = updateBody(current, { metadata: { name: 'a', labels: { y: '2' } }, spec: { t: 2 } });
  assert.deepEqual(body, {
    metadata: { ...current.metadata, labels: { y: '2' } },
    spec: { t: 2 },
    status: { st: 'ok' },
  });
  assert.ok(!sameContent(body, current));
  assert.ok(sameContent(updateBody(current, { metadata: { name: 'a' }, spec: { s: 1 } }), current));
  assert.ok(sameContent({ metadata: { name: 'a', labels: {} }, spec: {} }, { metadata: { name: 'a' } }));
});

test("update: the manifest's uid and resourceVersion win unless ignored", () => {
  const desired: Resource = { metadata: { name: 'a', uid: 'u0', resourceVersion: 'rv0' }, spec: { t: 2 } };
  assert.equal(updateBody(current, desired).metadata.resourceVersion, 'rv0');
  assert.equal(updateBody(current, desired).metadata.uid, 'u0');
  const ignored = updateBody(current, desired, { ignoreVersion: true });
  assert.equal(ignored.metadata.resourceVersion, 'rv1');
  assert.equal(ignored.metadata.uid, 'u1');
});
