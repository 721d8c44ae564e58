// login, whoami and config|context against a real drg serve; each test has its own config file.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { parse } from 'yaml';
import { readConfigFile } from '../helpers/config.js';
import { runDrg as drg, localServerDuringTests } from '../helpers/drg.js';
import { newConfigPath, ok } from '../helpers/serve.js';

const serve = localServerDuringTests();

/** A fresh config file logged in to the test server as context `default`. */
async function loggedIn(): Promise<string> {
  const config = newConfigPath();
  ok(await drg(config, ['login', serve.url, '--access-token', `admin:${serve.token}`]));
  return config;
}

test('login --access-token writes the context "default" (0600), makes it active, and whoami works', async () => {
  const config = newConfigPath();
  const r = ok(await drg(config, ['login', serve.url, '--access-token', `admin:${serve.token}`]));
  assert.equal(r.stdout, `Logged in to ${serve.url} as admin (context default, active)\n`);
  assert.ok(!r.stdout.includes(serve.token) && !r.stderr.includes(serve.token));
  assert.equal(statSync(config).mode & 0o777, 0o600);
  const cfg = readConfigFile(config);
  assert.equal(cfg.active_context, 'default');
  assert.deepEqual(cfg.contexts, [
    {
      name: 'default',
      drogue_cloud_url: serve.url,
      registry_url: serve.url,
      auth_url: `${serve.url}/oidc/auth`,
      token_url: `${serve.url}/oidc/token`,
      token: { id: 'admin', token: serve.token },
    },
  ]);

  assert.equal(
    ok(await drg(config, ['whoami'])).stdout,
    `You are logged in to ${serve.url} as admin (context default)\n`,
  );
  assert.deepEqual(JSON.parse(ok(await drg(config, ['whoami', '-o', 'json'])).stdout), {
    context: 'default',
    user: 'admin',
    drogue_cloud_url: serve.url,
  });
  assert.equal(ok(await drg(config, ['whoami', '--token'])).stdout, `${serve.token}\n`);
  assert.equal(ok(await drg(config, ['whoami', '-t'])).stdout, `${serve.token}\n`);
  assert.deepEqual(JSON.parse(ok(await drg(config, ['whoami', '--token', '-o', 'json'])).stdout), {
    token: serve.token,
  });
});

test('login -c NAME -k keeps the active context; --config and a trailing slash on the URL', async () => {
  const config = await loggedIn();
  const other = ok(
    await drg(newConfigPath(), [
      '--config',
      config,
      'login',
      `${serve.url}/`,
      '--access-token',
      `admin:${serve.token}`,
      '-c',
      'second',
      '-k',
    ]),
  );
  assert.equal(other.stdout, `Logged in to ${serve.url} as admin (context second)\n`);
  const cfg = readConfigFile(config);
  assert.equal(cfg.active_context, 'default');
  assert.deepEqual(
    cfg.contexts.map((c: { name: string; drogue_cloud_url: string }) => [c.name, c.drogue_cloud_url]),
    [
      ['default', serve.url],
      ['second', serve.url],
    ],
  );
  ok(await drg(config, ['login', serve.url, '--access-token', `admin:${serve.token}`, '--context', 'second']));
  assert.equal(readConfigFile(config).active_context, 'second');
});

test('login failures: a rejected token, a rejected refresh token, a malformed token, no server', async () => {
  const config = await loggedIn();
  const before = readFileSync(config, 'utf8');

  const rejected = await drg(config, ['login', serve.url, '--access-token', 'admin:drg_wrong_token', '-c', 'bad']);
  assert.equal(rejected.code, 4, 'rejected credentials are an authentication failure');
  assert.match(rejected.stderr, new RegExp(`^error: ${serve.url} rejected the access token of user admin\n`));
  assert.ok(!rejected.stderr.includes('drg_wrong_token'));
  const json = await drg(config, ['login', serve.url, '--access-token', 'admin:drg_wrong_token', '-o', 'json']);
  assert.equal(JSON.parse(json.stdout).http_status, 403);

  const refresh = await drg(config, ['login', serve.url, '-t', 'a-refresh-token']);
  assert.equal(refresh.code, 4, refresh.stderr);
  assert.match(
    refresh.stderr,
    /^error: the issuer rejected the refresh token: it has expired, was revoked, or was already used\n/,
  );
  assert.ok(!refresh.stderr.includes('a-refresh-token'));
  const malformed = await drg(config, ['login', serve.url, '--access-token', 'no-colon']);
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /^error: --access-token must be USER:TOKEN\n/);

  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((r) => probe.close(() => r()));
  const down = await drg(config, ['login', `http://127.0.0.1:${port}`, '--access-token', `admin:${serve.token}`]);
  assert.equal(down.code, 1);
  assert.match(
    down.stderr,
    /^error: cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused; is the server running\?\n/,
  );

  assert.equal(readFileSync(config, 'utf8'), before, 'the config is unchanged by failed logins');
});

