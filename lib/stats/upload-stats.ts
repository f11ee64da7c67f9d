import { countUploads, type SourceCounts, type StoreCallOptions, type UploadStore } from '../store/port.js';
import { periodBounds, type PeriodUnit } from './periods.js';

/**
 * Uploads by source with their total and the callback coverage: the share of uploads whose callback
 * was recorded, `callback / total` (0 to 1, four decimals), null when there were none. `stats`, the
 * records page and the reconcile summary speak in these terms.
 */
export interface UploadCounts extends SourceCounts {
  total: number;
  coverage: number | null;
}

export interface PeriodCounts extends UploadCounts {
  /** ISO 8601: the period holds the uploads recorded from `start`, up to but not at `end`. */
  start: string;
  end: string;
}

export interface StatsQuery {
  since: Date;
  until: Date;
  by: PeriodUnit;
  bucket?: string;
  /** Object key prefix; needs `bucket`. */
  prefix?: string;
}

export interface UploadStats {
  by: PeriodUnit;
  /** Where the first period starts (the start of the hour or day that holds the `since` asked for). */
  since: string;
  until: string;
  periods: PeriodCounts[];
  /** The whole window. */
  overall: UploadCounts;
}

export function uploadCounts({ callback, event, reconcile }: SourceCounts): UploadCounts {
  const total = callback + event + reconcile;
  return { callback, event, reconcile, total, coverage: total === 0 ? null : Math.round((callback / total) * 10_000) / 10_000 };
}

/** A coverage share as a percent with one decimal, rounded down: 100% only when every upload's callback was recorded. */
export function coveragePercent(share: number): string {
  return share === 1 ? '100%' : `${(Math.floor(share * 1000) / 10).toFixed(1)}%`;
}

/** The uploads of each period of the window, and of the window, counted by the store (`UploadStore.count`). */
export async function uploadStats(store: UploadStore, query: StatsQuery, options?: StoreCallOptions): Promise<UploadStats> {
  const bounds = periodBounds(query.since, query.until, query.by);
  const counts = await countUploads(store, { bounds, bucket: query.bucket, prefix: query.prefix }, options);
  const periods = counts.map((each, i) => ({ start: bounds[i] as string, end: bounds[i + 1] as string, ...uploadCounts(each) }));
  const sum = (source: keyof SourceCounts) => counts.reduce((total, each) => total + each[source], 0);
  return {
    by: query.by,
    since: bounds[0] as string,
    until: bounds.at(-1) as string,
    periods,
    overall: uploadCounts({ callback: sum('callback'), event: sum('event'), reconcile: sum('reconcile') }),
  };
}
