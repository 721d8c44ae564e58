// Runs every test/**/*.test.ts with node's test runner (TypeScript through tsx).
// Usage: node scripts/test.mjs [substring filter...]
// The run has a temporary directory of its own (TMPDIR), removed afterwards: nothing a test or a drg it ran
// leaves there outlives the run. Files a test leaves in the working tree fail the run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? find(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

/** Files git does not know and does not ignore; undefined outside a git checkout. */
function untracked() {
  const git = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { encoding: 'utf8' });
  if (git.status !== 0) return undefined;
  return new Set(
    git.stdout
      .split('\n')
      .filter((l) => l.startsWith('?? '))
      .map((l) => l.slice(3)),
  );
}

const filters = process.argv.slice(2);
const files = find('test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const before = untracked();
const tmp = mkdtempSync(join(tmpdir(), 'drg-tests-'));
const env = { ...process.env, TMPDIR: tmp };
delete env.NODE_EXTRA_CA_CERTS;
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=120000', ...files],
  { stdio: 'inherit', env },
);
rmSync(tmp, { recursive: true, force: true });
const left = before && [...(untracked() ?? [])].filter((f) => !before.has(f));
if (left?.length) {
  console.error(
    `tests left files in the working tree (remove them, or write them to a temp dir):\n  ${left.join('\n  ')}`,
  );
  process.exit(1);
}
process.exit(result.status ?? 1);
