import { createHash, randomUUID } from 'node:crypto';
import { CallbackError } from '../errors.js';
import type { CallbackFields } from '../protocol/callback-body.js';
import { EntryStatus, type ClaimEntry, type ClaimOutcome, type UploadStore } from '../store/port.js';
import { callStore, createBudget } from '../store/retry.js';
import type { TicketKeys } from './keys.js';
import { CLOCK_TOLERANCE_SECONDS, verifyTicket, type UploadTicket } from './ticket.js';

/** How the receiver treats tickets: checked when present, or also required (OSS_CALLBACK_REQUIRE_TICKET). */
export interface TicketSettings {
  keys: TicketKeys;
  required: boolean;
}

export interface AuthorizeContext {
  deadline: number;
  signal: AbortSignal;
  now: () => number;
}

/** Returns the uploader (the ticket's subject), null for an upload without a ticket, or refuses with 403. */
export type Authorize = (fields: CallbackFields, ticket: string | undefined, context: AuthorizeContext) => Promise<string | null>;

const mismatch = (what: string) => new CallbackError('TicketMismatch', `the upload is outside its ticket: ${what}`);

function checkUpload(fields: CallbackFields, ticket: UploadTicket): void {
  if (fields.bucket !== ticket.bucket) throw mismatch('another bucket');
  if (!fields.object.startsWith(ticket.prefix)) throw mismatch('the object key is not under the ticket\'s prefix');
  if (fields.size === null) throw mismatch('the callback body does not report the size (add size=${size} to the template)');
  if (fields.size > ticket.maxSize) throw mismatch(`${fields.size} bytes is more than the ticket allows`);
}

/**
 * The receiver's authorize step, between parsing and recording. After the ticket's own checks, one
 * conditional write through the store's port binds the ticket to the first object recorded with it:
 * a claim on `ticket:<jti>` whose fingerprint is the bucket and object and which lasts as long as the
 * ticket is accepted. A redelivery or a re-upload of that object finds its own fingerprint and goes
 * on; any other object finds another and is refused. No adapter needs anything new.
 */
export function ticketAuthorizer(settings: TicketSettings, store: UploadStore): Authorize {
  return async (fields, jws, { deadline, signal, now }) => {
    if (jws === undefined) {
      if (settings.required) throw new CallbackError('TicketMissing', 'this receiver accepts only uploads made with an upload ticket (x:ticket)');
      return null;
    }
    const ticket = await verifyTicket(jws, settings.keys, now());
    checkUpload(fields, ticket);
    const claim: ClaimEntry = {
      id: `ticket:${ticket.jti}`,
      status: EntryStatus.INPROGRESS,
      fingerprint: createHash('sha256').update(`${fields.bucket}\n${fields.object}`).digest('hex'),
      claimToken: randomUUID(),
      claimExpiresAt: (ticket.exp + CLOCK_TOLERANCE_SECONDS) * 1000,
    };
    const budget = createBudget(deadline, now, signal);
    let outcome: ClaimOutcome;
    try {
      outcome = await callStore(budget, 'claim the upload ticket', (callSignal) => store.claim(claim, now(), { signal: callSignal }));
    } finally {
      budget.dispose();
    }
    if (!outcome.claimed && (outcome.existing.status !== EntryStatus.INPROGRESS || outcome.existing.fingerprint !== claim.fingerprint)) {
      throw new CallbackError('TicketReused', 'this upload ticket was already used for another object');
    }
    return ticket.sub;
  };
}
