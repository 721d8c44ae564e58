// Repeated log entries are rate-limited: the first of a kind in full, then one summary per window.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { RateLimitedLog } from '../../src/server-lite/log-limit.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines, messages: () => lines.map((l) => l.msg) };
}

test('the first of a kind is logged, its repeats summed up when the minute is over', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { logger, lines, messages } = capture();
  const log = new RateLimitedLog(logger);
  log.warn('gone', { path: '/a' }, 'the client went away');
  for (let i = 0; i < 5; i++) log.warn('gone', { path: '/b' }, 'the client went away');
  log.error('boom', {}, 'request failed');
  assert.deepEqual(messages(), ['the client went away', 'request failed']);
  assert.equal(lines[0].path, '/a');

  t.mock.timers.tick(60_000);
  assert.deepEqual(messages().slice(2), ['5 more like this in the last minute: the client went away']);
  assert.equal(lines[2].level, 40);
  assert.equal(lines[2].repeats, 5);

  // The next one opens a new window; close() sums up the windows still open.
  log.warn('gone', {}, 'the client went away');
  log.warn('gone', {}, 'the client went away');
  log.close();
  assert.deepEqual(messages().slice(3), [
    'the client went away',
    '1 more like this in the last minute: the client went away',
  ]);
});

test('kinds beyond a hundred share one window, so requests cannot grow it without bound', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { logger, messages } = capture();
  const log = new RateLimitedLog(logger);
  for (let i = 0; i < 150; i++) log.error(`kind ${i}`, {}, `failure ${i}`);
  assert.equal(messages().length, 101);
  assert.equal(messages()[100], 'failure 100');
  t.mock.timers.tick(60_000);
  assert.equal(messages().at(-1), '49 more of other kinds in the last minute');
});
