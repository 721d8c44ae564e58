// Start-up: `drg --version`, `drg config list` (no request) and `drg get apps` (against a local drg serve) versus
// bare `node -e 0`, run in turns in the same run.
import { benchEnv, DRG, medianWallTimes, report, startServe } from './lib.mjs';

export async function benchStartup() {
  const node = process.execPath;
  const server = await startServe();
  try {
    const env = benchEnv({ DRGCFG: server.configPath });
    const t = medianWallTimes({
      bare: [node, ['-e', '0']],
      version: [node, [DRG, '--version']],
      configList: [node, [DRG, 'config', 'list'], env],
      getApps: [node, [DRG, 'get', 'apps'], env],
    });
    const within = (x) => ({ text: `<= ${x}x`, met: (v, b) => v <= x * b });
    report('node -e 0', t.bare, 'ms');
    report('drg --version', t.version, 'ms', t.bare, 'node -e 0', within(1.5));
    report('drg config list', t.configList, 'ms', t.bare, 'node -e 0', within(1.5));
    report('drg get apps (local server)', t.getApps, 'ms', t.bare, 'node -e 0', within(2.0));
  } finally {
    await server.stop();
  }
}
