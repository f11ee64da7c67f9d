import type { RecordSource } from '../store/record.js';

/**
 * Uploads counted by where their record came from, in the terms `oss-callback stats` uses: how many a
 * callback recorded, how many an OSS event or a reconcile recovered, the total, and the callback
 * coverage (the share of the uploads whose callback was recorded, `callback / total`, 0 to 1 with four
 * decimals; null with no uploads). Reconcile and the event path report what they saw this way, so
 * their summaries and log lines read like `stats`.
 */
export interface UploadsBySource {
  callback: number;
  event: number;
  reconcile: number;
  total: number;
  coverage: number | null;
}

export function noUploads(): UploadsBySource {
  return { callback: 0, event: 0, reconcile: 0, total: 0, coverage: null };
}

export function countUpload(uploads: UploadsBySource, source: RecordSource): void {
  uploads[source]++;
  uploads.total++;
  uploads.coverage = Math.round((uploads.callback / uploads.total) * 10_000) / 10_000;
}

/** `99.2% of 250 uploads had their callback`, for a terminal; '' with no uploads. */
export function coverageLine(uploads: UploadsBySource): string {
  if (uploads.coverage === null) return '';
  const percent = uploads.coverage === 1 ? '100' : (Math.floor(uploads.coverage * 1000) / 10).toFixed(1);
  return `callback coverage ${percent}% (${uploads.callback} of ${uploads.total} uploads; recovered: ${uploads.event} by event, ${uploads.reconcile} by reconcile)`;
}
