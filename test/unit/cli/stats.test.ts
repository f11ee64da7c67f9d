import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bar, instant } from '../../../cli/commands/stats.js';
import { openSqliteStore } from '../../../lib/store/sqlite.js';
import { uploadCounts } from '../../../lib/stats/upload-stats.js';
import { runCli } from '../../support/cli-io.js';
import { tempDir } from '../../support/temp-dir.js';
import { fingerprintOf, storedUpload, uploadRecord } from '../../support/upload-records.js';

/** Periods are the local calendar's: this file's zone is eight hours ahead of UTC. */
const originalZone = process.env.TZ;
const dir = tempDir('oss-callback-stats-');
const env = { UPLOAD_STORE: `sqlite:${join(dir, 'uploads.db')}` };
const stats = (...argv: string[]) => runCli(['stats', ...argv], { env });

beforeAll(async () => {
  process.env.TZ = 'Asia/Shanghai';
  const store = openSqliteStore(join(dir, 'uploads.db'));
  // Local days: the 24th holds 3 callbacks and an event, the 25th nothing, the 26th 1 callback and 2 reconciled.
  const uploads: [string, 'callback' | 'event' | 'reconcile', string][] = [
    ['a', 'callback', '2026-11-23T16:00:00.000Z'], // local midnight, the 24th
    ['b', 'callback', '2026-11-24T01:00:00.000Z'],
    ['c', 'callback', '2026-11-24T15:59:59.999Z'], // the last moment of the 24th
    ['d', 'event', '2026-11-24T03:00:00.000Z'],
    ['e', 'callback', '2026-11-26T02:00:00.000Z'],
    ['f', 'reconcile', '2026-11-26T03:00:00.000Z'],
    ['g', 'reconcile', '2026-11-26T04:00:00.000Z'],
  ];
  for (const [id, source, receivedAt] of uploads) {
    await store.create(storedUpload(uploadRecord({ id, source, receivedAt, ...(source === 'callback' ? {} : { vars: {}, uploader: null }) }), fingerprintOf(id)));
  }
  await store.close();
});
afterAll(() => {
  process.env.TZ = originalZone;
});

const WINDOW = ['--since', '2026-11-24', '--until', '2026-11-27'];

