// Which devices are connected now, and since when, over which protocol: for the CONNECTED column (drg serve's
// extension, docs/drogue-api.md) and for /metrics. And when each device was last seen (a message or a connect),
// since this server started: a number per device, set on every message, formatted when read.
export interface Connection {
  since: Date;
  protocol: string;
}

export class DeviceConnections {
  /** app → device → its connection. */
  private readonly byApp = new Map<string, Map<string, Connection>>();
  private total = 0;
  /** app → device → when it last sent a message or connected (ms since the epoch). */
  private readonly seenByApp = new Map<string, Map<string, number>>();

  /** The device connected; returns the function that records its disconnect (later connects replace it). */
  connect(app: string, device: string, protocol: string): () => void {
    const devices = this.byApp.get(app) ?? new Map<string, Connection>();
    this.byApp.set(app, devices);
    if (!devices.has(device)) this.total++;
    const connection = { since: new Date(), protocol };
    devices.set(device, connection);
    this.seen(app, device);
    return () => {
      if (devices.get(device) !== connection) return;
      devices.delete(device);
      this.total--;
      if (devices.size === 0 && this.byApp.get(app) === devices) this.byApp.delete(app);
    };
  }

  connected(app: string): ReadonlyMap<string, Connection> {
    return this.byApp.get(app) ?? new Map();
  }

  /** The device sent a message (or connected) now. */
  seen(app: string, device: string): void {
    let devices = this.seenByApp.get(app);
    if (!devices) {
      devices = new Map();
      this.seenByApp.set(app, devices);
    }
    devices.set(device, Date.now());
  }

  /** When each device of `app` was last seen (ms since the epoch). */
  lastSeen(app: string): ReadonlyMap<string, number> {
    return this.seenByApp.get(app) ?? new Map();
  }

  /** The registry deleted the device (or, without `device`, the application): what was seen of it goes. */
  forget(app: string, device?: string): void {
    if (device === undefined) {
      this.seenByApp.delete(app);
      return;
    }
    const devices = this.seenByApp.get(app);
    devices?.delete(device);
    if (devices?.size === 0) this.seenByApp.delete(app);
  }

  /** Devices connected now, in all applications. */
  get count(): number {
    return this.total;
  }
}
