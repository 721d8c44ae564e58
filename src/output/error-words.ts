// The words for a failure, as people read them: one message line and an optional hint. API failures are worded
// here from their status, what the call was about and which credentials it carried (a 401 is not always
// "not logged in"); other errors carry their own message. Exit codes are src/cli/report.ts's business.
import { DEFAULT_LOGIN_CONTEXT } from '../config/config.js';
import {
  ApiError,
  type ApiErrorDetails,
  type ApiSubject,
  credentialsRejected,
  DrgError,
  NetworkError,
} from '../errors.js';

export interface ErrorWords {
  message: string;
  hint?: string;
}

/** `application 'a'`, `device 'd' in application 'a'`, ...: how messages name what a call was about. */
export function subjectText(subject: ApiSubject): string {
  const app = `application '${subject.app}'`;
  switch (subject.kind) {
    case 'application':
      return app;
    case 'device':
      return `device '${subject.name}' in ${app}`;
    case 'members':
      return `the members of ${app}`;
    case 'transfer':
      return `the transfer of ${app}`;
    case 'token':
      return `access token '${subject.name}'`;
  }
}

export function errorWords(err: unknown): ErrorWords {
  if (err instanceof ApiError) return apiErrorWords(err.details);
  if (err instanceof NetworkError) {
    if (err.reason === 'too-large') return { message: `${err.url} sent more than drg accepts: ${err.detail}` };
    if (err.reason === 'deadline') return { message: `${err.url} did not answer in time: ${err.detail}` };
    return { message: `cannot reach ${err.url}: ${err.detail}; is the server running?`, hint: err.hint };
  }
  if (err instanceof DrgError) return { message: err.message, hint: err.hint };
  return { message: err instanceof Error ? err.message : String(err) };
}

/** How to log in to the context's cluster again. */
export function loginCommand(baseUrl: string, context: string | undefined, how = ''): string {
  const named = context && context !== DEFAULT_LOGIN_CONTEXT ? ` -c ${context}` : '';
  return `drg login ${baseUrl}${how}${named}`;
}

function apiErrorWords(d: ApiErrorDetails): ErrorWords {
  const subject = d.subject ? subjectText(d.subject) : undefined;
  const server = d.serverMessage?.trim();
  if (credentialsRejected(d.status, d.serverMessage) && d.credentials !== 'none') return rejectedCredentials(d);
  switch (d.status) {
    case 401:
      return { message: `not logged in to ${d.baseUrl}: run \`drg login ${d.baseUrl}\`` };
    case 403:
      return {
        message: `forbidden: ${server || 'you lack access'}`,
        hint: subject
          ? `(${subject}: the owner or an admin of the application can give you a role: drg create member)`
          : undefined,
      };
    case 404:
      return { message: subject ? `${subject} not found` : server || 'not found' };
    case 409:
      if (d.kind === 'OptimisticLockFailed' || d.action === 'update' || d.action === 'delete') {
        return {
          message: `${subject ?? 'the resource'} was changed by someone else since it was read: read it again and retry`,
        };
      }
      if (subject && d.action === 'create') return { message: `${subject} already exists` };
      return { message: `conflict: ${server || `${subject ?? 'the resource'} changed or exists`}` };
    case 400:
      return { message: server || 'the server rejected the request as invalid' };
    default:
      return {
        message: `the server answered ${d.status}${server ? `: ${server}` : ''}${subject ? ` (${subject})` : ''}`,
      };
  }
}

/** The server did not accept the credentials that were sent: revoked, expired, or meant for another server. */
function rejectedCredentials(d: ApiErrorDetails): ErrorWords {
  const whose = d.context ? `the credentials of context ${d.context}` : 'the credentials';
  if (d.credentials === 'access-token') {
    return {
      message: `${d.baseUrl} rejected ${whose}: the access token was deleted, or belongs to another user or server`,
      hint: `log in again with a valid token: ${loginCommand(d.baseUrl, d.context, ' --access-token USER:TOKEN')}`,
    };
  }
  return {
    message: `${d.baseUrl} rejected ${whose}: the session has expired or was revoked`,
    hint: `log in again: ${loginCommand(d.baseUrl, d.context)}`,
  };
}
