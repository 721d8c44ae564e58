// Access tokens of the logged-in user (docs/drogue-api.md, "Admin and tokens").
import { TOKENS_BASE } from '../model/api-paths.js';
import { type ApiClient, pathSegment } from './http.js';

export interface AccessToken {
  prefix: string;
  created: string;
  description?: string;
}

/** The only time the whole token is available. */
export interface CreatedAccessToken {
  prefix: string;
  token: string;
}

export class TokensClient {
  constructor(readonly api: ApiClient) {}

  async list(): Promise<AccessToken[]> {
    const { body } = await this.api.get<AccessToken[]>(TOKENS_BASE);
    return body ?? [];
  }

  async create(description?: string): Promise<CreatedAccessToken> {
    const { body } = await this.api.post<CreatedAccessToken>(TOKENS_BASE, { query: { description } });
    return body as CreatedAccessToken;
  }

  async delete(prefix: string): Promise<void> {
    await this.api.delete(`${TOKENS_BASE}/${pathSegment(prefix)}`, {
      subject: { kind: 'token', name: prefix },
      action: 'delete',
    });
  }
}
