import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matches, parseSelector, SelectorError } from '../../src/model/selector.js';

const sel = (text: string, labels?: Record<string, string>) => matches(parseSelector(text), labels);

describe('parseSelector', () => {
  test('parses every operator', () => {
    assert.deepEqual(parseSelector('a=1,b==2,c!=3,d in (x, y),e notin (z),f,!g'), [
      { op: 'eq', key: 'a', value: '1' },
      { op: 'eq', key: 'b', value: '2' },
      { op: 'neq', key: 'c', value: '3' },
      { op: 'in', key: 'd', values: ['x', 'y'] },
      { op: 'notin', key: 'e', values: ['z'] },
      { op: 'exists', key: 'f' },
      { op: 'absent', key: 'g' },
    ]);
  });

  test('allows whitespace around tokens', () => {
    assert.deepEqual(parseSelector('  a = 1 ,  ! b , c  notin(x ,y ) , d != 2 '), [
      { op: 'eq', key: 'a', value: '1' },
      { op: 'absent', key: 'b' },
      { op: 'notin', key: 'c', values: ['x', 'y'] },
      { op: 'neq', key: 'd', value: '2' },
    ]);
  });

  test('at most 100 requirements', () => {
    const requirements = (n: number) => Array.from({ length: n }, (_, i) => `k${i}`).join(',');
    assert.equal(parseSelector(requirements(100)).length, 100);
    assert.throws(
      () => parseSelector(requirements(101)),
      (err: unknown) =>
        err instanceof SelectorError &&
        /^the label selector has more than 100 requirements \(the limit\)/.test(err.message),
    );
  });

  test('an empty selector has no requirements', () => {
    assert.deepEqual(parseSelector(''), []);
    assert.deepEqual(parseSelector('   '), []);
  });

  test('accepts Kubernetes keys with a DNS prefix and empty values', () => {
    assert.deepEqual(parseSelector('example.com/tier=gold,app.kubernetes.io/name,k='), [
      { op: 'eq', key: 'example.com/tier', value: 'gold' },
      { op: 'exists', key: 'app.kubernetes.io/name' },
      { op: 'eq', key: 'k', value: '' },
    ]);
    assert.deepEqual(parseSelector(`${'k'.repeat(63)}=${'v'.repeat(63)}`), [
      { op: 'eq', key: 'k'.repeat(63), value: 'v'.repeat(63) },
    ]);
  });

  for (const bad of [
    'a=1,',
    ',a=1',
    'a b',
    'a in',
    'a in ()',
    'a in (x',
    'a in (x,)',
    'a notin x',
    '!',
    '!a=1',
    '=1',
    'a=1=2',
    'a=b c',
    '-a=1',
    'a-=1',
    'Example.com/a=1',
    '/a',
    'a/',
    `${'k'.repeat(64)}=1`,
    `a=${'v'.repeat(64)}`,
    'a=-v',
    'a=v@',
  ]) {
    test(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => parseSelector(bad),
        (err: Error) => {
          assert.ok(err instanceof SelectorError, `${err}`);
          assert.match(err.message, /malformed label selector/);
          return true;
        },
      );
    });
  }

  test('the error says what is wrong', () => {
    assert.throws(() => parseSelector('a=v@'), /invalid label value "v@"/);
    assert.throws(() => parseSelector('a in (x'), /expected ','/);
  });
});

describe('matches', () => {
  const labels = { tier: 'gold', zone: 'eu' };

  test('equality', () => {
    assert.equal(sel('tier=gold', labels), true);
    assert.equal(sel('tier==gold', labels), true);
    assert.equal(sel('tier=silver', labels), false);
    assert.equal(sel('missing=gold', labels), false);
  });

  test('inequality does not match objects lacking the label', () => {
    assert.equal(sel('tier!=silver', labels), true);
    assert.equal(sel('tier!=gold', labels), false);
    assert.equal(sel('missing!=gold', labels), false);
    assert.equal(sel('tier!=silver', undefined), false);
  });

  test('in', () => {
    assert.equal(sel('tier in (silver,gold)', labels), true);
    assert.equal(sel('tier in (silver)', labels), false);
    assert.equal(sel('missing in (gold)', labels), false);
  });

  test('notin, like !=, does not match objects lacking the label (unlike Kubernetes)', () => {
    assert.equal(sel('tier notin (silver)', labels), true);
    assert.equal(sel('tier notin (silver,gold)', labels), false);
    assert.equal(sel('missing notin (gold)', labels), false);
    assert.equal(sel('tier notin (silver)', undefined), false);
  });

  test('exists and absent', () => {
    assert.equal(sel('tier', labels), true);
    assert.equal(sel('missing', labels), false);
    assert.equal(sel('!missing', labels), true);
    assert.equal(sel('!tier', labels), false);
    assert.equal(sel('!tier', undefined), true);
  });

  test('comma means AND; empty matches all', () => {
    assert.equal(sel('tier=gold,zone=eu', labels), true);
    assert.equal(sel('tier=gold,zone=us', labels), false);
    assert.equal(sel('', labels), true);
    assert.equal(sel('', undefined), true);
  });

  test('does not see inherited properties', () => {
    assert.equal(sel('constructor'), false);
    assert.equal(sel('toString', {}), false);
  });
});
