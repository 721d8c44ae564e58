// Image references read by docker's rules, and the WWW-Authenticate challenges that drive authentication.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseChallenges } from '../../src/firmware/oci/auth.js';
import { formatReference, OciError, parseReference } from '../../src/firmware/oci/index.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

test('the first component is the registry when it has a dot or a colon, is localhost, or has upper-case letters', () => {
  assert.deepEqual(parseReference('ghcr.io/org/fw:1.0.0'), {
    registry: 'ghcr.io',
    repository: 'org/fw',
    tag: '1.0.0',
    digest: undefined,
  });
  assert.deepEqual(parseReference('localhost:5000/fw'), {
    registry: 'localhost:5000',
    repository: 'fw',
    tag: 'latest',
    digest: undefined,
  });
  assert.deepEqual(parseReference('localhost/a/b/c:v2'), {
    registry: 'localhost',
    repository: 'a/b/c',
    tag: 'v2',
    digest: undefined,
  });
  assert.deepEqual(parseReference('MyRegistry/fw:1'), {
    registry: 'MyRegistry',
    repository: 'fw',
    tag: '1',
    digest: undefined,
  });
  assert.deepEqual(parseReference('[::1]:5000/fw:1'), {
    registry: '[::1]:5000',
    repository: 'fw',
    tag: '1',
    digest: undefined,
  });
  assert.deepEqual(parseReference('org/fw:1'), {
    registry: 'docker.io',
    repository: 'org/fw',
    tag: '1',
    digest: undefined,
  });
  assert.deepEqual(parseReference('fw'), {
    registry: 'docker.io',
    repository: 'library/fw',
    tag: 'latest',
    digest: undefined,
  });
});

test('digests: alone (no tag then) or after a tag; formatReference spells every form one way', () => {
  assert.deepEqual(parseReference(`reg.example/fw@${DIGEST}`), {
    registry: 'reg.example',
    repository: 'fw',
    tag: undefined,
    digest: DIGEST,
  });
  assert.deepEqual(parseReference(`reg.example/fw:1.0@${DIGEST}`), {
    registry: 'reg.example',
    repository: 'fw',
    tag: '1.0',
    digest: DIGEST,
  });
  assert.equal(formatReference(parseReference('reg.example:5000/fw')), 'reg.example:5000/fw:latest');
  assert.equal(formatReference(parseReference('fw:1')), 'docker.io/library/fw:1');
  assert.equal(formatReference(parseReference(`reg.example/fw@${DIGEST}`)), `reg.example/fw@${DIGEST}`);
});

test('references that do not parse are OciErrors that say why and how to write one', () => {
  const cases: [string, string][] = [
    ['reg.example/FW:1', 'a repository is lower-case letters, digits and separators (. _ -), its parts joined by /'],
    ['reg.example/fw:bad tag', 'the tag "bad tag" is not a valid tag'],
    ['reg.example/fw:', 'the tag "" is not a valid tag'],
    ['reg.example/fw@sha512:abcd', 'only sha256 digests are supported'],
    ['reg.example/fw@sha256:abcd', 'a digest is sha256: and 64 hex digits'],
    ['reg.example/', 'a repository is lower-case letters, digits and separators (. _ -), its parts joined by /'],
    [
      'reg.example/a--b__c.d/x..y',
      'a repository is lower-case letters, digits and separators (. _ -), its parts joined by /',
    ],
    ['bad_host.example:x/fw', '"bad_host.example:x" is not a registry host'],
    [`reg.example/${'a'.repeat(250)}`, 'longer than 255 characters'],
  ];
  for (const [ref, why] of cases) {
    assert.throws(
      () => parseReference(ref),
      (err: unknown) =>
        err instanceof OciError &&
        err.code === 'reference' &&
        err.message === `invalid image reference ${JSON.stringify(ref)}: ${why}` &&
        err.hint === 'write it as REGISTRY/REPOSITORY:TAG, e.g. ghcr.io/org/firmware:1.0.0',
      ref,
    );
  }
  assert.equal(parseReference('reg.example/a--b__c.d:1').repository, 'a--b__c.d');
});

test('WWW-Authenticate: schemes case-insensitive, quoted and bare parameters, several challenges in one header', () => {
  assert.deepEqual(
    parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:fw:pull"'),
    [
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:fw:pull' },
      },
    ],
  );
  assert.deepEqual(parseChallenges('basic Realm=plain, Bearer realm="a,b \\"c\\"", error="insufficient_scope"'), [
    { scheme: 'basic', params: { realm: 'plain' } },
    { scheme: 'bearer', params: { realm: 'a,b "c"', error: 'insufficient_scope' } },
  ]);
  assert.deepEqual(parseChallenges(''), []);
});
