// The admin API (docs/drogue-api.md, "Admin and tokens"): who am I, application members, ownership transfer.

import { ProtocolError } from '../errors.js';
import { ADMIN_BASE } from '../model/api-paths.js';
import type { MemberRole } from '../model/members.js';
import { type ApiClient, pathSegment } from './http.js';
import { appSubject } from './registry.js';

/** The members of an application; send the resourceVersion back so that a concurrent change is a 409. */
export interface Members {
  resourceVersion?: string;
  members: Record<string, { role: MemberRole }>;
}

function appAdminPath(app: string): string {
  return `${ADMIN_BASE}/apps/${pathSegment(app)}`;
}

export class AdminClient {
  constructor(readonly api: ApiClient) {}

  /** The user id the server sees behind the current credentials. */
  async whoami(): Promise<string> {
    const { body } = await this.api.get<{ id?: unknown }>(`${ADMIN_BASE}/user/whoami`);
    if (typeof body?.id !== 'string') throw new ProtocolError('the server did not say who you are');
    return body.id;
  }

  async getMembers(app: string): Promise<Members> {
    const { body } = await this.api.get<Partial<Members>>(`${appAdminPath(app)}/members`, {
      subject: appSubject(app),
      action: 'read',
    });
    return { resourceVersion: body?.resourceVersion, members: body?.members ?? {} };
  }

  /** PUT; with a resourceVersion, a change made by someone else since it was read fails with 409. */
  async setMembers(app: string, members: Members): Promise<void> {
    await this.api.put(`${appAdminPath(app)}/members`, {
      body: members,
      subject: { kind: 'members', app },
      action: 'update',
    });
  }

  /** Offers the application to `newUser`; they become the owner when they accept. */
  async transferOwnership(app: string, newUser: string): Promise<void> {
    await this.api.put(`${appAdminPath(app)}/transfer-ownership`, {
      body: { newUser },
      subject: appSubject(app),
      action: 'update',
    });
  }

  /** The user a pending transfer is offered to; undefined when none is pending. */
  async getTransfer(app: string): Promise<string | undefined> {
    const { body } = await this.api.get<{ newUser?: string }>(`${appAdminPath(app)}/transfer-ownership`, {
      subject: appSubject(app),
      action: 'read',
    });
    return body?.newUser;
  }

  async cancelTransfer(app: string): Promise<void> {
    await this.api.delete(`${appAdminPath(app)}/transfer-ownership`, { subject: appSubject(app), action: 'update' });
  }

  async acceptOwnership(app: string): Promise<void> {
    await this.api.put(`${appAdminPath(app)}/accept-ownership`, { subject: appSubject(app), action: 'update' });
  }
}
