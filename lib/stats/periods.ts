/** The periods `stats` counts in: whole hours or days of the local calendar (the process's time zone). */
export type PeriodUnit = 'hour' | 'day';

export const PERIOD_UNITS: readonly PeriodUnit[] = ['hour', 'day'];

/** The start of the hour or day that holds `date`. */
export function periodStart(date: Date, by: PeriodUnit): Date {
  const start = new Date(date);
  if (by === 'day') start.setHours(0, 0, 0, 0);
  else start.setMinutes(0, 0, 0);
  return start;
}

/**
 * The start of the next period: an hour is 3600 s, a day is a calendar day (23 or 25 hours where the
 * clocks change), so local midnights stay the boundaries.
 */
function nextStart(start: Date, by: PeriodUnit): Date {
  if (by === 'hour') return new Date(start.getTime() + 3_600_000);
  const next = new Date(start);
  next.setDate(next.getDate() + 1);
  next.setHours(0, 0, 0, 0);
  return next;
}

/**
 * The bounds of the periods from the one that holds `since` to `until`: whole periods, except the
 * last, which ends at `until` (today so far). As `toISOString()` writes them, the form `count` takes.
 */
export function periodBounds(since: Date, until: Date, by: PeriodUnit): string[] {
  if (!(until.getTime() > since.getTime())) throw new RangeError('the end of the window must come after its start');
  const bounds = [periodStart(since, by)];
  for (let next = nextStart(bounds[0] as Date, by); next < until; next = nextStart(next, by)) bounds.push(next);
  bounds.push(until);
  return bounds.map((bound) => bound.toISOString());
}

/** The unit a window is shown in by default: hours for two days or less, else days. */
export function defaultUnit(since: Date, until: Date): PeriodUnit {
  return until.getTime() - since.getTime() <= 2 * 86_400_000 ? 'hour' : 'day';
}
