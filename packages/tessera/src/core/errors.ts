/** Stable machine-readable error codes; clients branch on these, so they never change meaning. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'MALFORMED_JSON'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'POLICY_VIOLATION'
  | 'NOT_INITIALISED'
  | 'ALREADY_INITIALISED'
  | 'CONFIGURATION_INVALID'
  | 'UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'DECRYPTION_FAILED'
  | 'INTERNAL';

const statusByCode: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  POLICY_VIOLATION: 422,
  NOT_INITIALISED: 409,
  ALREADY_INITIALISED: 409,
  // The server's own configuration, such as a key file changed under a running process: the client can only retry later.
  CONFIGURATION_INVALID: 503,
  UNAVAILABLE: 503,
  RATE_LIMITED: 429,
  // Stored data failed authentication: tampering or a wrong master key, never a client mistake.
  DECRYPTION_FAILED: 500,
  INTERNAL: 500,
};

/**
 * The one error type of Tessera. The message names the field, the bad value when it is not
 * secret, and the fix. It never contains a token, secret, hash or authorization header.
 */
export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'TesseraError';
    this.code = code;
    this.status = statusByCode[code];
    this.field = options.field;
  }
}

export function validationError(field: string, message: string): TesseraError {
  return new TesseraError('VALIDATION_FAILED', `${field}: ${message}`, { field });
}