test('whoami endpoints: a table, one endpoint, JSON; -e spelling', async () => {
  const config = await loggedIn();
  const table = ok(await drg(config, ['whoami', 'endpoints'])).stdout;
  assert.match(table, /^NAME\s+URL\n/);
  assert.match(table, new RegExp(`\nregistry\\s+${serve.url}\n`));
  assert.equal(ok(await drg(config, ['whoami', 'endpoints', 'registry'])).stdout, `${serve.url}\n`);
  assert.equal(ok(await drg(config, ['whoami', '-e', 'registry'])).stdout, `${serve.url}\n`);
  const json = JSON.parse(ok(await drg(config, ['-o', 'json', 'whoami', 'endpoints'])).stdout);
  assert.deepEqual(json.registry, { url: serve.url });
  const unknown = await drg(config, ['whoami', 'endpoints', 'nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^error: no endpoint "nope": known are .*registry/);
});

test('config list / show: the active context marked, token secrets redacted, snake_case keys', async () => {
  const config = await loggedIn();
  ok(await drg(config, ['login', serve.url, '--access-token', `admin:${serve.token}`, '-c', 'second', '-k']));

  const list = ok(await drg(config, ['config', 'list']))
    .stdout.trimEnd()
    .split('\n');
  assert.match(list[0], /^CURRENT\s+NAME\s+URL\s+DEFAULT-APP$/);
  assert.match(list[1], /^\*\s+default\s+http/);
  assert.match(list[2], /^\s+second\s+http/);
  assert.equal(ok(await drg(config, ['context', 'list', '-o', 'name'])).stdout, 'default\nsecond\n');
  assert.deepEqual(
    JSON.parse(ok(await drg(config, ['config', 'list', '-o', 'json'])).stdout).map(
      (c: { active: boolean }) => c.active,
    ),
    [true, false],
  );

  const show = ok(await drg(config, ['config', 'show']));
  assert.ok(!show.stdout.includes(serve.token), 'no secret in config show');
  const shown = parse(show.stdout);
  assert.equal(shown.active_context, 'default');
  assert.deepEqual(shown.contexts[0].token, { id: 'admin', token: '<redacted>' });

  const active = JSON.parse(ok(await drg(config, ['context', 'show', '--active', '-o', 'json'])).stdout);
  assert.deepEqual(active, {
    name: 'default',
    drogue_cloud_url: serve.url,
    registry_url: serve.url,
    auth_url: `${serve.url}/oidc/auth`,
    token_url: `${serve.url}/oidc/token`,
    token: { id: 'admin', token: '<redacted>' },
  });
  const chosen = JSON.parse(ok(await drg(config, ['config', 'show', '--active', '-o', 'json', '-c', 'second'])).stdout);
  assert.equal(chosen.name, 'second');
});

test('an OAuth token is redacted too (access, refresh and id tokens)', async () => {
  const config = newConfigPath();
  writeFileSync(
    config,
    `active_context: sso\ncontexts:\n  - name: sso\n    drogue_cloud_url: https://example.invalid\n    token:\n      access_token: AT-secret\n      refresh_token: RT-secret\n      id_token: ID-secret\n      token_type: bearer\n      expires_in: 300\n      scope: openid offline_access\n`,
  );
  const out = ok(await drg(config, ['config', 'show', '--active', '-o', 'json'])).stdout;
  assert.ok(!/AT-secret|RT-secret|ID-secret/.test(out), out);
  assert.deepEqual(JSON.parse(out).token, {
    access_token: '<redacted>',
    refresh_token: '<redacted>',
    id_token: '<redacted>',
    token_type: 'bearer',
    expires_in: 300,
    scope: 'openid offline_access',
  });
});

test('default-app: used when --app is absent, shown as default_app; -c and DRG_CONTEXT choose the context', async () => {
  const config = await loggedIn();
  ok(await drg(config, ['login', serve.url, '--access-token', `admin:${serve.token}`, '-c', 'second', '-k']));
  ok(await drg(config, ['create', 'app', 'home-app']));
  ok(await drg(config, ['create', 'device', 'dev-1', '--app', 'home-app']));

  assert.equal(
    ok(await drg(config, ['context', 'default-app', 'home-app'])).stdout,
    'Context default updated: default application home-app\n',
  );
  assert.equal(ok(await drg(config, ['get', 'devices', '-o', 'name'])).stdout, 'device/dev-1\n');
  assert.equal(
    JSON.parse(ok(await drg(config, ['config', 'show', '--active', '-o', 'json'])).stdout).default_app,
    'home-app',
  );
  ok(await drg(config, ['create', 'device', 'dev-2']));
  assert.equal(ok(await drg(config, ['get', 'devices', '-o', 'name'])).stdout, 'device/dev-1\ndevice/dev-2\n');
  // an explicit --app wins over the default
  ok(await drg(config, ['create', 'app', 'other-app']));
  assert.equal(ok(await drg(config, ['get', 'devices', '--app', 'other-app', '-o', 'name'])).stdout, '');

  // the context "second" has no default app: chosen by -c (after the subcommand) or DRG_CONTEXT
  for (const [args, env] of [
    [['get', 'devices', '-c', 'second'], {}],
    [['get', 'devices'], { DRG_CONTEXT: 'second' }],
  ] as [string[], Record<string, string>][]) {
    const r = await drg(config, args, { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: no application/);
  }
  ok(await drg(config, ['config', 'default-app', 'other-app', '-c', 'second']));
  assert.equal(readConfigFile(config).contexts[1].default_app, 'other-app');

  // Stored as given, as drg 0.11 does, with a warning; commands that would use it refuse it.
  const invalid = ok(await drg(config, ['config', 'default-app', 'Not_An_App']));
  assert.match(invalid.stderr, /^warning: application name "Not_An_App" is invalid/);
  assert.equal(readConfigFile(config).contexts[0].default_app, 'Not_An_App');
  const refused = await drg(config, ['get', 'devices']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^error: the default app of context default: application name "Not_An_App" is invalid/);
  const unknown = ok(await drg(config, ['config', 'default-app', 'not-there-yet']));
  assert.match(unknown.stderr, /^warning: the server knows no application not-there-yet \(yet\)/);
  assert.equal(readConfigFile(config).contexts[0].default_app, 'not-there-yet');
  const known = ok(await drg(config, ['config', 'default-app', 'home-app']));
  assert.equal(known.stderr, '', 'no warning for an application that exists');
});

test('default-context, rename, delete; clear errors for unknown contexts', async () => {
  const config = await loggedIn();
  ok(await drg(config, ['login', serve.url, '--access-token', `admin:${serve.token}`, '-c', 'second', '-k']));

  assert.equal(
    ok(await drg(config, ['config', 'default-context', 'second'])).stdout,
    'Context second is now the active context\n',
  );
  assert.equal(readConfigFile(config).active_context, 'second');

  const unknown = await drg(config, ['config', 'default-context', 'third']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'error: context third not found (known: default, second)\n');
  const unknownUse = await drg(config, ['whoami', '-c', 'third']);
  assert.equal(unknownUse.stderr, 'error: context third not found (known: default, second)\n');

  assert.equal(
    ok(await drg(config, ['context', 'rename', 'second', 'renamed'])).stdout,
    'Context second renamed to renamed\n',
  );
  assert.equal(readConfigFile(config).active_context, 'renamed');
  const clash = await drg(config, ['config', 'rename', 'renamed', 'default']);
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /^error: context default already exists/);

  assert.equal(ok(await drg(config, ['config', 'delete', 'renamed'])).stdout, 'Context renamed deleted\n');
  const cfg = readConfigFile(config);
  assert.deepEqual(
    cfg.contexts.map((c: { name: string }) => c.name),
    ['default'],
  );
  assert.equal(cfg.active_context, undefined);
  const none = await drg(config, ['whoami']);
  assert.equal(none.code, 4, 'no context: not logged in');
  assert.equal(none.stderr, 'error: no context: run `drg login URL` (or `drg serve`)\n');
  ok(await drg(config, ['context', 'remove', 'default']));
  assert.deepEqual(readConfigFile(config).contexts, []);

  const create = await drg(config, ['config', 'create', 'x']);
  assert.equal(create.code, 1);
  assert.match(create.stderr, /contexts are created by `drg login URL`/);
});
