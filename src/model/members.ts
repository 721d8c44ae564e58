// Application member roles (docs/drogue-api.md, "Admin and tokens"), shared by client and server.

export const MEMBER_ROLES = ['reader', 'manager', 'admin'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

export function isMemberRole(value: unknown): value is MemberRole {
  return (MEMBER_ROLES as readonly unknown[]).includes(value);
}
