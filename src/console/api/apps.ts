// The calls of the applications and access-token pages: the registry's applications, the admin API's members and
// ownership transfer, and the tokens API (docs/drogue-api.md, "Registry" and "Admin and tokens").
import { ADMIN_BASE, REGISTRY_BASE, TOKENS_BASE } from '../../model/api-paths.js';
import type { MemberRole } from '../../model/members.js';
import type { Application } from '../../model/resource.js';
import { api, pathOf } from './client.js';

/** Listings are read in pages of this many, as drg does, so that no answer grows with the registry. */
const PAGE = 500;

/** The applications the user may read, by name; `labels` a label selector the registry filters by. */
export async function listApps(labels?: string): Promise<Application[]> {
  const apps: Application[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await api.get<Application[]>(`${REGISTRY_BASE}/apps`, {
      query: { labels: labels || undefined, limit: String(PAGE), offset: String(offset) },
    });
    apps.push(...page);
    if (page.length < PAGE) return apps;
  }
}

export const getApp = (name: string) => api.get<Application>(pathOf(`${REGISTRY_BASE}/apps`, name));

export async function createApp(app: Application): Promise<void> {
  await api.post(`${REGISTRY_BASE}/apps`, app);
}

/** A PUT of the whole application, with the uid and resourceVersion it was read with: 409 when it changed since. */
export async function updateApp(app: Application): Promise<void> {
  await api.put(pathOf(`${REGISTRY_BASE}/apps`, app.metadata.name), app);
}

/** Deletes the application with that uid (not one of the same name made since). */
export async function deleteApp(app: Application): Promise<void> {
  await api.delete(pathOf(`${REGISTRY_BASE}/apps`, app.metadata.name), {
    preconditions: { uid: app.metadata.uid },
  });
}

export interface Members {
  resourceVersion?: string;
  members: Record<string, { role: MemberRole }>;
}

export const getMembers = (app: string) => api.get<Members>(pathOf(`${ADMIN_BASE}/apps`, app, 'members'));

/** Writes the members with the resourceVersion they were read with: 409 when they changed since. */
export async function setMembers(app: string, members: Members): Promise<void> {
  await api.put(pathOf(`${ADMIN_BASE}/apps`, app, 'members'), members);
}

/** The user the application is offered to, or undefined when no transfer is pending. */
export async function getTransfer(app: string): Promise<string | undefined> {
  const body = await api.get<{ newUser?: string } | ''>(pathOf(`${ADMIN_BASE}/apps`, app, 'transfer-ownership'));
  return typeof body === 'object' ? body.newUser : undefined;
}

export async function startTransfer(app: string, newUser: string): Promise<void> {
  await api.put(pathOf(`${ADMIN_BASE}/apps`, app, 'transfer-ownership'), { newUser });
}

export async function cancelTransfer(app: string): Promise<void> {
  await api.delete(pathOf(`${ADMIN_BASE}/apps`, app, 'transfer-ownership'));
}

/** The pending new user takes the application over. */
export async function acceptTransfer(app: string): Promise<void> {
  await api.put(pathOf(`${ADMIN_BASE}/apps`, app, 'accept-ownership'));
}

export interface TokenInfo {
  prefix: string;
  created: string;
  description?: string;
}

export const listTokens = () => api.get<TokenInfo[]>(TOKENS_BASE);

/** The new token: its secret is in this answer only. */
export async function createToken(description: string): Promise<{ prefix: string; token: string }> {
  const response = await api.post<{ prefix: string; token: string }>(TOKENS_BASE, undefined, {
    query: { description: description || undefined },
  });
  return response.body;
}

export async function deleteToken(prefix: string): Promise<void> {
  await api.delete(pathOf(TOKENS_BASE, prefix));
}
