// drg login's cluster URL argument.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClusterUrl } from '../../src/auth/cluster-url.js';
import { UsageError } from '../../src/errors.js';

test('a bare host means https; the trailing slash goes', () => {
  assert.equal(parseClusterUrl('api.example.com'), 'https://api.example.com');
  assert.equal(parseClusterUrl('http://localhost:8011/'), 'http://localhost:8011');
});

test('a URL with credentials is refused without repeating them, whatever its scheme', () => {
  for (const url of ['https://bob:secret-pw@example.com', 'ftp://bob:secret-pw@example.com']) {
    assert.throws(
      () => parseClusterUrl(url),
      (err: unknown) =>
        err instanceof UsageError &&
        err.message === 'the URL must not contain credentials: use --access-token' &&
        !err.message.includes('secret-pw'),
      url,
    );
  }
});

test('a scheme other than http(s) is refused', () => {
  assert.throws(() => parseClusterUrl('ftp://example.com'), /"ftp:\/\/example\.com" is not an http\(s\) URL/);
});

test('text that is no URL is refused without repeating it (it may hold a password)', () => {
  assert.throws(
    () => parseClusterUrl('https://bob:secret pw@exa mple'),
    (err: unknown) =>
      err instanceof UsageError &&
      err.message === 'the cluster address is not a URL' &&
      !err.message.includes('secret'),
  );
});
