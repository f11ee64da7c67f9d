import { createHash } from 'node:crypto';
import type { CallbackRequest } from './exchange.js';
import { parseCallbackBody, type CallbackFields } from './protocol/callback-body.js';
import { takeTicket } from './protocol/ticket-field.js';
import { uploadId } from './store/upload-id.js';

/** What a callback whose signature holds reports about its upload. */
export interface CallbackUpload {
  /** The body's fields as a record holds them; `vars` has the custom variables, never `x:ticket`. */
  fields: CallbackFields;
  /** The `x:ticket` value, not checked here. A credential: never store or log it. */
  ticket: string | undefined;
  /** SHA-256 hex of the signed bytes: a redelivery of the same callback has the same fingerprint. */
  fingerprint: string;
  /** The id the receiver records the upload under: see `uploadId`. */
  id: string;
}

/** Parse a verified callback into its upload: the receiver's next step, and the end of verify-only use. */
export function callbackUpload(request: CallbackRequest, signed: Buffer): CallbackUpload {
  const { fields, ticket } = takeTicket(parseCallbackBody(request.headers['content-type'], request.body));
  const fingerprint = createHash('sha256').update(signed).digest('hex');
  return { fields, ticket, fingerprint, id: uploadId(fields, fields.reqId === null ? { signed: fingerprint } : { reqId: fields.reqId }) };
}
