// OciError: every failure of the OCI client, one line that names the registry and the repository, with what to do
// as a hint. Never credentials: messages hold no header, no token, no password, and URLs without their query.
import { DrgError } from '../../errors.js';

export type OciErrorCode =
  /** The image reference does not parse. */
  | 'reference'
  /** 401: no credentials, or refused ones; or docker's config file cannot be read. */
  | 'unauthorized'
  /** 403, or a token without the access asked for. */
  | 'denied'
  | 'not-found'
  /** The manifest has no `application/octet-stream` layer, or is of a kind this client does not read. */
  | 'unsupported'
  /** The bytes do not match their digest or size. */
  | 'digest-mismatch'
  /** A layer over the client's size limit. */
  | 'too-large'
  /** No (complete) answer: refused, timed out, TLS, proxy. */
  | 'network'
  /** Any other answer the registry should not have given. */
  | 'registry';

export class OciError extends DrgError {
  override name = 'OciError';
  readonly code: OciErrorCode;
  /** The registry's HTTP status, when it answered. */
  readonly status: number | undefined;

  constructor(message: string, options: { code: OciErrorCode; status?: number; hint?: string; cause?: unknown }) {
    super(message, { hint: options.hint, cause: options.cause });
    this.code = options.code;
    this.status = options.status;
  }

  override get httpStatus(): number | undefined {
    return this.status;
  }
}
