import { createHash } from 'node:crypto';
import { createBudget } from '../../lib/deadline.js';
import type { StoredUpload, UploadStore } from '../../lib/store/port.js';
import type { UploadRecord } from '../../lib/store/record.js';
import { recordUpload } from '../../lib/store/record-upload.js';

/** A complete upload record with every field set; tests override what they examine. */
export function uploadRecord(overrides: Partial<UploadRecord> = {}): UploadRecord {
  const id = overrides.id ?? 'req-0001';
  return {
    id,
    source: 'callback',
    bucket: 'photos',
    object: 'users/42/cat.jpg',
    etag: 'D41D8CD98F00B204E9800998ECF8427E',
    size: 1024,
    mimeType: 'image/jpeg',
    crc64: '18446744073709551615',
    contentMd5: '1B2M2Y8AsgTpgAmY7PhCfg==',
    operation: 'PutObject',
    reqId: id,
    clientIp: '203.0.113.7',
    vpcId: null,
    image: { width: 640, height: 480, format: 'jpg' },
    vars: { 'x:uid': '42', 'x:album': 'holiday' },
    uploader: 'alice',
    lastModified: null,
    metadata: {},
    receivedAt: '2026-08-01T10:00:00.000Z',
    ...overrides,
  };
}

/** What the receiver uses as a fingerprint: SHA-256 hex of the signed bytes. */
export function fingerprintOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What the port stores for `record`: the record and the fingerprint of its signed bytes. */
export function storedUpload(record: UploadRecord, fingerprint = fingerprintOf('signed bytes')): StoredUpload {
  return { record, fingerprint };
}

/** `recordUpload` under a fresh budget of `ms`, disposed after: what one callback does. */
export async function recordWithin(store: UploadStore, upload: StoredUpload, ms = 3_000, now: () => number = Date.now, signal?: AbortSignal) {
  const budget = createBudget(now() + ms, now, signal);
  try {
    return await recordUpload(store, upload, budget);
  } finally {
    budget.dispose();
  }
}
