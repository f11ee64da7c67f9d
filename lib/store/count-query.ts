import { matchesQuery } from './list-query.js';
import type { CountQuery, SourceCounts } from './port.js';
import type { UploadRecord } from './record.js';

/** The most periods one count takes: a month of hours, or nearly three years of days. */
export const MAX_COUNT_PERIODS = 1_000;

/** An instant as `Date.toISOString()` writes it, the form every record's `receivedAt` has. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * A count query the stores can answer with range conditions on `receivedAt` is one whose bounds
 * compare as text in time order: refused before any store is asked otherwise.
 */
export function checkCountQuery(query: CountQuery): void {
  const { bounds } = query;
  if (bounds.length < 2) throw new Error('a count needs at least two bounds: one period');
  if (bounds.length > MAX_COUNT_PERIODS + 1) throw new Error(`a count takes at most ${MAX_COUNT_PERIODS} periods, got ${bounds.length - 1}`);
  bounds.forEach((bound, i) => {
    if (!INSTANT.test(bound) || new Date(bound).toISOString() !== bound) throw new Error(`the bound ${JSON.stringify(bound)} is not an instant as toISOString writes it`);
    if (i > 0 && bound <= (bounds[i - 1] as string)) throw new Error('the bounds must ascend');
  });
  if (query.prefix !== undefined && query.bucket === undefined) throw new Error('a key prefix needs a bucket');
}

export function noCounts(): SourceCounts {
  return { callback: 0, event: 0, reconcile: 0 };
}

/** One zeroed entry per period of `bounds`. */
export function zeroedPeriods(bounds: readonly string[]): SourceCounts[] {
  return bounds.slice(1).map(noCounts);
}

/** Each period of `bounds`: from one bound (inclusive) to the next (exclusive). */
export function periodsOf(bounds: readonly string[]): { from: string; to: string }[] {
  return bounds.slice(1).map((to, i) => ({ from: bounds[i] as string, to }));
}

/** The period of `bounds` that holds `receivedAt` (a binary search), or undefined outside them all. */
export function periodOf(receivedAt: string, bounds: readonly string[]): number | undefined {
  if (receivedAt < (bounds[0] as string) || receivedAt >= (bounds.at(-1) as string)) return undefined;
  let low = 0;
  let high = bounds.length - 1;
  // Invariant: bounds[low] <= receivedAt < bounds[high].
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (receivedAt < (bounds[middle] as string)) high = middle;
    else low = middle;
  }
  return low;
}

/** Counts `record` in the period of `counts` that holds it, when it is of the query's bucket and prefix. */
export function countInPeriod(counts: SourceCounts[], record: UploadRecord, query: CountQuery): void {
  const period = matchesQuery(record, query) ? periodOf(record.receivedAt, query.bounds) : undefined;
  if (period !== undefined) (counts[period] as SourceCounts)[record.source]++;
}
