// The firmware page's calls: the images of drg serve's firmware store, and the application's rollout read and
// changed as `drg firmware rollout|pause|resume|cancel|retry` do (src/model/rollout*.ts, the same functions): each
// change applied to what was just read and written with its resourceVersion, again after a 409.
import { FIRMWARE_BASE, REGISTRY_BASE } from '../../model/api-paths.js';
import { firmwareStatusOf, type ImageInfo } from '../../model/firmware.js';
import type { Application, Device } from '../../model/resource.js';
import {
  failedIn,
  hasRunningRollout,
  isFinished,
  retriedDevice,
  rolloutSpecOf,
  rolloutStatusOf,
  withCancelled,
  withPaused,
  withRetried,
} from '../../model/rollout.js';
import { type Plan, type PlanOptions, planRollout, rolloutId } from '../../model/rollout-plan.js';
import { type RolloutView, rolloutView } from '../../model/rollout-view.js';
import { rfc3339Seconds } from '../../model/time.js';
import { api, pathOf, writeChange } from './client.js';
import { devicePath, listDevices } from './devices.js';

/** Writes after a read are tried this many times when someone else wrote in between (as drg does). */
const MAX_ATTEMPTS = 10;

const appPath = (app: string) => pathOf(`${REGISTRY_BASE}/apps`, app);

export const listImages = (app: string) => api.get<ImageInfo[]>(pathOf(`${FIRMWARE_BASE}/apps`, app, 'images'));

/** Pushes an image as `drg firmware push` does: its SHA-256 in `x-checksum`, the bytes as the body. */
export async function uploadImage(app: string, name: string, version: string, file: Blob): Promise<ImageInfo> {
  const bytes = await file.arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const checksum = `sha256:${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const response = await api.put<ImageInfo>(pathOf(`${FIRMWARE_BASE}/apps`, app, 'images', name, version), bytes, {
    contentType: 'application/octet-stream',
    headers: { 'x-checksum': checksum },
  });
  return response.body;
}

export interface RolloutState {
  app: Application;
  /** Undefined without a rollout. */
  view?: RolloutView;
  /** Device → the version its status.firmware says it is moving to. */
  targets: Map<string, string | undefined>;
}

export async function loadRollout(app: string): Promise<RolloutState> {
  const [current, devices] = await Promise.all([api.get<Application>(appPath(app)), listDevices(app)]);
  const targets = new Map(devices.map((d) => [d.metadata.name, firmwareStatusOf(d)?.target]));
  return { app: current, view: rolloutView(current, devices, Date.now()), targets };
}

/** GET, change, PUT with the resourceVersion read; again on 409. Resolves with what was written (or undefined). */
async function modify<T extends Application>(path: string, change: (current: T) => T | undefined) {
  const read = () => api.get<T>(path);
  const { written } = await writeChange(await read(), change, (next) => api.put(path, next), read, MAX_ATTEMPTS);
  return written;
}

export type RolloutAction = 'pause' | 'resume' | 'cancel' | 'retry';

/** What `drg firmware <action>` writes; resolves with a line saying what happened. */
export async function controlRollout(app: string, action: RolloutAction): Promise<string> {
  const current = await api.get<Application>(appPath(app));
  const spec = rolloutSpecOf(current);
  if (!spec) throw new Error(`application ${app} has no rollout`);
  const phase = rolloutStatusOf(current, spec.id)?.phase;
  if (isFinished(phase) && phase !== 'Failed') {
    throw new Error(`rollout ${spec.id} is ${phase?.toLowerCase()}: there is nothing to change`);
  }
  const now = Date.now();
  if (action === 'cancel') {
    const written = await modify(appPath(app), withCancelled);
    return written
      ? `Rollout ${spec.id} cancelled: the devices not yet updated get their previous firmware back`
      : `Rollout ${spec.id} was already cancelled or finished`;
  }
  const found = failedIn(current, await listDevices(app), now);
  const failed = found?.spec.id === spec.id ? found.failed : [];
  if (action === 'pause' || action === 'resume') {
    const paused = action === 'pause';
    await modify(appPath(app), (a) => withPaused(a, spec.id, paused, failed));
    return `Rollout ${spec.id} ${paused ? 'paused' : 'resumed'}`;
  }
  for (const name of failed) await modify<Device>(devicePath(app, name), (d) => retriedDevice(d, now));
  await modify(appPath(app), (a) => withRetried(a, spec.id, failed));
  return failed.length === 0
    ? `Rollout ${spec.id} has no failed devices`
    : `Retrying ${failed.length} device${failed.length === 1 ? '' : 's'}: ${failed.slice(0, 10).join(', ')}${failed.length > 10 ? ', …' : ''}`;
}

export type RolloutSettings = Omit<PlanOptions, 'id' | 'firmware' | 'createdAt'> & { name: string };

/** As `drg firmware rollout --name N --version V` plans it, over the devices the selector picks (else all). */
export async function planFor(app: string, settings: RolloutSettings): Promise<Plan> {
  const { name, ...plan } = settings;
  const devices = await listDevices(app, plan.selector);
  if (devices.length === 0) {
    const which = plan.selector ? ` with labels ${plan.selector}` : '';
    throw new Error(`application ${app} has no devices${which} to roll out to`);
  }
  const now = Date.now();
  return planRollout(devices, {
    ...plan,
    firmware: { file: { name, version: plan.version } },
    id: rolloutId(now),
    createdAt: rfc3339Seconds(now),
  });
}

/** Starts the planned rollout, unless one is under way already. */
export async function startRollout(app: string, { spec }: Plan): Promise<string> {
  await modify(appPath(app), (a) => {
    if (hasRunningRollout(a)) throw new Error(`a rollout of application ${app} is not finished: cancel it first`);
    const { rollout: _old, ...status } = a.status ?? {};
    return { ...a, spec: { ...a.spec, rollout: spec }, status };
  });
  const total = spec.stages.flat().length;
  return `Rollout ${spec.id} of ${spec.version} to ${total} device${total === 1 ? '' : 's'} started`;
}
