// The registry's failures as domain errors: each API that reaches the registry (HTTP now; the MQTT endpoint and
// the integrations later) maps their kinds to its own answers.
import type { ErrorKind } from '../../model/resource.js';

export type RegistryErrorKind = Extract<
  ErrorKind,
  'NotFound' | 'ReferenceNotFound' | 'Conflict' | 'OptimisticLockFailed' | 'BadRequest' | 'Forbidden'
>;

export class RegistryError extends Error {
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new RegistryError('BadRequest', message);
export const conflict = (message: string) => new RegistryError('Conflict', message);
export const lockFailed = (message: string) => new RegistryError('OptimisticLockFailed', message);
export const forbidden = (message = 'Forbidden') => new RegistryError('Forbidden', message);

export function appNotFound(app: string): RegistryError {
  return new RegistryError('NotFound', `application "${app}" not found`);
}

export function deviceNotFound(app: string, device: string): RegistryError {
  return new RegistryError('NotFound', `device "${device}" not found in application "${app}"`);
}

/** A device's application is missing or being deleted (docs/drogue-api.md: exactly this body). */
export function referenceNotFound(): RegistryError {
  return new RegistryError('ReferenceNotFound', 'Referenced a non-existing entity');
}
