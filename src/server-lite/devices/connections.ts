// Which devices are connected now, and since when, over which protocol: for the CONNECTED column (drg serve's
// extension, docs/drogue-api.md) and for /metrics.
export interface Connection {
  since: Date;
  protocol: string;
}

export class DeviceConnections {
  /** app → device → its connection. */
  private readonly byApp = new Map<string, Map<string, Connection>>();
  private total = 0;

  /** The device connected; returns the function that records its disconnect (later connects replace it). */
  connect(app: string, device: string, protocol: string): () => void {
    const devices = this.byApp.get(app) ?? new Map<string, Connection>();
    this.byApp.set(app, devices);
    if (!devices.has(device)) this.total++;
    const connection = { since: new Date(), protocol };
    devices.set(device, connection);
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

  /** Devices connected now, in all applications. */
  get count(): number {
    return this.total;
  }
}
