// Start-up: `drg --version`, `drg config list` (no request) and `drg get apps` (against a local drg serve) versus
// bare `node -e 0`, each measured in the same run.
import { benchEnv, DRG, medianWallMs, report, startServe } from './lib.mjs';

export async function benchStartup() {
  const node = process.execPath;
  const bare = medianWallMs(node, ['-e', '0']);
  report('node -e 0', bare, 'ms');
  const version = medianWallMs(node, [DRG, '--version']);
  report('drg --version', version, 'ms', bare, 'node -e 0', { text: '<= 1.5x', met: (v, b) => v <= 1.5 * b });

  const server = await startServe();
  try {
    const env = benchEnv({ DRGCFG: server.configPath });
    const configList = medianWallMs(node, [DRG, 'config', 'list'], { env });
    report('drg config list', configList, 'ms', bare, 'node -e 0', { text: '<= 1.5x', met: (v, b) => v <= 1.5 * b });
    const getApps = medianWallMs(node, [DRG, 'get', 'apps'], { env });
    report('drg get apps (local server)', getApps, 'ms', bare, 'node -e 0', {
      text: '<= 2.0x',
      met: (v, b) => v <= 2.0 * b,
    });
  } finally {
    await server.stop();
  }
}
