// One application or device addressed by a command, and the read-modify-write every in-place change uses.
import { appSubject, deviceSubject, type RegistryClient } from '../client/registry.js';
import { type ApiSubject, DrgError, isApiStatus } from '../errors.js';
import { type Device, type Resource, type ResourceKind, sameContent } from '../model/resource.js';
import { subjectText } from '../output/error-words.js';
import { checkAppName, checkDeviceName } from './names.js';

export interface Target {
  kind: ResourceKind;
  /** The application; for an application target, its own name. */
  app: string;
  name: string;
}

/** A target named on the command line: an invalid name is a UsageError before any request. */
export function appTarget(name: string): Target {
  checkAppName(name);
  return { kind: 'application', app: name, name };
}

export function deviceTarget(app: string, name: string): Target {
  checkAppName(app);
  checkDeviceName(name);
  return { kind: 'device', app, name };
}

function targetSubject(t: Target): ApiSubject {
  return t.kind === 'application' ? appSubject(t.name) : deviceSubject(t.app, t.name);
}

/** `application 'a'`, `device 'd' in application 'a'`. */
export function targetText(t: Target): string {
  return subjectText(targetSubject(t));
}

export function readTarget(registry: RegistryClient, t: Target): Promise<Resource> {
  return t.kind === 'application' ? registry.getApp(t.name) : registry.getDevice(t.app, t.name);
}

/** PUT; the uid and resourceVersion in `r` make a stale write a 409. */
export function writeTarget(registry: RegistryClient, t: Target, r: Resource): Promise<void> {
  return t.kind === 'application' ? registry.updateApp(r) : registry.updateDevice(t.app, r as Device);
}

export type ChangeOutcome = 'updated' | 'unchanged';

/**
 * Reads the resource, applies `modify` and writes the result back with the resourceVersion it was read with,
 * so a change someone else made in between is a conflict (409), never silently overwritten nor retried.
 * Nothing is written when `modify` changes nothing.
 */
export async function readModifyWrite(
  registry: RegistryClient,
  t: Target,
  modify: (current: Resource) => Resource,
): Promise<ChangeOutcome> {
  const current = await readTarget(registry, t);
  return writeChange(registry, t, current, modify(current), 'while drg was updating it');
}

/**
 * Writes `next` unless its content is `current`'s; a 409 (someone else changed it since `current` was read)
 * becomes "<subject> was changed by someone else <since>".
 */
export async function writeChange(
  registry: RegistryClient,
  t: Target,
  current: Resource,
  next: Resource,
  since: string,
): Promise<ChangeOutcome> {
  if (sameContent(current, next)) return 'unchanged';
  try {
    await writeTarget(registry, t, next);
  } catch (err) {
    throw asConflict(err, `${targetText(t)} was changed by someone else ${since}`, {
      hint: 'nothing was changed: run the command again',
    });
  }
  return 'updated';
}

/** A 409 from `err` as an error with `message` (keeping its status for `-o json`); other errors as they are. */
export function asConflict(err: unknown, message: string, options: { hint?: string } = {}): unknown {
  if (!isApiStatus(err, 409)) return err;
  return new DrgError(message, { ...options, cause: err });
}
