// drg serve is its own bundle: the CLI's, which every command parses, holds none of the server.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

const dist = (file: string) => readFileSync(resolve(import.meta.dirname, '../../dist', file), 'utf8');
/** Traces of the server: its schema, and the packages only it uses. */
const SERVER_CODE = [
  'CREATE TABLE',
  'require("better-sqlite3")',
  'require("fastify")',
  'require("pino")',
  'require("piscina")',
  'import("oidc-provider")',
];

test('dist/cli.cjs holds no server code; drg serve loads it from dist/server.cjs', () => {
  const cli = dist('cli.cjs');
  for (const trace of SERVER_CODE) assert.ok(!cli.includes(trace), `dist/cli.cjs contains ${trace}`);
  assert.ok(cli.includes('require("./server.cjs")'), 'drg serve loads the server bundle');
  const server = dist('server.cjs');
  for (const trace of SERVER_CODE) assert.ok(server.includes(trace), `dist/server.cjs lacks ${trace}`);
});
