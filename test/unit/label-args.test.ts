import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitCodeOf } from '../../src/cli/report.js';
import { parseLabelArgs } from '../../src/commands/options.js';
import { UsageError } from '../../src/errors.js';
import { applyLabelChanges } from '../../src/resources/labels.js';

test('k=v sets, k- removes, k= sets the empty value', () => {
  assert.deepEqual(parseLabelArgs(['env=prod', 'tier-', 'example.com/team=core', 'empty=']), {
    set: { env: 'prod', 'example.com/team': 'core', empty: '' },
    remove: ['tier'],
  });
});

test('changes merge with the existing labels and remove the named ones', () => {
  const labels = { env: 'dev', tier: 'edge', keep: 'yes' };
  const next = applyLabelChanges(labels, parseLabelArgs(['env=prod', 'tier-', 'new=1', 'absent-']));
  assert.deepEqual(next, { env: 'prod', keep: 'yes', new: '1' });
  assert.deepEqual(labels, { env: 'dev', tier: 'edge', keep: 'yes' }, 'the input is not modified');
  assert.deepEqual(applyLabelChanges(undefined, parseLabelArgs(['a=b'])), { a: 'b' });
});

for (const [args, pattern] of [
  [[], /no labels/],
  [['novalue'], /invalid label "novalue"/],
  [['-bad=x'], /invalid label key "-bad"/],
  [['Upper.Case/x=y'], /prefix/],
  [['k=has space'], /invalid label value/],
  [[`k=${'v'.repeat(64)}`], /invalid label value/],
  [['=v'], /invalid label key ""/],
  [['k=a', 'k=b'], /given twice/],
  [['k=a', 'k-'], /both set and removed/],
] as const) {
  test(`rejects ${JSON.stringify(args)} as a usage error`, () => {
    assert.throws(
      () => parseLabelArgs(args),
      (err: Error) => err instanceof UsageError && exitCodeOf(err) === 2 && pattern.test(err.message),
    );
  });
}
