// Discovery (API.md "Discovery"): the server's version and the endpoints it serves.
import { CONSOLE_INFO } from '../model/api-paths.js';
import type { Endpoints } from '../model/endpoints.js';
import { isJsonObject } from '../model/json.js';
import { CliError } from '../output/errors.js';
import { ApiClient } from './http.js';

/** What a server lists: the known endpoints, and any others a newer server adds. */
export type DiscoveredEndpoints = Endpoints & { [key: string]: unknown };

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
  async endpoints(): Promise<DiscoveredEndpoints> {
    const { body } = await this.api.get<DiscoveredEndpoints>('/.well-known/drogue-endpoints');
    return asObject(body, 'endpoints');
  }

  /** Authenticated: the endpoints plus `demos`; fails with 401/403 when the credentials are not accepted. */
  async info(): Promise<DiscoveredEndpoints & { demos?: unknown }> {
    const { body } = await this.api.get<DiscoveredEndpoints>(CONSOLE_INFO);
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
    return isJsonObject(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

function asObject<T>(body: T | undefined, what: string): T {
  if (!isJsonObject(body)) {
    throw new CliError(`the server's ${what} answer is not a JSON object`);
  }
  return body;
}
