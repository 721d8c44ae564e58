import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Application } from '../../src/model/resource.js';
import {
  trustAnchorsStatus as checkedStatus,
  type TrustAnchorsStatus,
  trustAnchorPems,
  validateAnchor,
  withTrustAnchor,
} from '../../src/model/trust-anchors.js';
import { opensslCa, type TestCert } from '../helpers/certs.js';
import { tempDir } from '../helpers/serve.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** The status of a well-formed section. */
function trustAnchorsStatus(spec: Record<string, unknown> | undefined): TrustAnchorsStatus | undefined {
  const result = checkedStatus(spec);
  assert.ok('value' in result, JSON.stringify(result));
  return result.value;
}

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

  test('a malformed section is a problem', () => {
    const cases: [unknown, string][] = [
      ['x', 'spec.trustAnchors must be an object'],
      [{ anchors: {} }, 'spec.trustAnchors.anchors must be a list'],
      [{ anchors: ['x'] }, 'spec.trustAnchors.anchors[0].certificate must be a string (base64 of a PEM certificate)'],
      [{ anchors: [{ certificate: b64(app1.pem) }, { certificate: 1 }] }, 'spec.trustAnchors.anchors[1].certificate'],
    ];
    for (const [trustAnchors, problem] of cases) {
      const result = checkedStatus({ trustAnchors });
      assert.ok('problem' in result && result.problem.startsWith(problem), JSON.stringify(result));
    }
  });

  test('the client adds an anchor after the others and reads their PEM texts back', () => {
    const app: Application = {
      metadata: { name: 'app1' },
      spec: { trustAnchors: { anchors: [{ certificate: b64(app2.pem) }, { other: 1 }] } },
    };
    const added = withTrustAnchor(app, app1.pem);
    assert.ok('value' in added);
    assert.deepEqual(added.value.spec?.trustAnchors, {
      anchors: [{ certificate: b64(app2.pem) }, { other: 1 }, { certificate: b64(app1.pem) }],
    });
    assert.deepEqual(trustAnchorPems(added.value), [app2.pem, app1.pem]);
    assert.deepEqual(trustAnchorPems(app), [app2.pem], 'the original is unchanged');
    assert.deepEqual(withTrustAnchor({ metadata: { name: 'a' } }, app1.pem), {
      value: { metadata: { name: 'a' }, spec: { trustAnchors: { anchors: [{ certificate: b64(app1.pem) }] } } },
    });
    assert.deepEqual(withTrustAnchor({ metadata: { name: 'a' }, spec: { trustAnchors: { anchors: 'x' } } }, app1.pem), {
      problem: 'spec.trustAnchors.anchors must be a list',
    });
  });
});
