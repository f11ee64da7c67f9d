import type { CallbackError } from './errors.js';
import type { AliyunCredentials } from './credentials.js';

/**
 * The one request/answer shape every door speaks. Platform adapters translate their events into a
 * `CallbackRequest` and a `CallbackResponse` back; nothing platform-specific goes past this file.
 */
export interface CallbackRequest {
  method: string;
  /** The request path exactly as received, still percent-encoded. */
  rawPath: string;
  /** The raw query without its `?`, or null when the URL had none. Never re-serialized. */
  rawQuery: string | null;
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The raw body bytes. */
  body: Buffer;
  /**
   * Set by doors that cannot see the raw query (FC 3.0 hands over parsed parameters only) and had to
   * rebuild it. Diagnostics and logs report it, since a rebuilt query may differ from what OSS signed.
   */
  queryReconstructed?: boolean;
  /**
   * Set by doors that see the URL only as a WHATWG URL parser left it (a Fetch `Request`): dot
   * segments resolved, `\` read as `/`, some characters percent-encoded. The path and query may then
   * differ from what OSS signed; diagnostics and logs report it.
   */
  urlNormalized?: boolean;
  /**
   * Set by doors that cannot give the raw body, because a framework's body parser read the stream
   * first and kept no bytes: what to change, which the receiver answers as `500 Misconfigured`.
   */
  bodyUnavailable?: string;
}

export interface CallbackResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The JSON refusal every door answers with: `{"Status":"Error","code","message"}`. */
export function refusalResponse(refusal: CallbackError): CallbackResponse {
  return jsonResponse(refusal.status, { Status: 'Error', code: refusal.code, message: refusal.message });
}

/** A JSON answer with the `Content-Length` OSS requires. */
export function jsonResponse(status: number, payload: unknown): CallbackResponse {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  return {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
    },
    body,
  };
}

export interface HandleOptions {
  /** What the platform has left of its own timeout; the receiver answers before the earlier limit. */
  remainingMs?: number;
  /** The platform's request id, for the log line. */
  requestId?: string;
}

/** What every door calls: the callback receiver, and the ticket function, which speaks the same shape. */
export interface Receiver {
  handle(request: CallbackRequest, options?: HandleOptions): Promise<CallbackResponse>;
}

/**
 * Routes served beside the callback (the upload-ticket function, the development page): an answer
 * for the requests they own, undefined for every other, which goes to the receiver.
 */
export type LocalRoutes = (request: CallbackRequest) => Promise<CallbackResponse> | undefined;

/** What a serverless door knows of the invocation beyond the request. */
export interface InvocationContext {
  /** Function Compute hands STS credentials to every invocation; they rotate. */
  aliyunCredentials?: AliyunCredentials;
}
