import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../../src/server-lite/errors.js';
import { trustAnchorsStatus, validateAnchor } from '../../src/server-lite/registry/trust-anchors.js';
import { opensslCa, type TestCert } from '../helpers/certs.js';
import { tempDir } from '../helpers/serve.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('trust anchors', () => {
  let dir: string;
  let app1: TestCert;
  let app2: TestCert;

  before(() => {
    dir = tempDir('drg-anchors-');
    app1 = opensslCa(
      dir,
      'app1',
      [
        ['O', 'Drogue IoT'],
        ['OU', 'Cloud'],
        ['CN', 'Application 1'],
      ],
      3650,
    );
    app2 = opensslCa(
      dir,
      'app2',
      [
        ['CN', 'Second'],
        ['C', 'DE'],
      ],
      30,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a valid certificate: subject in certificate order, UTC times without fractions, the same base64', () => {
    const certificate = b64(app1.pem);
    assert.match(app1.notBefore, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(validateAnchor(certificate), {
      valid: { subject: app1.subject, notBefore: app1.notBefore, notAfter: app1.notAfter, certificate },
    });
  });

  test('one entry per anchor, in order', () => {
    const spec = {
      trustAnchors: {
        anchors: [{ certificate: b64(app2.pem) }, { certificate: b64('nothing') }, { certificate: b64(app1.pem) }],
      },
    };
    const status = trustAnchorsStatus(spec)!;
    assert.equal(status.anchors.length, 3);
    assert.deepEqual(status.anchors[0], {
      valid: { subject: app2.subject, notBefore: app2.notBefore, notAfter: app2.notAfter, certificate: b64(app2.pem) },
    });
    assert.ok('invalid' in status.anchors[1]);
    assert.ok('valid' in status.anchors[2] && status.anchors[2].valid.subject === app1.subject);
  });

  test('the first CERTIFICATE block of a PEM bundle counts', () => {
    const entry = validateAnchor(b64(`${app2.key}${app1.pem}${app2.pem}`));
    assert.ok('valid' in entry);
    assert.equal(entry.valid.subject, app1.subject);
  });

  test('text without a certificate is invalid: NoCertificateFound', () => {
    assert.deepEqual(validateAnchor(b64(app1.key)), {
      invalid: { error: 'NoCertificateFound', message: 'No PEM encoded certificate was found' },
    });
  });

  test('a CERTIFICATE block that does not parse is invalid: Failed', () => {
    const entry = validateAnchor(b64('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'));
    assert.ok('invalid' in entry);
    assert.equal(entry.invalid.error, 'Failed');
    assert.match(entry.invalid.message, /^Failed to parse certificate: /);
  });

  test('a value that is not base64 is invalid: Failed', () => {
    const entry = validateAnchor('not base64!');
    assert.ok('invalid' in entry);
    assert.equal(entry.invalid.error, 'Failed');
    assert.match(entry.invalid.message, /base64/);
  });

  test('no anchors, no status', () => {
    assert.equal(trustAnchorsStatus(undefined), undefined);
    assert.equal(trustAnchorsStatus({}), undefined);
    assert.equal(trustAnchorsStatus({ trustAnchors: {} }), undefined);
    assert.equal(trustAnchorsStatus({ trustAnchors: { anchors: [] } }), undefined);
  });

  test('a malformed section is a bad request', () => {
    for (const trustAnchors of ['x', { anchors: {} }, { anchors: ['x'] }, { anchors: [{ certificate: 1 }] }]) {
      assert.throws(
        () => trustAnchorsStatus({ trustAnchors }),
        (err: unknown) => err instanceof ApiError && err.status === 400 && err.kind === 'BadRequest',
        JSON.stringify(trustAnchors),
      );
    }
  });
});
