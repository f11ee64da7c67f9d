import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOssClient, type OssClient } from '../../../lib/oss/client.js';
import { ossLocation } from '../../../lib/oss/location.js';
import { parseDuration } from '../../../lib/reconcile/duration.js';
import { factsOfEvent, isOssEventDocument, objectWrite, type OssEventEntry } from '../../../lib/reconcile/oss-event.js';
import { keySpellings, recordOssEvents, uploadsOfEvents } from '../../../lib/reconcile/record-events.js';
import { MemoryStore } from '../../../lib/store/memory.js';
import { uploadId } from '../../../lib/store/upload-id.js';
import { startFakeOss, type FakeOss } from '../../support/fake-oss.js';

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

describe('an event whose key may be URL-encoded', () => {
  const ETAG = 'D8E8FCA2DC0F896FD7CB4CB0031BA249';
  const event = (key: string): OssEventEntry => ({ ...DOCUMENTED, oss: { bucket: { name: 'testbucket' }, object: { key, eTag: ETAG, size: 5 } } });
  let fake: FakeOss;
  let oss: OssClient;
  beforeAll(async () => {
    fake = await startFakeOss([
      { key: 'photos/a b.jpg', etag: ETAG, size: 5, lastModified: 0 },
      { key: 'photos/100%.jpg', etag: ETAG, size: 5, lastModified: 0 },
      { key: 'photos/c+d.jpg', etag: ETAG, size: 5, lastModified: 0 },
      { key: 'photos/both%20ways.jpg', etag: ETAG, size: 5, lastModified: 0 },
      { key: 'photos/both ways.jpg', etag: ETAG, size: 5, lastModified: 0 },
      { key: 'photos/other%20etag.jpg', etag: 'F'.repeat(32), size: 5, lastModified: 0 },
    ]);
    oss = createOssClient({ location: ossLocation({ region: 'cn-hangzhou', endpoint: fake.url }, { region: 'r', endpoint: 'e' }), credentials: () => ({ accessKeyId: 'id', accessKeySecret: 'secret' }) });
  });
  afterAll(async () => {
    oss.close();
    await fake.close();
  });

  it('knows which spellings a key may stand for', () => {
    expect(keySpellings('photos/plain.jpg')).toEqual(['photos/plain.jpg']);
    expect(keySpellings('photos/a%20b+c.jpg')).toEqual(['photos/a%20b+c.jpg', 'photos/a b+c.jpg', 'photos/a b c.jpg']);
    expect(keySpellings('photos/100%.jpg')).toEqual(['photos/100%.jpg']);
    expect(keySpellings('photos/%E2%28.jpg')).toEqual(['photos/%E2%28.jpg']);
  });

  it('records only the spelling OSS holds with the event’s ETag, asking OSS only for keys that may be encoded', async () => {
    const store = new MemoryStore();
    const heads = fake.seen.head;
    const outcomes = await recordOssEvents(store, { events: [event('photos/a%20b.jpg'), event('photos/a+b.jpg'), event('photos/100%.jpg'), event('photos/c+d.jpg'), event('photos/plain.jpg')] }, { oss });
    expect(outcomes.map(({ object, outcome }) => [object, outcome])).toEqual([
      ['photos/a b.jpg', 'recorded'],
      ['photos/a b.jpg', 'already recorded'],
      ['photos/100%.jpg', 'recorded'],
      ['photos/c+d.jpg', 'recorded'],
      ['photos/plain.jpg', 'recorded'],
    ]);
    // Two spellings each for the first, second and fourth; `100%` is no valid encoding and the plain key reads the same either way: no request for them.
    expect(fake.seen.head - heads).toBe(2 + 2 + 0 + 2 + 0);
    expect((await store.list({})).map((record) => record.object).sort()).toEqual(['photos/100%.jpg', 'photos/a b.jpg', 'photos/c+d.jpg', 'photos/plain.jpg']);
  });

  it('records nothing when OSS holds no spelling, or more than one, or when there is no reader to ask', async () => {
    const store = new MemoryStore();
    const outcomes = await recordOssEvents(store, { events: [event('photos/gone%20now.jpg'), event('photos/both%20ways.jpg'), event('photos/other%20etag.jpg')] }, { oss });
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['not found', 'ambiguous', 'not found']);
    expect(await recordOssEvents(store, { events: [event('photos/a%20b.jpg')] })).toEqual([expect.objectContaining({ outcome: 'unverified' })]);
    expect(await store.list({})).toEqual([]);
  });

  it('says what it recorded in the terms stats uses', async () => {
    const store = new MemoryStore();
    const outcomes = await recordOssEvents(store, { events: [event('photos/plain.jpg'), event('photos/plain.jpg'), { eventName: 'ObjectCreated:UploadPart' }] }, { oss });
    expect(uploadsOfEvents(outcomes)).toEqual({ callback: 0, event: 2, reconcile: 0, total: 2, coverage: 0 });
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
