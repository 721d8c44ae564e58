// The JSON rules shared by the CLI and drg serve (model/json.ts): nesting depth, on text and on values, and
// well-formed strings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonTextTooDeep, jsonValueProblem, MAX_JSON_DEPTH } from '../../src/model/json.js';

const nestedText = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

test('the depth of JSON text counts objects and arrays, not brackets inside strings', () => {
  assert.equal(MAX_JSON_DEPTH, 64);
  assert.equal(jsonTextTooDeep(nestedText(64)), false);
  assert.equal(jsonTextTooDeep(nestedText(65)), true);
  assert.equal(jsonTextTooDeep(`{"a":${nestedText(63)}}`), false);
  assert.equal(jsonTextTooDeep(`{"a":${nestedText(64)}}`), true);
  // Brackets in strings, after escaped quotes and backslashes, are text.
  const brackets = '['.repeat(100);
  assert.equal(jsonTextTooDeep(`{"a":"${brackets}","b\\"${brackets}":"\\\\","c":"${brackets}"}`), false);
  assert.equal(jsonTextTooDeep(`["\\\\"${',['.repeat(64)}${']'.repeat(64)}]`), true);
});

test('a value is refused past the depth and for lone surrogates, naming where', () => {
  assert.equal(jsonValueProblem(JSON.parse(nestedText(64))), undefined);
  assert.equal(jsonValueProblem({ spec: JSON.parse(nestedText(64)) }), 'spec nests deeper than 64 levels (the limit)');
  assert.equal(jsonValueProblem({ a: ['ok', '😀', { b: 'x' }], n: 1, z: null }), undefined);
  assert.match(jsonValueProblem({ a: ['ok', { b: 'x\ud800' }] })!, /^a\[1\]\.b is not valid Unicode/);
  assert.match(jsonValueProblem({ a: { 'k\udc00': 1 } })!, /^the key "k\\udc00" of a is not valid Unicode/);
  assert.match(jsonValueProblem('\ud800')!, /^the document is not valid Unicode/);
});
