// The login form of a real drg serve (in process, real sockets) under attack: lockout per account and per client
// with a clock the tests move, reset on success, the device code page, 503 when the password checks are full, the
// API answering while checks run, and the logs of failed logins (never a password).
import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import * as client from 'openid-client';
import type { ServerOptions } from '../../src/server-lite/server.js';
import { Browser, drogueClient, formsOf, openLoginForm } from '../helpers/oidc.js';
import { tempDir } from '../helpers/serve.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const APPS = '/api/registry/v1alpha1/apps';
const ALICE = { name: 'alice', password: 'alice: correct horse battery' };
const WRONG = 'wrong: Tr0ub4dor&3';
const WAIT_1S = 'Wait 1 second before you try again.';
let slow: Array<{ name: string; hash: string }> | undefined;
/** Users whose password checks take ~0.3 s of CPU each (bcrypt cost 12), to keep checks in flight. */
function slowUsers(): Array<{ name: string; hash: string }> {
  if (!slow) {
    const hash = bcrypt.hashSync('slow users password', 12);
    slow = ['slow1', 'slow2', 'slow3', 'slow4'].map((name) => ({ name, hash }));
  }
  return slow;
}

interface Guarded {
  s: TestServer;
  /** The login throttle's clock. */
  clock: { now: number };
  close: () => Promise<void>;
}

async function start(options: Partial<ServerOptions> = {}): Promise<Guarded> {
  const dir = tempDir('drg-login-guard-');
  const clock = { now: Date.now() };
  const s = await startTestServer(join(dir, 'data'), {
    users: [ALICE],
    loginThrottle: { now: () => clock.now },
    ...options,
  });
  return {
    s,
    clock,
    close: () => s.close(),
  };
}

async function withServer(options: Partial<ServerOptions>, body: (g: Guarded) => Promise<void>): Promise<void> {
  const g = await start(options);
  try {
    await body(g);
  } finally {
    await g.close();
  }
}

interface LoginForm {
  browser: Browser;
  action: URL;
  fields: Record<string, string>;
}

async function openLogin(s: TestServer): Promise<LoginForm> {
  const { browser, form } = await openLoginForm(s.server.issuerUrl);
  return { browser, action: new URL(form.action), fields: form.fields };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  html: string;
}

