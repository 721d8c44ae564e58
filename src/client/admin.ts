// The admin API (API.md "Admin and tokens"): who am I. Members and ownership transfer come with the identity issue.
import { CliError } from '../output/errors.js';
import type { ApiClient } from './http.js';

export class AdminClient {
  constructor(readonly api: ApiClient) {}

  /** The user id the server sees behind the current credentials. */
  async whoami(): Promise<string> {
    const { body } = await this.api.get<{ id?: unknown }>('/api/admin/v1alpha1/user/whoami');
    if (typeof body?.id !== 'string') throw new CliError('the server did not say who you are');
    return body.id;
  }
}
