// Discovery (API.md "Discovery"): the server's version and the endpoints it serves.
import { CliError } from '../output/errors.js';
import { ApiClient } from './http.js';

/** `/.well-known/drogue-endpoints`; services the server does not run are absent. */
export interface Endpoints {
  api?: string;
  console?: string;
  issuer_url?: string;
  redirect_url?: string;
  command_url?: string;
  registry?: { url: string };
  http?: { url: string };
  coap?: { url: string };
  mqtt_ws?: { url: string };
  mqtt_integration_ws?: { url: string };
  websocket_integration?: { url: string };
  mqtt?: { host: string; port: number };
  mqtt_integration?: { host: string; port: number };
  local_certs?: boolean;
  kafka_bootstrap_servers?: string;
  [key: string]: unknown;
}

/** The OIDC provider metadata drg needs (`<issuer>/.well-known/openid-configuration`). */
export interface OidcMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  [key: string]: unknown;
}

export class EndpointsClient {
  constructor(readonly api: ApiClient) {}

  /** Anonymous. */
  async endpoints(): Promise<Endpoints> {
    const { body } = await this.api.get<Endpoints>('/.well-known/drogue-endpoints');
    return asObject(body, 'endpoints');
  }

  /** Authenticated: the endpoints plus `demos`; fails with 401/403 when the credentials are not accepted. */
  async info(): Promise<Endpoints & { demos?: unknown }> {
    const { body } = await this.api.get<Endpoints>('/api/console/v1alpha1/info');
    return asObject(body, 'console info');
  }

  /** Anonymous: the server's version, e.g. `0.11.0`. */
  async version(): Promise<string> {
    const { body } = await this.api.get<{ version?: unknown }>('/.well-known/drogue-version');
    const version = asObject(body, 'version').version;
    if (typeof version !== 'string') throw new CliError('the server sent no version');
    return version;
  }
}

/** The issuer's OIDC discovery document, or undefined when it cannot be read. */
export async function oidcMetadata(issuerUrl: string, timeoutMs = 10_000): Promise<OidcMetadata | undefined> {
  try {
    const { body } = await new ApiClient({ baseUrl: issuerUrl, timeoutMs }).get<OidcMetadata>(
      '/.well-known/openid-configuration',
    );
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

function asObject<T>(body: T | undefined, what: string): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new CliError(`the server's ${what} answer is not a JSON object`);
  }
  return body;
}
