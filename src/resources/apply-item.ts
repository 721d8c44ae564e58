// `drg apply`, one resource at a time: created when missing, else updated with what the manifest states.
import type { RegistryClient } from '../client/registry.js';
import { DrgError, isApiStatus } from '../errors.js';
import { type Device, sameContent } from '../model/resource.js';
import { type ApplyItem, type ApplyOutcome, createBody, updateBody } from './apply.js';
import { asConflict, readTarget, type Target, writeTarget } from './target.js';

export function applyTarget(item: ApplyItem): Target {
  return { kind: item.kind, app: item.application ?? item.name, name: item.name };
}

export async function applyItem(
  registry: RegistryClient,
  item: ApplyItem,
  opts: { ignoreResourceVersion?: boolean },
): Promise<ApplyOutcome> {
  const target = applyTarget(item);
  const current = await readTarget(registry, target).catch((err) => {
    if (isApiStatus(err, 404)) return undefined;
    throw err;
  });
  if (!current) {
    await create(registry, target, item);
    return 'created';
  }
  const next = updateBody(current, item.resource, { ignoreVersion: opts.ignoreResourceVersion });
  if (sameContent(current, next)) return 'unchanged';
  try {
    await writeTarget(registry, target, next);
  } catch (err) {
    throw asConflict(err, 'it was changed by someone else since it was read (or since the manifest was written)', {
      hint: opts.ignoreResourceVersion
        ? 'nothing was changed: run drg apply again'
        : `nothing was changed: to write the manifest over the current version, run drg apply --ignore-resource-version; ` +
          'to start from the current one, drg get it -o yaml',
    });
  }
  return 'updated';
}

async function create(registry: RegistryClient, target: Target, item: ApplyItem): Promise<void> {
  const body = createBody(item.resource);
  try {
    if (target.kind === 'application') await registry.createApp(body);
    else await registry.createDevice(target.app, body as Device);
  } catch (err) {
    if (target.kind === 'device' && isApiStatus(err, 404)) {
      throw new DrgError(`application ${target.app} does not exist`, { cause: err });
    }
    throw asConflict(err, 'it was created by someone else at the same time', { hint: 'run drg apply again' });
  }
}
