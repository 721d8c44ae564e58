// Discovery (docs/drogue-api.md, "Discovery"): the server's version and the endpoints it serves.

import { ProtocolError } from '../errors.js';
import { CONSOLE_INFO, DISCOVERY_ENDPOINTS, DISCOVERY_VERSION } from '../model/api-paths.js';
import type { Endpoints } from '../model/endpoints.js';
import { isJsonObject } from '../model/json.js';
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
    const { body } = await this.api.get<DiscoveredEndpoints>(DISCOVERY_ENDPOINTS);
    return asObject(body, this.api.baseUrl, DISCOVERY_ENDPOINTS);
  }

  /** Authenticated: the endpoints plus `demos`; fails with 401/403 when the credentials are not accepted. */
  async info(): Promise<DiscoveredEndpoints & { demos?: unknown }> {
    const { body } = await this.api.get<DiscoveredEndpoints>(CONSOLE_INFO);
    return asObject(body, this.api.baseUrl, CONSOLE_INFO);
  }

  /** Anonymous: the server's version, e.g. `0.11.0`. */
  async version(): Promise<string> {
    const { body } = await this.api.get<{ version?: unknown }>(DISCOVERY_VERSION);
    const version = asObject(body, this.api.baseUrl, DISCOVERY_VERSION).version;
    if (typeof version !== 'string')
      throw new ProtocolError(`${this.api.baseUrl}${DISCOVERY_VERSION} names no version`);
    return version;
  }
}

/** The issuer's OIDC discovery document, or undefined when it cannot be read. */
export async function oidcMetadata(issuerUrl: string, deadlineMs = 10_000): Promise<OidcMetadata | undefined> {
  try {
    const { body } = await new ApiClient({ baseUrl: issuerUrl, deadlineMs }).get<OidcMetadata>(
      '/.well-known/openid-configuration',
    );
    return isJsonObject(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

function asObject<T>(body: T | undefined, baseUrl: string, path: string): T {
  if (!isJsonObject(body)) {
    throw new ProtocolError(`${baseUrl}${path} answered no JSON object: it is not a Drogue Cloud API endpoint`);
  }
  return body;
}
