// `drg delete app|device NAME [--ignore-missing]`.
import type { GlobalOptions } from '../cli.js';
import { openSession } from '../client/session.js';
import { checkAppName, checkDeviceName, outputFormat, reportResource } from './common.js';

export interface DeleteOptions {
  ignoreMissing?: boolean;
}

export async function deleteApp(globals: GlobalOptions, name: string, opts: DeleteOptions): Promise<void> {
  const format = outputFormat(globals);
  checkAppName(name);
  const { registry } = await openSession(globals);
  const deleted = await registry.deleteApp(name, { ignoreMissing: opts.ignoreMissing });
  reportResource(format, 'application', name, deleted ? 'deleted' : 'missing');
}

export async function deleteDevice(globals: GlobalOptions, name: string, opts: DeleteOptions): Promise<void> {
  const format = outputFormat(globals);
  checkDeviceName(name);
  const session = await openSession(globals);
  const app = session.requireApp();
  const deleted = await session.registry.deleteDevice(app, name, { ignoreMissing: opts.ignoreMissing });
  reportResource(format, 'device', name, deleted ? 'deleted' : 'missing');
}
