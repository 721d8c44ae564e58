// The progress bar of drg firmware push (src/output/progress.ts): drawn in place on a terminal only, at most every
// 100 ms, coloured unless NO_COLOR, never with machine formats; its label escaped and cut to the terminal's width.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OutputStream } from '../../src/cli/io.js';
import type { OutputFormat } from '../../src/output/format.js';
import { progressBar } from '../../src/output/progress.js';

const ESC = '\u001b';
const CLEAR = `\r${ESC}[K`;

function terminal(isTTY = true, columns = 100) {
  let written = '';
  const stderr: OutputStream = {
    write: (text) => {
      written += text;
    },
    isTTY,
    columns,
  };
  let now = 0;
  const bar = (label: string, total: number, options: { env?: Record<string, string>; format?: OutputFormat } = {}) =>
    progressBar(
      { stderr, env: options.env ?? { NO_COLOR: '1' }, format: options.format ?? 'table', now: () => now },
      label,
      total,
    );
  return {
    bar,
    /** What was written since the last call. */
    take: () => {
      const text = written;
      written = '';
      return text;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

test('redrawn in place at most every 100 ms, then finished at the total with a line break', () => {
  const t = terminal();
  const bar = t.bar('fw 1.0', 4096);
  bar.update(0);
  assert.equal(t.take(), `${CLEAR}fw 1.0 [${'-'.repeat(30)}] 0% 0 B/4 KiB`);
  t.advance(50);
  bar.update(1024);
  assert.equal(t.take(), '', 'not again within 100 ms');
  t.advance(50);
  bar.update(2048);
  assert.equal(t.take(), `${CLEAR}fw 1.0 [${'#'.repeat(15)}${'-'.repeat(15)}] 50% 2 KiB/4 KiB`);
  bar.finish();
  assert.equal(t.take(), `${CLEAR}fw 1.0 [${'#'.repeat(30)}] 100% 4 KiB/4 KiB\n`);
});

test('cleared before an error is printed; nothing to clear when it was never drawn', () => {
  const t = terminal();
  const bar = t.bar('fw', 10);
  bar.clear();
  assert.equal(t.take(), '');
  bar.update(5);
  t.take();
  bar.clear();
  assert.equal(t.take(), CLEAR);
});

test('coloured without NO_COLOR: the part to go is dim', () => {
  const t = terminal();
  t.bar('fw', 10, { env: {} }).update(5);
  assert.equal(t.take(), `${CLEAR}fw [${'#'.repeat(15)}${ESC}[2m${'-'.repeat(15)}${ESC}[22m] 50% 5 B/10 B`);
});

test('nothing at all when stderr is not a terminal, or the output is for programs', () => {
  for (const [isTTY, format] of [
    [false, 'table'],
    [true, 'json'],
    [true, 'yaml'],
    [true, 'name'],
  ] as const) {
    const t = terminal(isTTY);
    const bar = t.bar('fw', 10, { format });
    bar.update(5);
    bar.finish();
    bar.clear();
    assert.equal(t.take(), '', `${isTTY} ${format}`);
  }
});

test('the label is escaped, and cut to fit a narrow terminal on one line', () => {
  const t = terminal(true, 100);
  t.bar(`evil${ESC}]0;title\u0007 ${'x'.repeat(100)}`, 10).update(10);
  const line = t.take();
  assert.ok(!line.slice(CLEAR.length).includes(ESC), 'no escape sequence from the label');
  assert.ok(line.length - CLEAR.length <= 100, `${line.length - CLEAR.length} characters`);
  assert.match(line.slice(CLEAR.length), /^evil\\x1b\]0;title\\x07 x+… \[#{30}\] 100% 10 B\/10 B$/);
});
