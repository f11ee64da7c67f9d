/** Every refusal the product makes, with the HTTP status each door answers it with. */
export const ERROR_STATUS = {
  MalformedRequest: 400,
  MalformedBody: 400,
  UnsupportedContentType: 400,
  MissingField: 400,
  InvalidTicketRequest: 400,
  MissingSignature: 401,
  SignatureMismatch: 401,
  UnsupportedSignatureVersion: 401,
  AuthenticationRequired: 401,
  AuthenticationFailed: 401,
  UntrustedKeyUrl: 403,
  TicketMissing: 403,
  TicketInvalid: 403,
  TicketExpired: 403,
  TicketMismatch: 403,
  TicketReused: 403,
  UploadNotAllowed: 403,
  UploadNotConfirmed: 403,
  BucketNotServed: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  IdempotencyConflict: 409,
  ExpectationFailed: 417,
  BodyTooLarge: 413,
  InternalError: 500,
  Misconfigured: 500,
  AnswerFailed: 500,
  KeyUnavailable: 503,
  StoreUnavailable: 503,
  ConfirmUnavailable: 503,
  DeadlineExceeded: 503,
} as const;

export type CallbackErrorCode = keyof typeof ERROR_STATUS;

/**
 * A refusal with a stable `code` (what programs switch on) and a `message` for a human. The message
 * never carries a secret: no signature value, key material or credential.
 */
export class CallbackError extends Error {
  readonly code: CallbackErrorCode;

  constructor(code: CallbackErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CallbackError';
    this.code = code;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isCallbackError(error: unknown): error is CallbackError {
  return error instanceof CallbackError;
}

/** An unexpected failure becomes an InternalError that says only that the log has it. */
export function asCallbackError(error: unknown, what: string): CallbackError {
  return isCallbackError(error) ? error : new CallbackError('InternalError', `${what} failed unexpectedly; see its log`, { cause: error });
}
