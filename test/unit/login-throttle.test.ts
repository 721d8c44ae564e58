// The login throttle on its own, with a clock the tests move: free failures, doubling waits up to the cap,
// one check at a time past the free failures, reset on success, lapse after quiet hours, bounded tracking.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ACCOUNT_FREE_FAILURES,
  type Admission,
  CLIENT_FREE_FAILURES,
  clientOf,
  FIRST_WAIT_MS,
  LoginThrottle,
  MAX_TRACKED,
  MAX_WAIT_MS,
  QUIET_RESET_MS,
} from '../../src/server-lite/identity/oidc/login-throttle.js';

function clocked() {
  const clock = { now: 1_700_000_000_000 };
  return { clock, throttle: new LoginThrottle({ now: () => clock.now }) };
}

function admitted(admission: Admission) {
  assert.ok(admission.allowed, `refused: wait ${admission.allowed ? 0 : admission.waitSeconds} s`);
  return admission.attempt;
}

function waitOf(admission: Admission): number {
  assert.ok(!admission.allowed, 'expected a refusal');
  return admission.waitSeconds;
}

test('an account gets free failures, then each failure doubles its wait, up to the cap', () => {
  const { clock, throttle } = clocked();
  for (let i = 1; i <= ACCOUNT_FREE_FAILURES; i++) {
    assert.deepEqual(admitted(throttle.admit(`10.0.0.${i}`, 'alice')).failed(), {
      failures: i,
      clientFailures: 1,
      waitSeconds: 0,
    });
  }
  const waits: number[] = [];
  for (let i = 0; i < 12; i++) {
    const outcome = admitted(throttle.admit(`10.1.0.${i}`, 'alice')).failed();
    waits.push(outcome.waitSeconds);
    // Refused until the wait is over, however often it is asked.
    assert.equal(waitOf(throttle.admit('10.2.0.1', 'alice')), outcome.waitSeconds);
    clock.now += outcome.waitSeconds * 1000 - 1;
    assert.equal(waitOf(throttle.admit('10.2.0.1', 'alice')), 1);
    clock.now += 1;
  }
  const cap = MAX_WAIT_MS / 1000;
  assert.deepEqual(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, cap, cap]);
  assert.equal(FIRST_WAIT_MS, 1000);
});

test('a success resets the account, not the client', () => {
  const { throttle } = clocked();
  for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++) admitted(throttle.admit('10.0.0.1', 'alice')).failed();
  admitted(throttle.admit('10.0.0.1', 'alice')).succeeded();
  const outcome = admitted(throttle.admit('10.0.0.1', 'alice')).failed();
  assert.equal(outcome.failures, 1);
  assert.equal(outcome.clientFailures, ACCOUNT_FREE_FAILURES + 1);
});

test('a client is throttled across user names, and other clients and names are not', () => {
  const { throttle } = clocked();
  for (let i = 0; i <= CLIENT_FREE_FAILURES; i++) {
    const outcome = admitted(throttle.admit('10.0.0.1', `user${i}`)).failed();
    assert.equal(outcome.failures, 1);
    assert.equal(outcome.waitSeconds, i < CLIENT_FREE_FAILURES ? 0 : 1);
  }
  assert.equal(waitOf(throttle.admit('10.0.0.1', 'someone-else')), 1);
  admitted(throttle.admit('10.0.0.2', 'user0')).abandoned();
});

test('past the free failures, attempts are checked one at a time', () => {
  const { throttle } = clocked();
  // Before any failure, as many concurrent checks as there are free failures.
  const first = Array.from({ length: ACCOUNT_FREE_FAILURES }, (_, i) => admitted(throttle.admit(`10.0.1.${i}`, 'bob')));
  assert.equal(waitOf(throttle.admit('10.0.2.1', 'bob')), 1);
  for (const attempt of first) attempt.failed();
  // The next failure starts a wait: no second check may start before it ends.
  const next = admitted(throttle.admit('10.0.3.1', 'bob'));
  assert.equal(waitOf(throttle.admit('10.0.3.2', 'bob')), 1);
  next.abandoned();
  admitted(throttle.admit('10.0.3.2', 'bob')).abandoned();
});

test('an abandoned attempt (nothing checked) counts nothing; an ended attempt cannot end again', () => {
  const { throttle } = clocked();
  for (let i = 0; i < 10; i++) admitted(throttle.admit('10.0.0.1', 'carol')).abandoned();
  assert.deepEqual(throttle.tracked, { accounts: 0, clients: 0 });
  const attempt = admitted(throttle.admit('10.0.0.1', 'carol'));
  attempt.failed();
  attempt.abandoned();
  assert.throws(() => attempt.failed(), /already ended/);
  assert.throws(() => attempt.succeeded(), /already ended/);
});

test('counts lapse after the quiet period', () => {
  const { clock, throttle } = clocked();
  for (let i = 0; i <= ACCOUNT_FREE_FAILURES; i++) admitted(throttle.admit('10.0.0.1', 'dave')).failed();
  assert.equal(waitOf(throttle.admit('10.0.0.1', 'dave')), 1);
  clock.now += QUIET_RESET_MS - 1;
  assert.equal(admitted(throttle.admit('10.0.0.1', 'dave')).failed().failures, ACCOUNT_FREE_FAILURES + 2);
  clock.now += QUIET_RESET_MS;
  const fresh = admitted(throttle.admit('10.0.0.1', 'dave')).failed();
  assert.deepEqual(fresh, { failures: 1, clientFailures: 1, waitSeconds: 0 });
});

test('tracking is bounded: rotating names and addresses keeps at most MAX_TRACKED of each', () => {
  const { throttle } = clocked();
  // A locked account, then a flood of other names and addresses.
  for (let i = 0; i <= ACCOUNT_FREE_FAILURES; i++) admitted(throttle.admit('10.9.9.9', 'admin')).failed();
  for (let i = 0; i < 2.5 * MAX_TRACKED; i++) {
    admitted(throttle.admit(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `name${i}`)).failed();
    if (i % 1000 === 0) {
      // An account under attack stays tracked while it is being tried.
      assert.equal(waitOf(throttle.admit('10.9.9.8', 'admin')), 1);
    }
  }
  assert.deepEqual(throttle.tracked, { accounts: MAX_TRACKED, clients: MAX_TRACKED });
  // Long user names count as one bounded key.
  const long = 'x'.repeat(16 * 1024);
  for (let i = 0; i <= ACCOUNT_FREE_FAILURES; i++) admitted(throttle.admit(`10.8.0.${i}`, `${long}${i}`)).failed();
  assert.equal(waitOf(throttle.admit('10.8.1.1', `${long}other`)), 1);
});

test('clients are IPv4 addresses, or the /64 network of an IPv6 address', () => {
  assert.equal(clientOf('192.0.2.7'), '192.0.2.7');
  assert.equal(clientOf('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(clientOf('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(clientOf('2001:DB8:1:2::99'), '2001:db8:1:2::/64');
  assert.equal(clientOf('2001:0db8:0001:0002:ffff::1'), '2001:db8:1:2::/64');
  assert.equal(clientOf('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientOf('::1'), '0:0:0:0::/64');
  assert.equal(clientOf('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientOf('::1.2.3.4'), '0:0:0:0::/64');
  assert.equal(clientOf(undefined), 'unknown');
});
