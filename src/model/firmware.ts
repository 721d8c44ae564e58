// Firmware in the registry (../docs/drogue-api.md, "Firmware"): where a device's firmware lives (`spec.firmware`, the
// device's over the application's) and how far it is (`status.firmware`), read the same way by the agent, the
// rollouts, the CLI's tables and the simulator.
import { isJsonObject } from './json.js';
import type { Resource } from './resource.js';

/** An OCI artifact: version = tag, the first `application/octet-stream` layer is the image. */
export interface ContainerFirmware {
  container: { image: string; imagePullPolicy?: 'IfNotPresent' | 'Always' };
}

/** An image in the server's firmware store (drg serve: per application); without `version`, the newest pushed. */
export interface FileFirmware {
  file: { name: string; version?: string };
}

export type FirmwareSpec = ContainerFirmware | FileFirmware;

/** An image's metadata, as the local store and the OCI client give it. */
export interface ImageInfo {
  name: string;
  version: string;
  size: number;
  /** `sha256:<64 hex>`. */
  checksum: string;
  /** RFC 3339; when it was pushed. */
  created?: string;
}

export type FirmwareSpecCheck = { value: FirmwareSpec } | { problem: string };

/** `spec.firmware` of one resource: undefined when absent, else the spec or what is wrong with it. */
export function firmwareSpecOf(resource: Pick<Resource, 'spec'> | undefined): FirmwareSpecCheck | undefined {
  const section = resource?.spec?.firmware;
  if (section === undefined || section === null) return undefined;
  if (!isJsonObject(section)) return { problem: 'spec.firmware must be an object' };
  if (isJsonObject(section.container)) {
    const { image, imagePullPolicy } = section.container;
    if (typeof image !== 'string' || image === '') return { problem: 'spec.firmware.container.image must be a string' };
    if (imagePullPolicy !== undefined && imagePullPolicy !== 'IfNotPresent' && imagePullPolicy !== 'Always') {
      return { problem: 'spec.firmware.container.imagePullPolicy must be IfNotPresent or Always' };
    }
    return { value: { container: { image, ...(imagePullPolicy ? { imagePullPolicy } : {}) } } };
  }
  if (isJsonObject(section.file)) {
    const { name, version } = section.file;
    if (typeof name !== 'string' || name === '') return { problem: 'spec.firmware.file.name must be a string' };
    if (version !== undefined && (typeof version !== 'string' || version === '')) {
      return { problem: 'spec.firmware.file.version must be a string' };
    }
    return { value: { file: { name, ...(version ? { version } : {}) } } };
  }
  return { problem: 'spec.firmware needs a container or a file section' };
}

/** The device's firmware spec over the application's. */
export function desiredFirmware(device: Pick<Resource, 'spec'>, app: Pick<Resource, 'spec'> | undefined) {
  return firmwareSpecOf(device) ?? firmwareSpecOf(app);
}

/** The version a spec names, when it names one (a file without a version names none until resolved). */
export function specVersion(spec: FirmwareSpec): string | undefined {
  if ('container' in spec) return imageTag(spec.container.image);
  return spec.file.version;
}

/** The tag of `registry/repo:tag` (undefined without one, or for a digest reference). */
export function imageTag(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : undefined;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** `status.firmware`, as the agent writes it (DFU.md, step 5), with drg's `Failed` condition. */
export interface FirmwareStatus {
  current?: string;
  target?: string;
  conditions?: Condition[];
}

export function firmwareStatusOf(resource: Pick<Resource, 'status'> | undefined): FirmwareStatus | undefined {
  const section = resource?.status?.firmware;
  if (!isJsonObject(section)) return undefined;
  const conditions = Array.isArray(section.conditions) ? section.conditions.filter(isCondition) : undefined;
  return {
    ...(typeof section.current === 'string' ? { current: section.current } : {}),
    ...(typeof section.target === 'string' ? { target: section.target } : {}),
    ...(conditions ? { conditions } : {}),
  };
}

function isCondition(value: unknown): value is Condition {
  return isJsonObject(value) && typeof value.type === 'string' && typeof value.status === 'string';
}

export function condition(status: FirmwareStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** The condition types the agent writes. */
export const IN_SYNC = 'InSync';
export const UPDATE_PROGRESS = 'UpdateProgress';
/** drg's: the update to `target` failed on the device (it came back with another version after a Swap). */
export const UPDATE_FAILED = 'Failed';

/**
 * As drg 0.11 shows status.firmware: InSync, Updating (percent), NotInSync, Unknown; and drg's Failed. Undefined
 * without a status (`drg get devices -o wide`'s FIRMWARE column and the console's).
 */
export function firmwareState(status: FirmwareStatus | undefined): string | undefined {
  if (!status) return undefined;
  if (condition(status, UPDATE_FAILED)?.status === 'True') return 'Failed';
  const inSync = condition(status, IN_SYNC)?.status;
  const progress = condition(status, UPDATE_PROGRESS)?.message;
  if (inSync === 'True') return 'InSync';
  if (inSync === 'False' && progress) return `Updating (${/^\d+$/.test(progress) ? `${progress}%` : progress})`;
  if (inSync === 'False') return 'NotInSync';
  return 'Unknown';
}
