// The password pool: bcrypt on worker threads, a bounded queue that refuses at once when full, and an event loop
// that stays free while the threads hash.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMainThread } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { PasswordPool, PasswordPoolBusyError } from '../../src/server-lite/identity/oidc/password-pool.js';

test('hashes and compares bcrypt passwords, $2y$ hashes too', async () => {
  const pool = new PasswordPool({ threads: 1 });
  try {
    const hash = await pool.hash('right one', 4);
    assert.match(hash, /^\$2b\$04\$/);
    assert.equal(await pool.compare('right one', hash), true);
    assert.equal(await pool.compare('wrong one', hash), false);
    const htpasswd = bcrypt.hashSync('from htpasswd', 4).replace(/^\$2b\$/, '$2y$');
    assert.equal(await pool.compare('from htpasswd', htpasswd), true);
  } finally {
    await pool.close();
  }
});

test('a full queue refuses at once, and accepts again once it drains', async () => {
  const pool = new PasswordPool({ threads: 1, maxQueue: 2 });
  try {
    const hash = bcrypt.hashSync('x', 4);
    // One running and two waiting; the fourth and fifth find no room.
    const checks = Array.from({ length: 5 }, () => pool.compare('x', hash));
    const results = await Promise.allSettled(checks);
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).constructor.name)),
      [true, true, true, 'PasswordPoolBusyError', 'PasswordPoolBusyError'],
    );
    assert.ok((results[3] as PromiseRejectedResult).reason instanceof PasswordPoolBusyError);
    assert.equal(await pool.compare('x', hash), true);
  } finally {
    await pool.close();
  }
});

test('the event loop runs while the threads hash', async () => {
  assert.ok(isMainThread);
  const pool = new PasswordPool({ threads: 1 });
  try {
    // Cost 12: ~300 ms of CPU on the worker each.
    const hash = bcrypt.hashSync('slow', 12);
    let settled = 0;
    const checks = Array.from({ length: 3 }, () => pool.compare('wrong', hash).finally(() => settled++));
    // Each turn of the event loop yields to I/O: 50 of them pass before the first check is done.
    for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, 0);
    assert.deepEqual(await Promise.all(checks), [false, false, false]);
  } finally {
    await pool.close();
  }
});

test('closing lets the running and waiting checks finish', async () => {
  const pool = new PasswordPool({ threads: 1 });
  const hash = bcrypt.hashSync('x', 8);
  const checks = [pool.compare('x', hash), pool.compare('y', hash)];
  await pool.close();
  assert.deepEqual(await Promise.all(checks), [true, false]);
});
