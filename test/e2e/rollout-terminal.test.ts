// `drg firmware rollout` on a real terminal (a pseudo-terminal from util-linux `script`): it shows the plan and asks;
// "no" changes nothing (exit 2), "yes" creates the rollout. `status --watch` draws its bars there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DRG_BIN, drg, drgEnv, ok, serveDuringTests, tempDir } from '../helpers/serve.js';

const serve = serveDuringTests();

/** drg on a pseudo-terminal; `answer` is typed once `prompt` shows. Resolves with the exit code and the screen. */
function onTerminal(configPath: string, args: string[], prompt?: RegExp, answer?: string) {
  const command = [process.execPath, DRG_BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...drgEnv(configPath), TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let answered = false;
  child.stdout.on('data', (d) => {
    screen += d;
    if (prompt && answer !== undefined && !answered && prompt.test(screen)) {
      answered = true;
      child.stdin.write(answer);
    }
  });
  return new Promise<{ code: number | null; screen: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, screen })),
  );
}

// `script` is util-linux's (Debian's bsdutils, an essential package): present wherever the suite runs.
test('on a terminal the plan is shown and confirmed first', {
  skip: !existsSync('/usr/bin/script') && 'no /usr/bin/script',
}, async () => {
  const { configPath } = serve;
  ok(await drg(configPath, ['create', 'app', 'tty-app']));
  for (const d of ['d1', 'd2']) ok(await drg(configPath, ['create', 'device', d, '--app', 'tty-app']));
  const image = join(tempDir(), 'fw.bin');
  writeFileSync(image, Buffer.alloc(2048, 7));
  ok(await drg(configPath, ['firmware', 'push', image, '--version', '2.0.0', '--app', 'tty-app']));
  const args = ['firmware', 'rollout', '--app', 'tty-app', '--version', '2.0.0', '--canary', '1'];

  const declined = await onTerminal(configPath, args, /Start this rollout\?/, 'n\r');
  assert.equal(declined.code, 2, declined.screen);
  assert.match(declined.screen, /stage 1 \(canary\): 1 device: d1/);
  assert.match(declined.screen, /stage 2: 1 device: d2/);
  const untouched = JSON.parse(ok(await drg(configPath, ['get', 'app', 'tty-app', '-o', 'json'])).stdout);
  assert.equal(untouched.spec?.rollout, undefined, 'declined: nothing changed');

  const accepted = await onTerminal(configPath, args, /Start this rollout\?/, 'y\r');
  assert.equal(accepted.code, 0, accepted.screen);
  assert.match(accepted.screen, /Rollout r-\S+ of 2\.0\.0 to 2 devices of application tty-app created/);

  // No agent answers devices that never report: the canary stage starts and stays; --watch draws it, and a cancel
  // from elsewhere ends the watch.
  const watch = onTerminal(configPath, ['firmware', 'status', '--app', 'tty-app', '--watch']);
  ok(await drg(configPath, ['firmware', 'cancel', '--app', 'tty-app']));
  const watched = await watch;
  assert.equal(watched.code, 0, watched.screen);
  assert.match(watched.screen, /stage 1 \(canary\) {2}\[[-#]{24}\]/);
  assert.match(watched.screen, /Cancelled/);
});
