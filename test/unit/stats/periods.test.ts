import { afterEach, describe, expect, it } from 'vitest';
import { defaultUnit, periodBounds, periodStart } from '../../../lib/stats/periods.js';
import { uploadCounts } from '../../../lib/stats/upload-stats.js';

/** Node reads TZ again whenever it is assigned, so each case sets the zone its calendar is in. */
const original = process.env.TZ;
afterEach(() => {
  process.env.TZ = original;
});
const inZone = (zone: string) => {
  process.env.TZ = zone;
};
const at = (iso: string) => new Date(iso);

describe('periodBounds', () => {
  it('starts at the whole hour that holds since and ends the last period at until', () => {
    inZone('UTC');
    const bounds = periodBounds(at('2026-11-24T14:23:10Z'), at('2026-11-24T17:05:00Z'), 'hour');
    expect(bounds).toEqual(['2026-11-24T14:00:00.000Z', '2026-11-24T15:00:00.000Z', '2026-11-24T16:00:00.000Z', '2026-11-24T17:00:00.000Z', '2026-11-24T17:05:00.000Z']);
    // Until on a boundary: no empty period after it.
    expect(periodBounds(at('2026-11-24T14:00:00Z'), at('2026-11-24T16:00:00Z'), 'hour')).toEqual(['2026-11-24T14:00:00.000Z', '2026-11-24T15:00:00.000Z', '2026-11-24T16:00:00.000Z']);
  });

  it('cuts days at local midnight', () => {
    inZone('Asia/Shanghai');
    // 04:00 on the 25th in Shanghai: the day began at 16:00 UTC on the 24th.
    expect(periodBounds(at('2026-11-24T20:00:00Z'), at('2026-11-26T01:00:00Z'), 'day')).toEqual([
      '2026-11-24T16:00:00.000Z',
      '2026-11-25T16:00:00.000Z',
      '2026-11-26T01:00:00.000Z',
    ]);
  });

  it('keeps a day a calendar day where the clocks change, and hours whole in a half-hour zone', () => {
    inZone('America/New_York');
    // Daylight saving time ends on 1 November 2026: that day has 25 hours.
    const days = periodBounds(at('2026-10-31T12:00:00Z'), at('2026-11-02T12:00:00Z'), 'day');
    expect(days).toEqual(['2026-10-31T04:00:00.000Z', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z', '2026-11-02T12:00:00.000Z']);
    inZone('Asia/Kolkata');
    expect(periodBounds(at('2026-11-24T10:45:00Z'), at('2026-11-24T12:00:00Z'), 'hour')).toEqual(['2026-11-24T10:30:00.000Z', '2026-11-24T11:30:00.000Z', '2026-11-24T12:00:00.000Z']);
    expect(periodStart(at('2026-11-24T10:45:00Z'), 'day').toISOString()).toBe('2026-11-23T18:30:00.000Z');
  });

  it('refuses a window that ends before it starts, and shows two days or less by hour', () => {
    expect(() => periodBounds(at('2026-11-24T10:00:00Z'), at('2026-11-24T10:00:00Z'), 'hour')).toThrow(RangeError);
    expect(defaultUnit(at('2026-11-22T10:00:00Z'), at('2026-11-24T10:00:00Z'))).toBe('hour');
    expect(defaultUnit(at('2026-11-22T10:00:00Z'), at('2026-11-24T10:00:01Z'))).toBe('day');
  });
});

describe('uploadCounts', () => {
  it('adds the total and the share of uploads whose callback was recorded, none without uploads', () => {
    expect(uploadCounts({ callback: 2, event: 1, reconcile: 0 })).toEqual({ callback: 2, event: 1, reconcile: 0, total: 3, coverage: 0.6667 });
    expect(uploadCounts({ callback: 5, event: 0, reconcile: 0 })).toMatchObject({ total: 5, coverage: 1 });
    expect(uploadCounts({ callback: 0, event: 0, reconcile: 4 })).toMatchObject({ total: 4, coverage: 0 });
    expect(uploadCounts({ callback: 0, event: 0, reconcile: 0 })).toEqual({ callback: 0, event: 0, reconcile: 0, total: 0, coverage: null });
  });
});
