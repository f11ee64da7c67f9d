import type { Budget } from '../deadline.js';
import { CallbackError } from '../errors.js';
import type { StoredUpload, UploadStore } from './port.js';
import type { UploadRecord } from './record.js';
import { callStore } from './retry.js';
import { normalEtag } from './upload-id.js';

export interface RecordResult {
  record: UploadRecord;
  /** True when the upload was already recorded and this delivery wrote nothing. */
  replayed: boolean;
}

/**
 * Store one record per upload with one conditional create of the finished record. When the id is
 * taken, the store hands back what is there, and the answer is decided here:
 * - the same fingerprint: a redelivery (or our own retried write), answered with the stored record;
 * - a reconcile or an event finding any record: the upload is already recorded;
 * - a callback finding a callback with other bytes under an ETag-derived id: another upload of the
 *   same object with the same content; the first callback's record stands and is the answer;
 * - a callback finding a callback with other bytes under its reqId (no ETag): 409, the same OSS
 *   request cannot have signed two bodies.
 * It never answers without a stored record, nor with a record of another object.
 */
export async function recordUpload(store: UploadStore, upload: StoredUpload, budget: Budget): Promise<RecordResult> {
  const outcome = await callStore(budget, 'write the upload record', (options) => store.create(upload, options));
  if (outcome.created) return { record: upload.record, replayed: false };
  const { existing } = outcome;
  // Ids keep uploads apart by construction (upload-id.ts); this guards rows written before they did.
  if (!sameObject(existing.record, upload.record)) throw new CallbackError('IdempotencyConflict', 'this upload\'s id is held by a record of another object');
  const conflict =
    existing.fingerprint !== upload.fingerprint &&
    upload.record.source === 'callback' &&
    existing.record.source === 'callback' &&
    upload.record.etag === null;
  if (conflict) throw new CallbackError('IdempotencyConflict', 'an upload with this id was already recorded with different signed content');
  return { record: existing.record, replayed: true };
}

function sameObject(a: UploadRecord, b: UploadRecord): boolean {
  return a.bucket === b.bucket && a.object === b.object && normalEtag(a.etag) === normalEtag(b.etag);
}

/** The record stored for exactly this fingerprint, if any; a store failure here counts as none. */
export async function storedAnswer(store: UploadStore, id: string, fingerprint: string, budget: Budget): Promise<UploadRecord | undefined> {
  const stored = await callStore(budget, 'read the upload record', (options) => store.get(id, options)).catch(() => undefined);
  return stored?.fingerprint === fingerprint ? stored.record : undefined;
}
