// The wording of every success message, in one place. drg 0.11's sentence style: what it is about, its name
// (unquoted), then what happened: `Application a1 created`, `Device d1 deleted`, `Member bob added to ...`.
import type { ResourceKind } from '../model/resource.js';
import type { Outcome } from './printer.js';

/** `missing`: `delete --ignore-missing` found nothing to delete. */
export type ResourceOutcome = 'created' | 'updated' | 'unchanged' | 'deleted' | 'missing';

export function resourceMessage(kind: ResourceKind, name: string, outcome: ResourceOutcome): string {
  const subject = resourceSubject(kind, name);
  return outcome === 'missing' ? `${subject} does not exist, ignoring` : `${subject} ${outcome}`;
}

/** What happened to one application or device, as an outcome (`-o name` prints `kind/NAME`). */
export function resourceOutcome(kind: ResourceKind, name: string, outcome: ResourceOutcome): Outcome {
  return { message: resourceMessage(kind, name, outcome), resources: [{ kind, name }] };
}

/** `Application NAME`, `Device NAME`: how the messages start (also `drg apply`'s per-resource failures). */
export function resourceSubject(kind: ResourceKind, name: string): string {
  return `${kind === 'application' ? 'Application' : 'Device'} ${name}`;
}

/** An editor closed with the file unchanged (kubectl's and drg 0.11's wording). */
export const EDIT_CANCELLED = 'Edit cancelled, no changes made.';

export type MemberChange =
  | { outcome: 'added'; role: string }
  | { outcome: 'updated'; role: string; was: string }
  | { outcome: 'unchanged'; role: string }
  | { outcome: 'removed' };

export function memberMessage(user: string, app: string, change: MemberChange): string {
  switch (change.outcome) {
    case 'added':
      return `Member ${user} added to application ${app} as ${change.role}`;
    case 'updated':
      return `Member ${user} of application ${app} updated: role ${change.role} (was ${change.was})`;
    case 'unchanged':
      return `Member ${user} of application ${app} unchanged: already ${change.role}`;
    case 'removed':
      return `Member ${user} removed from application ${app}`;
  }
}

export function membersUpdatedMessage(app: string): string {
  return `Members of application ${app} updated`;
}

export function tokenDeletedMessage(prefix: string): string {
  return `Access token ${prefix} deleted`;
}

export function transferStartedMessage(app: string, user: string): string {
  return (
    `Transfer of application ${app} to ${user} started. ${user} becomes the owner by running:\n` +
    `  drg transfer accept ${app}\n` +
    `Until then you stay the owner; \`drg transfer cancel ${app}\` withdraws the offer.`
  );
}

export function transferAcceptedMessage(app: string): string {
  return `Transfer of application ${app} completed: you are now its owner`;
}

export function transferCancelledMessage(app: string): string {
  return `Transfer of application ${app} cancelled`;
}

/** `drg login`: the context it wrote, and whether that is now the active one. */
export function loggedInMessage(url: string, user: string, context: string, active: boolean): string {
  return `Logged in to ${url} as ${user} (context ${context}${active ? ', active' : ''})`;
}

/** `drg logout`: `outcome` says what became of the tokens; none when the context held no credentials. */
export function loggedOutMessage(context: string, outcome: string | undefined): string {
  return outcome
    ? `Logged out of context ${context}: ${outcome}`
    : `Context ${context} holds no credentials: nothing to do`;
}

export type ContextChange =
  | { outcome: 'activated' }
  | { outcome: 'deleted' }
  | { outcome: 'renamed'; to: string }
  | { outcome: 'default-app'; app: string };

export function contextMessage(name: string, change: ContextChange): string {
  switch (change.outcome) {
    case 'activated':
      return `Context ${name} is now the active context`;
    case 'deleted':
      return `Context ${name} deleted`;
    case 'renamed':
      return `Context ${name} renamed to ${change.to}`;
    case 'default-app':
      return `Context ${name} updated: default application ${change.app}`;
  }
}

export interface IssuedCertificate {
  subject: string;
  /** Already formatted for people. */
  validUntil: string;
}

/** `drg create app-cert`; `keyFile` when drg wrote the new private key. */
export function trustAnchorAddedMessage(app: string, cert: IssuedCertificate, keyFile?: string): string {
  const keyNote = keyFile
    ? ` Its private key is in ${keyFile}: keep it secret, it signs the device certificates` +
      ` (drg create device-cert DEVICE --ca-key ${keyFile}).`
    : '';
  return `Trust anchor "${cert.subject}" (valid until ${cert.validUntil}) added to application ${app}.${keyNote}`;
}

/** `drg create device-cert`; `keyFile` when drg wrote the new private key. */
export function deviceCertificateMessage(
  app: string,
  device: string,
  cert: IssuedCertificate & { file: string; alias: string },
  keyFile?: string,
): string {
  const keyNote = keyFile ? `, its private key to ${keyFile}` : '';
  return (
    `Certificate "${cert.subject}" (valid until ${cert.validUntil}) written to ${cert.file}${keyNote}; ` +
    `device ${device} of application ${app} has the alias "${cert.alias}".`
  );
}
