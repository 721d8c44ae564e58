// Device authentication (docs/drogue-api.md, "Device endpoints"): passwords (`pass`, `user`; plain, bcrypt and
// sha512-crypt) and X.509 client certificates against the application's trust anchors. A verified credential is
// remembered (keyed by a SHA-256 of it with a secret prefix, never the password) until the registry changes the application or one of its
// devices, so a message does not pay a bcrypt, and a changed password stops working at once.
import { createHash, hash, randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';
import { deviceCredentials } from '../../model/device-spec.js';
import { isJsonObject } from '../../model/json.js';
import { PasswordPool, PasswordPoolBusyError } from '../identity/oidc/password-pool.js';
import type { RegistryEvents } from '../registry/events.js';
import type { ApplicationEntry, DeviceDirectory, DeviceEntry } from './directory.js';

export interface AuthenticatedDevice {
  app: { name: string; uid: string; spec: Record<string, unknown> };
  device: { name: string; uid: string; spec: Record<string, unknown> };
}

export type RefusalReason = 'bad-credentials' | 'not-authorized' | 'disabled';

export type DeviceAuthOutcome =
  | { outcome: 'ok'; device: AuthenticatedDevice }
  | { outcome: 'refused'; reason: RefusalReason }
  /** Too many password checks at once: try again later (HTTP 503, MQTT server unavailable). */
  | { outcome: 'unavailable' };

export interface PasswordCredentials {
  app: string;
  /** `device@app`: the device's `pass` credentials (and `user` ones named like the device). */
  device?: string;
  /** A `user` credential's user name (HTTP `?application=` with Basic `username:password`). */
  username?: string;
  password: string;
}

/** Verified credentials remembered at most. */
const MAX_REMEMBERED = 50_000;

const refused = (reason: RefusalReason): DeviceAuthOutcome => ({ outcome: 'refused', reason });

export class DeviceAuthenticator {
  /** The secret prefix of the credentials' hashes. */
  private readonly key = randomBytes(32).toString('base64');
  /** Hash of the credentials → the device they authenticate. */
  private readonly verified = new Map<string, { app: string; device: AuthenticatedDevice }>();
  /** The keys of `verified` by application, so that a change forgets one application's at once. */
  private readonly verifiedByApp = new Map<string, Set<string>>();
  /** Per application, a number bumped on every change: a check that saw another number is not remembered. */
  private readonly generations = new Map<string, number>();
  private readonly listeners = new Set<(app: string, device?: string) => void>();
  private pool?: PasswordPool;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly directory: DeviceDirectory,
    events: RegistryEvents,
    private readonly poolFactory: () => PasswordPool = () => new PasswordPool({ threads: 1 }),
  ) {
    this.unsubscribe = events.subscribe('device-authentication', (event) => {
      if (event.kind !== 'application' && event.kind !== 'device') return;
      // Credentials, gateways and the enabled flag are in the spec: a device's status (the firmware agent writes
      // it all the time) changes none of them.
      if (event.kind === 'device' && event.specChanged === false) return;
      this.changed(event.application, event.kind === 'device' ? event.device : undefined);
    });
  }

  /** Synchronous for credentials verified before (a message's usual case). */
  password(credentials: PasswordCredentials): DeviceAuthOutcome | Promise<DeviceAuthOutcome> {
    const { app, device, username, password } = credentials;
    const key = this.keyOf(`${app}\0${device ?? ''}\0${username ?? ''}\0${password}`);
    const remembered = this.verified.get(key);
    if (remembered) return { outcome: 'ok', device: remembered.device };
    return this.verifyPassword(credentials, key);
  }

  private async verifyPassword(credentials: PasswordCredentials, key: string): Promise<DeviceAuthOutcome> {
    const { app: appName, device: deviceName, username, password } = credentials;
    const generation = this.generation(appName);

    const app = this.directory.application(appName);
    if (!app || app.deleting) return refused('bad-credentials');
    const byUser = username !== undefined;
    const candidates =
      deviceName !== undefined
        ? [this.directory.device(appName, deviceName)]
        : this.directory.devicesWithUser(appName, username ?? '');
    for (const device of candidates) {
      if (!device) continue;
      let matched: boolean;
      try {
        matched = await this.matches(device, byUser ? username : device.name, password, !byUser);
      } catch (err) {
        if (err instanceof PasswordPoolBusyError) return { outcome: 'unavailable' };
        throw err;
      }
      if (!matched) continue;
      if (device.disabled) return refused('disabled');
      const authenticated = authenticatedDevice(app, device);
      if (this.generation(appName) === generation) this.remember(key, appName, authenticated);
      return { outcome: 'ok', device: authenticated };
    }
    return refused('bad-credentials');
  }

  /**
   * A client certificate chain (DER, leaf first): its issuer must be the subject of a trust anchor of the
   * application (`app`, else any application with such an anchor), it must verify against that anchor and be valid
   * now; its subject is then a device name or alias in that application.
   */
  async certificate(chain: readonly Buffer[], appName?: string): Promise<DeviceAuthOutcome> {
    if (chain.length === 0) return refused('bad-credentials');
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(chain[0]);
    } catch {
      return refused('bad-credentials');
    }
    const key = this.keyOf(`x509\0${appName ?? ''}\0${hash('sha256', chain[0], 'hex')}`);
    const now = Date.now();
    if (!(Date.parse(leaf.validFrom) <= now && now <= Date.parse(leaf.validTo))) return refused('bad-credentials');
    const remembered = this.verified.get(key);
    if (remembered) return { outcome: 'ok', device: remembered.device };

    const issuer = distinguishedName(leaf.issuer);
    const subject = distinguishedName(leaf.subject);
    const apps = appName !== undefined ? [appName] : this.directory.applicationsWithAnchor(issuer);
    for (const name of apps) {
      const generation = this.generation(name);
      const app = this.directory.application(name);
      if (!app || app.deleting) continue;
      const anchor = app.anchors.find((a) => a.subject === issuer && verifiesAgainst(leaf, a.pem, now));
      if (!anchor) continue;
      const device = this.directory.deviceBySubject(name, subject);
      if (!device) return refused('not-authorized');
      if (device.disabled) return refused('disabled');
      const authenticated = authenticatedDevice(app, device);
      if (this.generation(name) === generation) this.remember(key, name, authenticated);
      return { outcome: 'ok', device: authenticated };
    }
    return refused('bad-credentials');
  }

  /**
   * The device `name` when `gateway` may act for it: it exists, is enabled, and lists the gateway in
   * `gatewaySelector.matchNames`. A device acting as itself is itself.
   */
  actAs(gateway: AuthenticatedDevice, name: string): AuthenticatedDevice | undefined {
    if (name === gateway.device.name) return gateway;
    const app = this.directory.application(gateway.app.name);
    const device = this.directory.device(gateway.app.name, name);
    if (!app || app.deleting || !device || device.disabled) return undefined;
    return device.gateways.includes(gateway.device.name) ? authenticatedDevice(app, device) : undefined;
  }

  /** The device as the registry has it now, if it exists and is enabled. */
  current(app: string, name: string): DeviceEntry | undefined {
    const entry = this.directory.application(app);
    const device = this.directory.device(app, name);
    return entry && !entry.deleting && device && !device.disabled ? device : undefined;
  }

  /** Calls `listener` after every registry change of an application (device undefined) or a device. */
  onChange(listener: (app: string, device?: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.pool?.close();
    this.pool = undefined;
  }

  /** Whether a credential of the device takes this password (`pass`; or `user` with this user name). */
  private async matches(device: DeviceEntry, username: string | undefined, password: string, asDevice: boolean) {
    for (const credential of deviceCredentials({ metadata: { name: device.name }, spec: device.spec })) {
      if (!isJsonObject(credential)) continue;
      if (asDevice && 'pass' in credential && (await this.passwordMatches(credential.pass, password))) return true;
      const user = credential.user;
      if (isJsonObject(user) && user.username === username && (await this.passwordMatches(user.password, password))) {
        return true;
      }
    }
    return false;
  }

  /** A stored password: a plain string, `{plain}`, `{bcrypt}` or `{sha512}`. */
  private async passwordMatches(stored: unknown, password: string): Promise<boolean> {
    if (typeof stored === 'string') return sameText(stored, password);
    if (!isJsonObject(stored)) return false;
    if (typeof stored.plain === 'string') return sameText(stored.plain, password);
    if (typeof stored.bcrypt === 'string') {
      return this.passwords()
        .compare(password, stored.bcrypt)
        .catch((err) => {
          if (err instanceof PasswordPoolBusyError) throw err;
          return false;
        });
    }
    if (typeof stored.sha512 === 'string') return this.passwords().compareSha512Crypt(password, stored.sha512);
    return false;
  }

  private passwords(): PasswordPool {
    this.pool ??= this.poolFactory();
    return this.pool;
  }

  private changed(app: string, device?: string): void {
    this.generations.set(app, this.generation(app) + 1);
    this.directory.forget(app);
    for (const key of this.verifiedByApp.get(app) ?? []) this.verified.delete(key);
    this.verifiedByApp.delete(app);
    for (const listener of this.listeners) listener(app, device);
  }

  private generation(app: string): number {
    return this.generations.get(app) ?? 0;
  }

  private remember(key: string, app: string, device: AuthenticatedDevice): void {
    if (this.verified.size >= MAX_REMEMBERED) {
      this.verified.clear();
      this.verifiedByApp.clear();
    }
    this.verified.set(key, { app, device });
    const keys = this.verifiedByApp.get(app) ?? new Set<string>();
    this.verifiedByApp.set(app, keys);
    keys.add(key);
  }

  /**
   * What `verified` is keyed by: the SHA-256 of the secret and the credentials (a one-shot hash costs a tenth of an
   * HMAC, and the keys never leave the process, so a length extension is of no use).
   */
  private keyOf(credentials: string): string {
    return hash('sha256', `${this.key}\0${credentials}`, 'base64');
  }
}

