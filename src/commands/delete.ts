// `drg delete app|device NAME [--ignore-missing]`.
import type { GlobalOptions } from '../cli.js';
import { openSession } from '../client/session.js';
import { checkAppName, checkDeviceName, outputFormat, reportSuccess } from './common.js';

export interface DeleteOptions {
  ignoreMissing?: boolean;
}

export async function deleteApp(globals: GlobalOptions, name: string, opts: DeleteOptions): Promise<void> {
  const format = outputFormat(globals);
  checkAppName(name);
  const { registry } = await openSession(globals);
  const deleted = await registry.deleteApp(name, { ignoreMissing: opts.ignoreMissing });
  reportSuccess(format, deleted ? `Application '${name}' deleted` : `Application '${name}' does not exist, ignoring`, {
    kind: 'application',
    name,
  });
}

export async function deleteDevice(globals: GlobalOptions, name: string, opts: DeleteOptions): Promise<void> {
  const format = outputFormat(globals);
  checkDeviceName(name);
  const session = await openSession(globals);
  const app = session.requireApp();
  const deleted = await session.registry.deleteDevice(app, name, { ignoreMissing: opts.ignoreMissing });
  reportSuccess(format, deleted ? `Device '${name}' deleted` : `Device '${name}' does not exist, ignoring`, {
    kind: 'device',
    name,
  });
}
