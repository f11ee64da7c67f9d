import { createHash } from 'node:crypto';
import { CallbackError } from '../errors.js';
import type { CallbackFields } from '../protocol/callback-body.js';
import type { AuthorizeStep } from '../steps.js';
import { callStore } from '../store/retry.js';
import type { TicketKeys } from './keys.js';
import { CLOCK_TOLERANCE_SECONDS, verifyTicket, type UploadTicket } from './ticket.js';

/** How the receiver treats tickets: checked when present, or also required (OSS_CALLBACK_REQUIRE_TICKET). */
export interface TicketSettings {
  keys: TicketKeys;
  required: boolean;
}

const mismatch = (what: string) => new CallbackError('TicketMismatch', `the upload is outside its ticket: ${what}`);

function checkUpload(fields: CallbackFields, ticket: UploadTicket): void {
  if (fields.bucket !== ticket.bucket) throw mismatch('another bucket');
  if (!fields.object.startsWith(ticket.prefix)) throw mismatch('the object key is not under the ticket\'s prefix');
  if (fields.size === null) throw mismatch('the callback body does not report the size (add size=${size} to the template)');
  if (fields.size > ticket.maxSize) throw mismatch(`${fields.size} bytes is more than the ticket allows`);
}

/**
 * The receiver's authorize step for upload tickets. After the ticket's own checks, one conditional
 * write binds the ticket to the first object recorded with it (`ticket:<jti>` → bucket and object).
 * A redelivery or a re-upload of that object finds its own binding and goes on; any other object
 * finds another and is refused. Returns the ticket's subject, recorded as the uploader.
 */
export function ticketAuthorizer(settings: TicketSettings): AuthorizeStep {
  return async (fields, jws, { budget, store }) => {
    if (jws === undefined) {
      if (settings.required) throw new CallbackError('TicketMissing', 'this receiver accepts only uploads made with an upload ticket (x:ticket)');
      return null;
    }
    const ticket = await verifyTicket(jws, settings.keys, budget.now());
    checkUpload(fields, ticket);
    const binding = {
      key: `ticket:${ticket.jti}`,
      value: createHash('sha256').update(`${fields.bucket}\n${fields.object}`).digest('hex'),
      expiresAt: (ticket.exp + CLOCK_TOLERANCE_SECONDS) * 1000,
    };
    const bound = await callStore(budget, 'bind the upload ticket', (options) => store.bind(binding, options));
    if (bound !== binding.value) throw new CallbackError('TicketReused', 'this upload ticket was already used for another object');
    return ticket.sub;
  };
}
