// The HTTPS device endpoint (`--https-port`, default 8443): the API port's fastify app, with its device route
// `POST /v1/{channel}`, over TLS, where devices may authenticate with a client certificate. It is an HttpListener
// with the TLS material: the API port's limits, connection handling and /health.
import type { Endpoints } from '../../model/endpoints.js';
import type { HttpApi } from '../http/api.js';
import { HttpListener, type ListenerOptions } from '../http/listener.js';
import { type Component, StartError } from '../runtime.js';
import type { TlsComponent } from './tls.js';

export const DEFAULT_HTTPS_PORT = 8443;

export interface HttpsDeviceListenerOptions extends Omit<ListenerOptions, 'tls'> {
  /** Started before this: the key and certificate. */
  tls: TlsComponent;
  /** Started before this: what answers the requests. */
  api: HttpApi;
}

export class HttpsDeviceListener implements Component {
  readonly name = 'https-device-listener';
  private listener?: HttpListener;

  constructor(private readonly options: HttpsDeviceListenerOptions) {}

  /** `https://HOST:PORT`, where HOST is the bind address (loopback for a wildcard bind). */
  get url(): string {
    return this.listening().url;
  }

  get port(): number {
    return this.listening().port;
  }

  async start(): Promise<void> {
    const { tls, api, ...options } = this.options;
    const { key, cert } = tls.material;
    const listener = new HttpListener({ ...options, tls: { key, cert } });
    listener.attach(api.routing);
    try {
      await listener.start();
    } catch (err) {
      if (!(err instanceof StartError && err.reason === 'address-in-use')) throw err;
      throw new StartError(`${err.message}: pick another with --https-port`, 'listen', { cause: err });
    }
    this.listener = listener;
  }

  open(): void {
    this.listening().open();
  }

  async close(): Promise<void> {
    await this.listener?.close();
  }

  stop(): void {
    this.listener = undefined;
  }

  endpoints(): Endpoints {
    return { https: { url: this.url } };
  }

  private listening(): HttpListener {
    if (!this.listener) throw new Error('the HTTPS device listener is not listening');
    return this.listener;
  }
}
