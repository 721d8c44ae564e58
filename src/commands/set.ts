// `drg set password|gateway|alias|psk DEVICE ...`: read-modify-write of one device's spec.
import type { GlobalOptions } from '../cli.js';
import { openSession } from '../client/session.js';
import type { Resource } from '../model/resource.js';
import { UsageError } from '../output/errors.js';
import {
  hashPassword,
  passwordCredential,
  pskCredential,
  withAlias,
  withCredential,
  withGateway,
} from '../resources/device-spec.js';
import { deviceTarget, readModifyWrite } from '../resources/target.js';
import { outputFormat, reportResource } from './common.js';
import { readStdin } from './stdin.js';

export type SetChange =
  | { what: 'password'; password?: string; passwordStdin?: boolean; username?: string }
  | { what: 'gateway'; gateway: string }
  | { what: 'alias'; alias: string }
  | { what: 'psk'; key: string; base64?: boolean };

export async function run(device: string, change: SetChange, globals: GlobalOptions): Promise<void> {
  const format = outputFormat(globals);
  const modify = await prepare(change);
  const session = await openSession(globals);
  const target = deviceTarget(session.requireApp(), device);
  const outcome = await readModifyWrite(session.registry, target, modify);
  reportResource(format, 'device', device, outcome);
}

/** Everything checked and computed (the password hashed) before any request. */
async function prepare(change: SetChange): Promise<(d: Resource) => Resource> {
  switch (change.what) {
    case 'password': {
      const plain = await passwordOf(change);
      const credential = passwordCredential(hashPassword(plain), change.username);
      return (d) => withCredential(d, credential);
    }
    case 'psk': {
      const credential = pskCredential(change.key, { base64: change.base64 });
      return (d) => withCredential(d, credential);
    }
    case 'gateway':
      if (change.gateway === '') throw new UsageError('the gateway name must not be empty');
      return (d) => withGateway(d, change.gateway);
    case 'alias':
      if (change.alias === '') throw new UsageError('the alias must not be empty');
      return (d) => withAlias(d, change.alias);
  }
}

async function passwordOf(change: { password?: string; passwordStdin?: boolean; username?: string }) {
  if (change.passwordStdin && change.password !== undefined) {
    throw new UsageError('give the password either as an argument or with --password-stdin, not both');
  }
  const plain = change.passwordStdin ? (await readStdin()).replace(/\r?\n$/, '') : change.password;
  if (plain === undefined) throw new UsageError('no password given', 'pass it as an argument or with --password-stdin');
  if (plain === '') throw new UsageError('the password must not be empty');
  if (change.username === '') throw new UsageError('the username must not be empty');
  return plain;
}
