import { describe, expect, it } from 'vitest';
import { summaryFields } from '../../../lib/reconcile/function.js';
import type { ReconcileSummary } from '../../../lib/reconcile/reconcile.js';

describe('the scheduled run’s log line', () => {
  it('is flat: the counts, the uploads in the terms stats uses, the requests, and where an unfinished run left off', () => {
    const summary: ReconcileSummary = {
      bucket: 'photos',
      prefix: 'uploads/{yyyy}/{mm}/{dd}/',
      from: '2026-05-07T10:00:00.000Z',
      to: '2026-05-07T11:58:00.000Z',
      dryRun: false,
      folders: 2,
      resumed: true,
      complete: false,
      listed: 250,
      alreadyRecorded: 240,
      recorded: 9,
      gone: 0,
      failed: 1,
      unsettled: 0,
      failures: [{ object: 'uploads/2026/05/07/a.jpg', error: 'OSS answered 500 InternalError: try again' }],
      uploads: { callback: 236, event: 4, reconcile: 9, total: 249, coverage: 0.9478 },
      requests: { list: 2, head: 10, storeReads: 4, storeWrites: 10 },
      left: { folder: 'uploads/2026/05/07/', after: 'uploads/2026/05/07/Z.jpg', foldersAfter: 0 },
    };
    const fields = summaryFields(summary);
    expect(fields).toEqual({
      bucket: 'photos',
      prefix: 'uploads/{yyyy}/{mm}/{dd}/',
      from: summary.from,
      to: summary.to,
      dryRun: false,
      folders: 2,
      resumed: true,
      complete: false,
      listed: 250,
      alreadyRecorded: 240,
      recorded: 9,
      gone: 0,
      failed: 1,
      unsettled: 0,
      callback: 236,
      event: 4,
      reconcile: 9,
      total: 249,
      coverage: 0.9478,
      listRequests: 2,
      headRequests: 10,
      storeReads: 4,
      storeWrites: 10,
      leftFolder: 'uploads/2026/05/07/',
      leftAfter: 'uploads/2026/05/07/Z.jpg',
      leftFolders: 0,
      firstFailure: 'uploads/2026/05/07/a.jpg: OSS answered 500 InternalError: try again',
    });
    for (const value of Object.values(fields)) expect(['string', 'number', 'boolean', 'undefined']).toContain(typeof value);
  });
});
