import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../lib/reconcile/duration.js';
import { factsOfEvent, isOssEventDocument, objectWrite, type OssEventEntry } from '../../../lib/reconcile/oss-event.js';
import { recordOssEvents } from '../../../lib/reconcile/record-events.js';
import { MemoryStore } from '../../../lib/store/memory.js';
import { uploadId } from '../../../lib/store/upload-id.js';

/** The documented sample (Function Compute, "Trigger event format"), with the newer objectMeta. */
const DOCUMENTED: OssEventEntry = {
  eventName: 'ObjectCreated:PutObject',
  eventSource: 'acs:oss',
  eventTime: '2022-08-13T06:45:43.000Z',
  region: 'cn-hangzhou',
  oss: {
    bucket: { arn: 'acs:oss:cn-hangzhou:123456789:testbucket', name: 'testbucket' },
    object: { key: 'source/a.png', eTag: '688A7BF4F233DC9C88A80BF985AB1234', size: 122539, objectMeta: { mimeType: 'image/png', userMeta: { 'x-oss-meta-last-modified': '20250213' } } },
  },
  requestParameters: { sourceIPAddress: '140.205.1.2' },
  responseElements: { requestId: '58F9FF2D3DF792092E12044C' },
};

describe('an OSS trigger event', () => {
  it('tells object writes from the other ObjectCreated events, with or without the oss: prefix', () => {
    expect(objectWrite(DOCUMENTED)).toBe('PutObject');
    expect(objectWrite({ eventName: 'oss:ObjectCreated:CompleteMultipartUpload' })).toBe('CompleteMultipartUpload');
    for (const eventName of ['ObjectCreated:UploadPart', 'ObjectCreated:InitiateMultipartUpload', 'ObjectCreated:PutSymlink', 'ObjectRemoved:DeleteObject', undefined]) {
      expect(objectWrite({ eventName }), String(eventName)).toBeUndefined();
    }
    expect(isOssEventDocument({ events: [DOCUMENTED] })).toBe(true);
    expect(isOssEventDocument({ triggerTime: '2023-12-26T07:49:00Z' })).toBe(false);
  });

  it('gives the facts of the upload: the request id is the callback’s ${reqId}', () => {
    expect(factsOfEvent(DOCUMENTED, 'PutObject')).toEqual({
      bucket: 'testbucket',
      key: 'source/a.png',
      etag: '688A7BF4F233DC9C88A80BF985AB1234',
      size: 122539,
      contentType: 'image/png',
      contentMd5: null,
      crc64: null,
      lastModified: '2022-08-13T06:45:43.000Z',
      metadata: { 'last-modified': '20250213' },
      operation: 'PutObject',
      reqId: '58F9FF2D3DF792092E12044C',
      clientIp: '140.205.1.2',
    });
    expect(() => factsOfEvent({ ...DOCUMENTED, oss: { bucket: { name: 'b' }, object: { key: 'k', size: 1 } } }, 'PutObject')).toThrow(/no bucket name, object key, eTag or size/);
  });

  it('is recorded under the upload’s id, once; what is not an object write is ignored, a broken one reported', async () => {
    const store = new MemoryStore();
    const outcomes = await recordOssEvents(store, {
      events: [DOCUMENTED, { eventName: 'ObjectCreated:UploadPart' }, { eventName: 'ObjectCreated:PostObject', oss: { bucket: { name: 'b' } } }, DOCUMENTED],
    });
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['recorded', 'ignored', 'malformed', 'already recorded']);
    const id = uploadId({ bucket: 'testbucket', object: 'source/a.png', etag: '688A7BF4F233DC9C88A80BF985AB1234' }, { facts: 'unused' });
    expect((await store.get(id))?.record).toMatchObject({ source: 'event', reqId: '58F9FF2D3DF792092E12044C', vars: {}, uploader: null });
  });
});

describe('durations', () => {
  it.each([
    ['24h', 86_400_000],
    ['2m', 120_000],
    ['90s', 90_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '24', 'h', '1.5h', '-2m', '2 m', '1w'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/is not a duration such as 24h/);
  });
});