function authenticatedDevice(app: ApplicationEntry, device: DeviceEntry): AuthenticatedDevice {
  return {
    app: { name: app.name, uid: app.uid, spec: app.spec },
    device: { name: device.name, uid: device.uid, spec: device.spec },
  };
}

/** `device@app` (the application is after the last `@`: application names have none). */
export function deviceAtApp(username: string | undefined): { app: string; device: string } | undefined {
  const at = username?.lastIndexOf('@') ?? -1;
  if (!username || at <= 0 || at === username.length - 1) return undefined;
  return { device: username.slice(0, at), app: username.slice(at + 1) };
}

/** Node's multi-line DN as the API writes it: `CN=app1, O=Drogue IoT, OU=Cloud` (certificate order). */
export function distinguishedName(nodeDn: string): string {
  return nodeDn.split('\n').join(', ');
}

function verifiesAgainst(leaf: X509Certificate, anchorPem: string, now: number): boolean {
  try {
    const anchor = new X509Certificate(anchorPem);
    if (!(Date.parse(anchor.validFrom) <= now && now <= Date.parse(anchor.validTo))) return false;
    return leaf.checkIssued(anchor) && leaf.verify(anchor.publicKey);
  } catch {
    return false;
  }
}

function sameText(stored: string, given: string): boolean {
  const a = createHash('sha256').update(stored).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
