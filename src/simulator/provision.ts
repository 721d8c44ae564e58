// The simulated devices in the registry: `<prefix>-<i>`, created when missing (labelled simulated=true), each with
// a password derived from a secret of the user's (HMAC of app/device), so that every run knows it without keeping a
// list; the registry holds only its bcrypt hash.
import { createHmac, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RegistryClient } from '../client/registry.js';
import { isApiStatus } from '../errors.js';
import { CREDENTIAL_SECTIONS, deviceCredentials } from '../model/device-spec.js';
import { isJsonObject } from '../model/json.js';
import type { Device } from '../model/resource.js';
import { deviceTarget, writeChange } from '../resources/target.js';
import { inTurns } from './turns.js';

export const SIMULATED_LABEL = 'simulated';
/** bcrypt's lowest useful cost: a thousand devices authenticate in a moment (these are test devices). */
const BCRYPT_COST = 4;

/** The secret the passwords derive from: `drg_simulator_secret` (0600) beside the drg config, made on first use. */
export async function simulatorSecret(configPath: string): Promise<Buffer> {
  const path = join(dirname(configPath), 'drg_simulator_secret');
  try {
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    await writeFile(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another drg simulate made it first: use that one.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
}

export function devicePassword(secret: Buffer, app: string, device: string): string {
  return createHmac('sha256', secret).update(`${app}/${device}`).digest('base64url');
}

export function simulatedDeviceNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
}

export interface ProvisionResult {
  created: number;
  /** Existing devices that got the simulator's credential. */
  updated: number;
}

/**
 * Makes every device exist with a `pass` credential that takes its password: creates the missing ones, adds the
 * credential (read-modify-write) to those without one that takes it. `concurrency` requests at once.
 */
export async function provisionDevices(
  registry: RegistryClient,
  app: string,
  devices: readonly { name: string; password: string }[],
  options: { concurrency: number; onProgress?: (done: number) => void },
): Promise<ProvisionResult> {
  const { default: bcrypt } = await import('bcryptjs');
  const hash = (password: string) => bcrypt.hash(password, BCRYPT_COST);
  const existing = new Map(
    (await registry.listDevices(app, { labels: `${SIMULATED_LABEL}=true` })).map((d) => [d.metadata.name, d]),
  );
  const result: ProvisionResult = { created: 0, updated: 0 };
  let done = 0;
  const ensure = async ({ name, password }: { name: string; password: string }) => {
    let current = existing.get(name);
    if (!current) {
      const credential = { pass: { bcrypt: await hash(password) } };
      try {
        await registry.createDevice(app, newDevice(app, name, credential));
        result.created++;
      } catch (error) {
        // There without the label: read it, and give it the credential below.
        if (!isApiStatus(error, 409)) throw error;
        current = await registry.getDevice(app, name);
      }
    }
    if (current && !(await takesPassword(current, password, bcrypt.compare))) {
      const next = withAddedCredential(current, { pass: { bcrypt: await hash(password) } });
      const since = 'while drg simulate was adding its credential';
      await writeChange(registry, deviceTarget(app, name), current, next, since);
      result.updated++;
    }
    options.onProgress?.(++done);
  };
  await inTurns(devices, options.concurrency, ensure);
  return result;
}

function newDevice(app: string, name: string, credential: Record<string, unknown>): Device {
  const credentials = { credentials: [credential] };
  return {
    metadata: { name, application: app, labels: { [SIMULATED_LABEL]: 'true' } },
    spec: Object.fromEntries(CREDENTIAL_SECTIONS.map((section) => [section, credentials])),
  };
}

/** Whether one of the device's `pass` credentials (plain or bcrypt) takes the password. */
async function takesPassword(
  device: Device,
  password: string,
  compare: (password: string, hash: string) => Promise<boolean>,
): Promise<boolean> {
  for (const credential of deviceCredentials(device)) {
    if (!isJsonObject(credential)) continue;
    const pass = credential.pass;
    if (pass === password) return true;
    if (!isJsonObject(pass)) continue;
    if (pass.plain === password) return true;
    if (typeof pass.bcrypt === 'string' && (await compare(password, pass.bcrypt).catch(() => false))) return true;
  }
  return false;
}

/** The device with the credential appended to both credential sections (the device's own ones stay). */
function withAddedCredential(device: Device, credential: Record<string, unknown>): Device {
  const next = structuredClone(device);
  const spec = next.spec ?? {};
  for (const section of CREDENTIAL_SECTIONS) {
    const container = isJsonObject(spec[section]) ? spec[section] : {};
    const list = Array.isArray(container.credentials) ? container.credentials : [];
    spec[section] = { ...container, credentials: [...list, credential] };
  }
  next.spec = spec;
  return next;
}