describe('oss-callback stats', () => {
  it('prints each local day by source with its total and coverage, empty days as zeros, and a bar chart', async () => {
    const { code, stdout, stderr } = await stats(...WINDOW);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`Uploads recorded in ${env.UPLOAD_STORE}, by day, 2026-11-24 to 2026-11-27 00:00 (Asia/Shanghai)`);
    expect(lines.slice(2, 7)).toEqual([
      'PERIOD      CALLBACK  EVENT  RECONCILE  TOTAL  COVERAGE',
      `2026-11-24         3      1          0      4     75.0%  ${'█'.repeat(22)}${'▒'.repeat(8)}`,
      '2026-11-25         0      0          0      0         -',
      `2026-11-26         1      0          2      3     33.3%  ${'█'.repeat(8)}${'░'.repeat(15)}`,
      'all                4      1          2      7     57.1%',
    ]);
    expect(lines[8]).toMatch(/^█ callback {2}▒ event {2}░ reconcile {4}coverage: /);
  });

  it('gives the same numbers as JSON, in the terms reconcile reports in', async () => {
    const { code, stdout } = await stats(...WINDOW, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ store: env.UPLOAD_STORE, bucket: null, prefix: null, timeZone: 'Asia/Shanghai', by: 'day', since: '2026-11-23T16:00:00.000Z', until: '2026-11-26T16:00:00.000Z' });
    expect(report.periods).toEqual([
      { start: '2026-11-23T16:00:00.000Z', end: '2026-11-24T16:00:00.000Z', callback: 3, event: 1, reconcile: 0, total: 4, coverage: 0.75 },
      { start: '2026-11-24T16:00:00.000Z', end: '2026-11-25T16:00:00.000Z', callback: 0, event: 0, reconcile: 0, total: 0, coverage: null },
      { start: '2026-11-25T16:00:00.000Z', end: '2026-11-26T16:00:00.000Z', callback: 1, event: 0, reconcile: 2, total: 3, coverage: 0.3333 },
    ]);
    expect(report.overall).toEqual({ callback: 4, event: 1, reconcile: 2, total: 7, coverage: 0.5714 });
  });

  it('counts by hour for a short window, and a bucket and key prefix', async () => {
    const hours = JSON.parse((await stats('--since', '2026-11-24T08:00', '--until', '2026-11-24T12:00', '--json')).stdout);
    expect(hours.by).toBe('hour');
    // 08:00 to 12:00 in Shanghai: b came at 09:00, d at 11:00.
    expect(hours.periods.map((period: { total: number }) => period.total)).toEqual([0, 1, 0, 1]);
    const none = JSON.parse((await stats(...WINDOW, '--bucket', 'photos', '--prefix', 'users/7/', '--json')).stdout);
    expect(none.overall.total).toBe(0);
    expect(none).toMatchObject({ bucket: 'photos', prefix: 'users/7/' });
    const all = JSON.parse((await stats(...WINDOW, '--bucket', 'photos', '--prefix', 'users/', '--by', 'hour', '--json')).stdout);
    expect(all.periods).toHaveLength(72);
    expect(all.overall.total).toBe(7);
  });

  it('refuses what it cannot count, naming the option, and a store that does not exist', async () => {
    const refused = async (...argv: string[]) => {
      const run = await stats(...argv);
      expect(run.code).toBe(2);
      return run.stderr.split('\n')[0];
    };
    expect(await refused('--by', 'week')).toBe('oss-callback stats: --by must be hour or day');
    expect(await refused('--prefix', 'users/')).toBe('oss-callback stats: --prefix needs --bucket');
    expect(await refused('--since', '2026-11-24', '--until', '2026-11-23')).toBe('oss-callback stats: --until must come after --since');
    expect(await refused('--since', 'yesterday')).toMatch(/^oss-callback stats: --since "yesterday" is not a duration/);
    expect(await refused('--since', '7x')).toMatch(/^oss-callback stats: --since "7x" is not a duration/);
    expect(await refused('--since', '90d', '--by', 'hour')).toBe('oss-callback stats: the window holds 2161 hours, more than the 1000 one call counts: shorten it or use --by day');
    const missing = await runCli(['stats', '--store', `sqlite:${join(dir, 'none.db')}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
  });
});

describe('stats helpers', () => {
  it('reads durations back from now, dates as local midnight, and times', () => {
    const now = new Date('2026-11-24T12:00:00.000Z');
    expect(instant('7d', 'since', now).toISOString()).toBe('2026-11-17T12:00:00.000Z');
    expect(instant('1h30m', 'since', now).toISOString()).toBe('2026-11-24T10:30:00.000Z');
    expect(instant('2026-11-20', 'since', now).toISOString()).toBe('2026-11-19T16:00:00.000Z');
    expect(instant('2026-11-20T00:00Z', 'since', now).toISOString()).toBe('2026-11-20T00:00:00.000Z');
  });

  it('draws a bar as long as the total against the busiest, each source with any upload at least one character', () => {
    expect(bar(uploadCounts({ callback: 10, event: 0, reconcile: 0 }), 10)).toBe('█'.repeat(30));
    expect(bar(uploadCounts({ callback: 5, event: 0, reconcile: 0 }), 10)).toBe('█'.repeat(15));
    expect(bar(uploadCounts({ callback: 998, event: 1, reconcile: 1 }), 1000)).toBe(`${'█'.repeat(28)}▒░`);
    expect(bar(uploadCounts({ callback: 0, event: 1, reconcile: 0 }), 1000)).toBe('▒');
  });
});