/** Submits the login form from `localAddress` (any loopback address is this machine). */
function submit(form: LoginForm, username: string, password: string, localAddress = '127.0.0.1'): Promise<Answer> {
  const body = new URLSearchParams({ ...form.fields, username, password }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      form.action,
      {
        method: 'POST',
        localAddress,
        headers: {
          accept: 'text/html',
          cookie: form.browser.cookieHeader(form.action),
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let html = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          html += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, html }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A right password: oidc-provider redirects (303) back to the authorization, which leads to the client. */
function assertLoggedIn(answer: Answer): void {
  assert.equal(answer.status, 303, answer.html);
  assert.match(answer.headers.location ?? '', /\/oidc\/auth\//);
}

function assertWrong(answer: Answer, wait?: string): void {
  assert.equal(answer.status, 200);
  assert.match(answer.html, /role="alert">Wrong username or password\./);
  if (wait) assert.ok(answer.html.includes(wait), 'the page says how long to wait');
  else assert.doesNotMatch(answer.html, /Wait \d/);
}

function assertWaiting(answer: Answer, seconds: number): void {
  assert.equal(answer.status, 429);
  assert.equal(answer.headers['retry-after'], String(seconds));
  assert.match(answer.html, /role="alert">Too many failed logins\. Wait \d+ seconds? before you try again\./);
  assert.match(answer.html, /<form method="post"/, 'the form is there to try again');
}

interface LogEntry {
  level: number;
  msg: string;
  [field: string]: unknown;
}

function logEntries(s: TestServer, msg: string): LogEntry[] {
  return s
    .logs()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogEntry)
    .filter((entry) => entry.msg === msg);
}

test('100 wrong passwords and then the right one: after 3 failures the account waits, unchecked, until the wait is over', () =>
  withServer({}, async ({ s, clock }) => {
    const form = await openLogin(s);
    const answers: Answer[] = [];
    for (let i = 0; i < 100; i++) answers.push(await submit(form, ALICE.name, `${WRONG} ${i}`));
    for (const answer of answers.slice(0, 3)) assertWrong(answer);
    // The fourth failure starts the first wait; during it nothing is checked.
    assertWrong(answers[3], WAIT_1S);
    for (const answer of answers.slice(4)) assertWaiting(answer, 1);
    assertWaiting(await submit(form, ALICE.name, ALICE.password), 1);
    assert.equal(logEntries(s, 'login failed').length, 4, 'only 4 passwords were checked');

    clock.now += 999;
    assertWaiting(await submit(form, ALICE.name, ALICE.password), 1);
    clock.now += 1;
    // Each further failure doubles the wait.
    assertWrong(await submit(form, ALICE.name, WRONG), 'Wait 2 seconds before you try again.');
    clock.now += 1000;
    assertWaiting(await submit(form, ALICE.name, ALICE.password), 1);
    clock.now += 1000;
    assertLoggedIn(await submit(form, ALICE.name, ALICE.password));
  }));

test('a success resets the account: three more failures are free again', () =>
  withServer({}, async ({ s }) => {
    let form = await openLogin(s);
    for (let i = 0; i < 3; i++) assertWrong(await submit(form, ALICE.name, WRONG));
    assertLoggedIn(await submit(form, ALICE.name, ALICE.password));
    form = await openLogin(s);
    for (let i = 0; i < 3; i++) assertWrong(await submit(form, ALICE.name, WRONG));
    assertWrong(await submit(form, ALICE.name, WRONG), WAIT_1S);
  }));

test('a client is throttled across user names, known or not; another client is not', () =>
  withServer({}, async ({ s, clock }) => {
    const form = await openLogin(s);
    // Ten free failures for a client, one each for ten names.
    for (let i = 0; i < 10; i++) assertWrong(await submit(form, `guess${i}`, WRONG));
    assertWrong(await submit(form, ALICE.name, WRONG), WAIT_1S);
    assertWaiting(await submit(form, 'bob', WRONG), 1);
    assertWaiting(await submit(form, ALICE.name, ALICE.password), 1);
    // alice herself has one failure: from another address she logs in.
    assertLoggedIn(await submit(form, ALICE.name, ALICE.password, '127.0.0.2'));

    clock.now += 1000;
    const again = await openLogin(s);
    assertWrong(await submit(again, 'guess10', WRONG), 'Wait 2 seconds before you try again.');
    clock.now += 2000;
    assertLoggedIn(await submit(again, ALICE.name, ALICE.password));
  }));

test('wrong device codes count against the client: past 10 the code page makes it wait (429)', () =>
  withServer({}, async ({ s, clock }) => {
    const device = await client.initiateDeviceAuthorization(await drogueClient(s.server.issuerUrl), {
      scope: 'openid',
    });
    const browser = new Browser();
    const origin = new URL(device.verification_uri).origin;
    const input = await browser.follow(device.verification_uri, origin);
    let [form] = formsOf(await input.res.text(), input.url);
    const enter = (userCode: string) =>
      browser.follow(form.action, origin, { form: { ...form.fields, user_code: userCode } });
    for (let i = 0; i < 11; i++) {
      const wrong = await enter('BCDF-GHJK');
      const html = await wrong.res.text();
      assert.match(html, /That code is not valid/);
      [form] = formsOf(html, wrong.url);
    }
    const refused = await enter(device.user_code);
    assert.equal(refused.res.status, 429);
    assert.equal(refused.res.headers.get('retry-after'), '1');
    assert.match(await refused.res.text(), /Too many wrong codes\. Wait 1 second before you try again\./);
    const failures = logEntries(s, 'device code not found');
    assert.equal(failures.length, 11);
    assert.equal(failures[10].clientFailures, 11);
    assert.equal(failures[10].waitSeconds, 1);

    clock.now += 1000;
    const confirm = await enter(device.user_code);
    assert.equal(confirm.res.status, 200);
    assert.ok((await confirm.res.text()).includes(device.user_code), 'the confirmation shows the code');
  }));

test('a full queue of password checks refuses a login at once: 503, try again later', () =>
  withServer({ hashedUsers: slowUsers(), passwordPool: { threads: 1, maxQueue: 1 } }, async ({ s }) => {
    const form = await openLogin(s);
    // One check runs and one waits (each ~0.3 s); the other two find no room.
    const answers = await Promise.all(slowUsers().map(({ name }) => submit(form, name, WRONG)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 503, 503]);
    for (const busy of answers.filter((a) => a.status === 503)) {
      assert.equal(busy.headers['retry-after'], '1');
      assert.match(busy.html, /role="alert">The server is busy checking other logins\. Try again in a moment\./);
      assert.match(busy.html, /<form method="post"/);
    }
    // Refused attempts were not failures: each slow user has one failure at most, and the queue is free again.
    assertLoggedIn(await submit(form, ALICE.name, ALICE.password));
  }));

test('the API answers while password checks are in flight', () =>
  withServer({ hashedUsers: slowUsers(), passwordPool: { threads: 1 } }, async ({ s }) => {
    const form = await openLogin(s);
    let answered = 0;
    const logins = slowUsers().map(({ name }) =>
      submit(form, name, WRONG).finally(() => {
        answered++;
      }),
    );
    // When the first check is done (~0.3 s), the other three are queued or running on the pool's one thread.
    await Promise.race(logins);
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${s.url}${APPS}`, { headers: { authorization: s.authorization } });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    assert.equal(answered, 1, 'the GETs were answered while three password checks were in flight');
    for (const answer of await Promise.all(logins)) assertWrong(answer);
  }));

test('failed logins are logged at warn (name escaped and cut, client, counts, lockout), successes at info, passwords never', () =>
  withServer({}, async ({ s, clock }) => {
    const passwords = [ALICE.password];
    const form = await openLogin(s);
    for (let i = 0; i < 4; i++) {
      passwords.push(`${WRONG} #${i}`);
      await submit(form, ALICE.name, passwords.at(-1) ?? '');
    }
    const forged = 'mallory\n{"level":30,"msg":"login succeeded"}\u001b[2J\u202e';
    passwords.push('mallory password 1');
    await submit(form, forged, passwords.at(-1) ?? '');
    passwords.push('long name password');
    await submit(form, `${'n'.repeat(70)}\u0000`, passwords.at(-1) ?? '');
    clock.now += 1000;
    assertLoggedIn(await submit(form, ALICE.name, ALICE.password));

    const failed = logEntries(s, 'login failed');
    assert.ok(failed.every((entry) => entry.level === 40));
    assert.deepEqual(
      failed.map(({ user, client, failures, clientFailures, lockout, waitSeconds }) => ({
        user,
        client,
        failures,
        clientFailures,
        lockout,
        waitSeconds,
      })),
      [
        { user: 'alice', client: '127.0.0.1', failures: 1, clientFailures: 1, lockout: false, waitSeconds: undefined },
        { user: 'alice', client: '127.0.0.1', failures: 2, clientFailures: 2, lockout: false, waitSeconds: undefined },
        { user: 'alice', client: '127.0.0.1', failures: 3, clientFailures: 3, lockout: false, waitSeconds: undefined },
        { user: 'alice', client: '127.0.0.1', failures: 4, clientFailures: 4, lockout: true, waitSeconds: 1 },
        {
          user: 'mallory\\u{a}{"level":30,"msg":"login succeeded"}\\u{1b}[2J\\u{202e}',
          client: '127.0.0.1',
          failures: 1,
          clientFailures: 5,
          lockout: false,
          waitSeconds: undefined,
        },
        {
          user: `${'n'.repeat(64)}…`,
          client: '127.0.0.1',
          failures: 1,
          clientFailures: 6,
          lockout: false,
          waitSeconds: undefined,
        },
      ],
    );
    const succeeded = logEntries(s, 'login succeeded');
    assert.equal(succeeded.length, 1, 'the forged entry is a string inside a failure, not an entry');
    assert.equal(succeeded[0].level, 30);
    assert.equal(succeeded[0].user, 'alice');
    assert.equal(succeeded[0].client, '127.0.0.1');

    const logs = s.logs();
    for (const password of passwords) assert.ok(!logs.includes(password), `a password is in the logs: ${password}`);
  }));
