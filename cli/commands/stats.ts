import { MAX_COUNT_PERIODS } from '../../lib/store/count-query.js';
import { PERIOD_UNITS, defaultUnit, periodBounds, type PeriodUnit } from '../../lib/stats/periods.js';
import { coveragePercent, uploadStats, type UploadCounts, type UploadStats } from '../../lib/stats/upload-stats.js';
import { EXIT, UsageError, durationOption, parseCommandArgs, type Command } from '../args.js';
import { STORE_OPTION_HELP, openStoreFor, storeOption } from './store-option.js';

const DEFAULT_SINCE = '7d';
/** The bars' width at the busiest period, in characters. */
const BAR_WIDTH = 30;
const BAR = { callback: '█', event: '▒', reconcile: '░' } as const;

export const command: Command = {
  summary: 'uploads per hour or day by source, and the callback coverage',
  usage: `Usage: oss-callback stats [--since ${DEFAULT_SINCE}] [--until T] [--bucket B [--prefix P]] [--by hour|day] [--store URI] [--json]

How many uploads were recorded in each hour or day, by where the record came from: the callback
(OSS called the receiver), an OSS event or a reconcile (the callback never arrived, the upload was
recovered). Coverage is the share of uploads whose callback was recorded: below 100% means
callbacks failed. Periods are whole hours or days of this machine's time zone (TZ), the last one
ending now (or at --until). The store counts them itself (an index or an aggregation), reading no
record one by one; README "Stats" says what a call costs on each store.

Options:
  --since T        where the window starts (default ${DEFAULT_SINCE}): a duration back from now (90m, 24h, 7d,
                   1h30m), a date (2026-11-24, local midnight) or a time (2026-11-24T08:00, 2026-11-24T00:00Z)
  --until T        where it ends (default now), in the same forms
  --by hour|day    the period (default: hour for a window of two days or less, else day); at most
                   ${MAX_COUNT_PERIODS} periods
  --bucket B       uploads to this bucket only
  --prefix P       whose object key starts with P (needs --bucket)
${STORE_OPTION_HELP}
  --json           the same numbers as JSON: each period's start, end, callback, event, reconcile,
                   total and coverage (0 to 1, null without uploads), and the same for the window
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      {
        ...storeOption,
        since: { type: 'string' },
        until: { type: 'string' },
        by: { type: 'string' },
        bucket: { type: 'string' },
        prefix: { type: 'string' },
        json: { type: 'boolean' },
      },
      false,
    );
    const now = new Date();
    const since = instant(values.since ?? DEFAULT_SINCE, 'since', now);
    const until = values.until === undefined ? now : instant(values.until, 'until', now);
    if (until <= since) throw new UsageError('--until must come after --since');
    const by = values.by === undefined ? defaultUnit(since, until) : unit(values.by);
    const periods = periodBounds(since, until, by).length - 1;
    if (periods > MAX_COUNT_PERIODS) throw new UsageError(`the window holds ${periods} ${by}s, more than the ${MAX_COUNT_PERIODS} one call counts: shorten it${by === 'hour' ? ' or use --by day' : ''}`);
    if (values.prefix !== undefined && values.bucket === undefined) throw new UsageError('--prefix needs --bucket');
    // Reading never creates a store: only the receiver and `store init` do.
    const store = await openStoreFor(values.store, io.env, { mustExist: true });
    try {
      const stats = await uploadStats(store, { since, until, by, bucket: values.bucket, prefix: values.prefix });
      const report = { store: store.description, bucket: values.bucket ?? null, prefix: values.prefix ?? null, timeZone: timeZone(), ...stats };
      io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : table(report));
    } finally {
      await store.close();
    }
    return EXIT.ok;
  },
};

/** A duration back from `now`, a date (local midnight), or a date and time as JavaScript reads it. */
export function instant(text: string, option: string, now: Date): Date {
  if (/^\d+[smhd]/.test(text)) return new Date(now.getTime() - durationOption(text, option));
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const parsed = date ? new Date(Number(date[1]), Number(date[2]) - 1, Number(date[3])) : /^\d{4}-\d{2}-\d{2}T/.test(text) ? new Date(text) : new Date(NaN);
  if (Number.isNaN(parsed.getTime())) throw new UsageError(`--${option} "${text}" is not a duration (7d), a date (2026-11-24) or a time (2026-11-24T08:00)`);
  return parsed;
}

function unit(text: string): PeriodUnit {
  if (!(PERIOD_UNITS as readonly string[]).includes(text)) throw new UsageError(`--by must be ${PERIOD_UNITS.join(' or ')}`);
  return text as PeriodUnit;
}

function timeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

type Report = UploadStats & { store: string; bucket: string | null; prefix: string | null; timeZone: string };

function table(report: Report): string {
  const label = (iso: string) => localTime(new Date(iso), report.by);
  const busiest = Math.max(0, ...report.periods.map((period) => period.total));
  const rows = [
    ['PERIOD', 'CALLBACK', 'EVENT', 'RECONCILE', 'TOTAL', 'COVERAGE'],
    ...report.periods.map((period) => [label(period.start), ...numbers(period)]),
    ['all', ...numbers(report.overall)],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  const lines = rows.map((row, r) => {
    const cells = row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ');
    const period = report.periods[r - 1];
    return period && period.total > 0 ? `${cells}  ${bar(period, busiest)}` : cells;
  });
  const scope = report.bucket === null ? '' : ` of bucket ${report.bucket}${report.prefix ? `, keys starting with ${JSON.stringify(report.prefix)}` : ''}`;
  return [
    `Uploads recorded${scope} in ${report.store}, by ${report.by}, ${label(report.since)} to ${localTime(new Date(report.until), 'minute')} (${report.timeZone})`,
    '',
    ...lines,
    '',
    `${BAR.callback} callback  ${BAR.event} event  ${BAR.reconcile} reconcile    coverage: the share of uploads whose callback was recorded`,
    '',
  ].join('\n');
}

function numbers(counts: UploadCounts): string[] {
  return [String(counts.callback), String(counts.event), String(counts.reconcile), String(counts.total), coverage(counts.coverage)];
}

function coverage(share: number | null): string {
  return share === null ? '-' : coveragePercent(share);
}

/**
 * A bar as long as the period's total against the busiest one, split by source in proportion; a
 * source with any upload gets at least one character, so a few recoveries among many callbacks show.
 */
export function bar(counts: UploadCounts, busiest: number, width = BAR_WIDTH): string {
  const length = Math.max(1, Math.round((counts.total / busiest) * width));
  const sources = (['callback', 'event', 'reconcile'] as const).filter((source) => counts[source] > 0);
  const cells = sources.map((source) => Math.max(1, Math.round((counts[source] / counts.total) * length)));
  // Rounding may leave the parts a character or two off the length: the largest part absorbs it.
  const largest = cells.indexOf(Math.max(...cells));
  cells[largest] = Math.max(1, (cells[largest] as number) + length - cells.reduce((sum, cell) => sum + cell, 0));
  return sources.map((source, i) => BAR[source].repeat(cells[i] as number)).join('');
}

function localTime(date: Date, precision: PeriodUnit | 'minute'): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
  return precision === 'day' ? day : `${day} ${two(date.getHours())}:${two(date.getMinutes())}`;
}
