import type { ErrorKind } from '../model/resource.js';

/** An error that maps to an HTTP status and the API's error body `{"error": kind, "message": ...}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }

  body(): { error: string; message: string } {
    return { error: this.kind, message: this.message };
  }
}

export const notFound = (message: string) => new ApiError(404, 'NotFound', message);
export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);
export const conflict = (message: string) => new ApiError(409, 'Conflict', message);
export const lockFailed = (message: string) => new ApiError(409, 'OptimisticLockFailed', message);
export const forbidden = (message = 'Forbidden') => new ApiError(403, 'Forbidden', message);
