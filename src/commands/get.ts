// `drg get app|device [NAME]`: one resource (an object) or a list (an array), optionally by label selector.
import type { GlobalOptions } from '../cli.js';
import { openSession } from '../client/session.js';
import { UsageError } from '../output/errors.js';
import { printResources } from '../output/render.js';
import { checkAppName, checkDeviceName, outputFormat, parseSelectorFlag } from './common.js';

export interface GetOptions {
  labels?: string[];
}

export async function getApps(globals: GlobalOptions, name: string | undefined, opts: GetOptions): Promise<void> {
  const format = outputFormat(globals);
  const labels = parseSelectorFlag(opts.labels);
  if (name !== undefined) {
    checkAppName(name);
    noSelectorWithName(labels);
  }
  const { registry } = await openSession(globals);
  const data = name !== undefined ? await registry.getApp(name) : await registry.listApps({ labels });
  await printResources(data, format, 'application');
}

export async function getDevices(globals: GlobalOptions, name: string | undefined, opts: GetOptions): Promise<void> {
  const format = outputFormat(globals);
  const labels = parseSelectorFlag(opts.labels);
  if (name !== undefined) {
    checkDeviceName(name);
    noSelectorWithName(labels);
  }
  const session = await openSession(globals);
  const app = session.requireApp();
  const data =
    name !== undefined
      ? await session.registry.getDevice(app, name)
      : await session.registry.listDevices(app, { labels });
  await printResources(data, format, 'device');
}

function noSelectorWithName(labels: string | undefined): void {
  if (labels !== undefined) throw new UsageError('--labels selects from a list: leave out the NAME');
}
