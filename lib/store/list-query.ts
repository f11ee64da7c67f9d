import type { ListQuery } from './port.js';
import { RECORD_SOURCES, type UploadRecord } from './record.js';

/** A query the stores cannot answer from an index is refused before any store is asked. */
export function checkListQuery(query: ListQuery): void {
  if (query.prefix !== undefined && query.bucket === undefined) throw new Error('a key prefix needs a bucket');
  if (query.source !== undefined && !RECORD_SOURCES.includes(query.source)) throw new Error(`the source must be one of ${RECORD_SOURCES.join(', ')}`);
  if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1)) {
    throw new Error('the limit must be a positive whole number');
  }
}

/** Every filter of the query holds for the record (they combine with AND). */
export function matchesQuery(record: UploadRecord, query: ListQuery): boolean {
  if (query.bucket !== undefined && record.bucket !== query.bucket) return false;
  if (query.prefix !== undefined && !record.object.startsWith(query.prefix)) return false;
  if (query.uploader !== undefined && record.uploader !== query.uploader) return false;
  if (query.variable && record.vars[query.variable.name] !== query.variable.value) return false;
  if (query.source !== undefined && record.source !== query.source) return false;
  return true;
}

/** Newest first; the id breaks ties so every store lists the same records in the same order. */
export function sortKey(record: Pick<UploadRecord, 'receivedAt' | 'id'>): string {
  return `${record.receivedAt}#${record.id}`;
}

export function newestFirst(a: UploadRecord, b: UploadRecord): number {
  const ka = sortKey(a);
  const kb = sortKey(b);
  return ka < kb ? 1 : ka > kb ? -1 : 0;
}
