import { createHash, generateKeyPairSync } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallbackRequest, CallbackResponse, Receiver } from '../../lib/exchange.js';
import type { Logger } from '../../lib/logger.js';
import { KeyCache } from '../../lib/protocol/key-cache.js';
import { signedCallback } from '../../lib/protocol/sign.js';
import { stringToSign } from '../../lib/protocol/string-to-sign.js';
import { pinnedKeys } from '../../lib/protocol/trusted-keys.js';
import { KeyResolver } from '../../lib/protocol/verify.js';
import { createPipeline } from '../../lib/receiver.js';
import { uploadId } from '../../lib/store/upload-id.js';
import { MemoryStore } from '../../lib/store/memory.js';
import type { UploadStore } from '../../lib/store/port.js';
import { withFaults } from '../support/faulty-store.js';

const KEY_URL = 'https://keys.test.invalid/receiver.pem';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const FORM = 'application/x-www-form-urlencoded';

function callback(body: string, url = 'https://cb.example.com/oss/callback?tenant=7', contentType = FORM): CallbackRequest {
  return signedCallback({ privateKey, keyUrl: KEY_URL, url, body: Buffer.from(body), contentType });
}

const json = (response: CallbackResponse) => JSON.parse(response.body.toString('utf8'));

describe('receiver', () => {
  let store: MemoryStore;
  let lines: { level: string; message: string; fields: Record<string, unknown> }[];
  let receiver: Receiver;
  const build = (overrides: { store?: UploadStore; deadlineMs?: number; maxBodyBytes?: number } = {}) =>
    createPipeline({
      limits: { deadlineMs: overrides.deadlineMs ?? 4000, maxBodyBytes: overrides.maxBodyBytes ?? 65_536 },
      store: overrides.store ?? store,
      keys: new KeyResolver(pinnedKeys(new Map([[KEY_URL, publicKey]])), new KeyCache({ fetch: () => Promise.reject(new Error('no network in tests')) })),
      logger: { log: (level, message, fields = {}) => lines.push({ level, message, fields }) } satisfies Logger,
    });

  beforeEach(() => {
    store = new MemoryStore();
    lines = [];
    receiver = build();
  });

  it('answers 200 with the stored record, as JSON with a Content-Length', async () => {
    const response = await receiver.handle(
      callback('bucket=photos&object=users%2F42%2Fcat.jpg&etag=D8E8FCA2DC0F896FD7CB4CB0031BA249&size=5&mimeType=image%2Fjpeg&imageInfo.height=480&imageInfo.width=640&imageInfo.format=jpg&crc64=18446744073709551615&reqId=674EB5AA2&operation=PutObject&x:uid=42'),
    );

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(Number(response.headers['content-length'])).toBe(response.body.length);
    const answer = json(response);
    expect(answer.Status).toBe('OK');
    expect(answer.record).toMatchObject({
      id: uploadId({ bucket: 'photos', object: 'users/42/cat.jpg', etag: 'D8E8FCA2DC0F896FD7CB4CB0031BA249' }, { facts: '' }),
      source: 'callback',
      reqId: '674EB5AA2',
      bucket: 'photos',
      object: 'users/42/cat.jpg',
      size: 5,
      crc64: '18446744073709551615',
      image: { width: 640, height: 480, format: 'jpg' },
      vars: { 'x:uid': '42' },
      uploader: null,
    });
    expect(new Date(answer.record.receivedAt).toISOString()).toBe(answer.record.receivedAt);
    expect(await store.list({})).toEqual([answer.record]);
  });

  it('keys an upload by bucket, object and ETag, else by reqId, else by SHA-256 of the signed bytes', async () => {
    const byEtag = json(await receiver.handle(callback('bucket=b&object=o&etag=%22d41d8cd98f00b204e9800998ecf8427e%22&reqId=R9'))).record;
    expect(byEtag.id).toBe(uploadId({ bucket: 'b', object: 'o', etag: 'D41D8CD98F00B204E9800998ECF8427E' }, { facts: '' }));
    expect(json(await receiver.handle(callback('bucket=b&object=o&reqId=R10'))).record.id).toBe('req:R10');
    const bare = callback('bucket=b&object=o');
    expect(json(await receiver.handle(bare)).record.id).toBe(`sig:${createHash('sha256').update(stringToSign(bare)).digest('hex')}`);
  });

  describe('an id the uploader chose never names another upload', () => {
    // An upload its callback never told us of, recorded from a listing under its (bucket, key, ETag) id.
    const OWNER = 'bucket=photos&object=users%2Falice%2Fcat.jpg&etag=D8E8FCA2DC0F896FD7CB4CB0031BA249&size=5&reqId=OWNER1&x:uid=alice';
    const ownerId = uploadId({ bucket: 'photos', object: 'users/alice/cat.jpg', etag: 'D8E8FCA2DC0F896FD7CB4CB0031BA249' }, { facts: '' });
    const recordFromListing = async () => {
      const record = json(await build({ store: new MemoryStore() }).handle(callback(OWNER))).record;
      await store.create({ record: { ...record, source: 'reconcile', reqId: null, vars: {} }, fingerprint: 'listing' });
    };

    it('a callback without ETag whose reqId is that id makes a record of its own, and the owner still gets theirs', async () => {
      await recordFromListing();
      // Another uploader's signed callback: its own object, no ETag, and the listed upload's id as reqId.
      const attack = await receiver.handle(callback(`bucket=photos&object=users%2Fmallory%2Fx.jpg&size=1&reqId=${ownerId}&x:uid=mallory`));
      expect(attack.status).toBe(200);
      expect(json(attack).record).toMatchObject({ id: `req:${ownerId}`, object: 'users/mallory/x.jpg' });
      expect((await store.get(ownerId))?.record).toMatchObject({ source: 'reconcile', object: 'users/alice/cat.jpg' });

      const owner = await receiver.handle(callback(OWNER));
      expect(owner.status).toBe(200);
      expect(json(owner).record).toMatchObject({ id: ownerId, source: 'callback', object: 'users/alice/cat.jpg', vars: { 'x:uid': 'alice' } });
      expect(lines.at(-1)?.fields.replayed).toBe(false);
    });

    it('a reqId shaped like another kind of id stays in the req: namespace', async () => {
      const bare = callback('bucket=b&object=o');
      const signedId = json(await receiver.handle(bare)).record.id as string;
      for (const reqId of [signedId.slice('sig:'.length), 'sig', 'facts']) {
        const response = await receiver.handle(callback(`bucket=b&object=other&reqId=${reqId}`));
        expect(json(response).record).toMatchObject({ id: `req:${reqId}`, object: 'other' });
      }
      expect((await store.get(signedId))?.record.object).toBe('o');
    });
  });

  it('answers a second upload of the same bytes to the same key with the first record', async () => {
    const first = await receiver.handle(callback('bucket=b&object=o&etag=ABC&reqId=UP1&x:uid=1'));
    const second = await receiver.handle(callback('bucket=b&object=o&etag=ABC&reqId=UP2&x:uid=2'));

    expect(second.status).toBe(200);
    expect(json(second).record).toEqual(json(first).record);
    expect(await store.list({})).toHaveLength(1);
  });

  it('replaces a record made from a listing with the callback for the same upload', async () => {
    const id = uploadId({ bucket: 'b', object: 'o', etag: 'ABC' }, { facts: '' });
    await store.create({ record: { ...json(await build({ store: new MemoryStore() }).handle(callback('bucket=b&object=o&etag=ABC'))).record, source: 'reconcile', vars: {} }, fingerprint: 'listing' });
    const response = await receiver.handle(callback('bucket=b&object=o&etag=ABC&reqId=LATE&x:uid=7'));

    expect(json(response).record).toMatchObject({ id, source: 'callback', reqId: 'LATE', vars: { 'x:uid': '7' } });
    expect(lines.at(-1)?.fields.replayed).toBe(false);
    expect((await store.get(id))?.record.source).toBe('callback');
  });

  it('answers a repeated delivery with the stored answer and writes nothing', async () => {
    const request = callback('bucket=b&object=o&reqId=R1');
    const first = await receiver.handle(request);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await receiver.handle(request);

    expect(second.status).toBe(200);
    expect(second.body.equals(first.body)).toBe(true);
    expect(await store.list({})).toHaveLength(1);
    expect(lines.map((line) => line.fields.replayed)).toEqual([false, true]);
  });

  it('records one upload when twenty duplicates race, and answers each the same', async () => {
    const request = callback('bucket=b&object=o&reqId=RACE');
    const answers = await Promise.all(Array.from({ length: 20 }, () => receiver.handle(request)));

    expect(new Set(answers.map((answer: CallbackResponse) => answer.status))).toEqual(new Set([200]));
    expect(new Set(answers.map((answer: CallbackResponse) => answer.body.toString()))).toHaveProperty('size', 1);
    expect(await store.list({})).toHaveLength(1);
  });

  it('refuses the same reqId with other signed content with 409', async () => {
    await receiver.handle(callback('bucket=b&object=first&reqId=SAME'));
    const response = await receiver.handle(callback('bucket=b&object=second&reqId=SAME'));

    expect(response.status).toBe(409);
    expect(json(response)).toMatchObject({ Status: 'Error', code: 'IdempotencyConflict' });
    expect((await store.list({})).map((record) => record.object)).toEqual(['first']);
  });

  it.each([
    ['a tampered body', (r: CallbackRequest) => ({ ...r, body: Buffer.from('bucket=b&object=evil') }), 401, 'SignatureMismatch'],
    ['no authorization', (r: CallbackRequest) => ({ ...r, headers: { ...r.headers, authorization: '' } }), 401, 'MissingSignature'],
    ['signature version 2.0', (r: CallbackRequest) => ({ ...r, headers: { ...r.headers, 'x-oss-signature-version': '2.0' } }), 401, 'UnsupportedSignatureVersion'],
    [
      'a key URL off the OSS host',
      (r: CallbackRequest) => ({ ...r, headers: { ...r.headers, 'x-oss-pub-key-url': Buffer.from('https://evil.example/key.pem').toString('base64') } }),
      403,
      'UntrustedKeyUrl',
    ],
    ['a GET', (r: CallbackRequest) => ({ ...r, method: 'GET' }), 405, 'MethodNotAllowed'],
  ])('refuses %s and stores nothing', async (_, alter, status, code) => {
    const response = await receiver.handle(alter(callback('bucket=b&object=good')));

    expect(response.status).toBe(status);
    expect(json(response)).toMatchObject({ Status: 'Error', code });
    expect(json(response).message).toEqual(expect.any(String));
    expect(await store.list({})).toEqual([]);
  });

  it('refuses a body without bucket (400 MissingField) only after the signature holds', async () => {
    const response = await receiver.handle(callback('object=o&size=1'));
    expect(response.status).toBe(400);
    expect(json(response).code).toBe('MissingField');
  });

  it('refuses an unsupported content type with 400', async () => {
    const response = await receiver.handle(callback('bucket=b&object=o', undefined, 'text/plain'));
    expect(json(response)).toMatchObject({ code: 'UnsupportedContentType' });
  });

  it('refuses a body over the limit with 413 before verifying it', async () => {
    receiver = build({ maxBodyBytes: 16 });
    const response = await receiver.handle(callback('bucket=b&object=a-long-object-name'));
    expect(response.status).toBe(413);
    expect(json(response).code).toBe('BodyTooLarge');
  });

  it('answers GET /healthz with 200 and a 405 with an Allow header for other methods', async () => {
    const health = await receiver.handle({ method: 'GET', rawPath: '/healthz', rawQuery: null, headers: {}, body: Buffer.alloc(0) });
    const put = await receiver.handle({ method: 'PUT', rawPath: '/x', rawQuery: null, headers: {}, body: Buffer.alloc(0) });

    expect(health.status).toBe(200);
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST');
  });

  it('answers 503 DeadlineExceeded before the deadline when the store does not answer, leaving no record', async () => {
    receiver = build({ store: withFaults(store, [{ verb: 'create', times: 1, hang: true }]), deadlineMs: 150 });
    const response = await receiver.handle(callback('bucket=b&object=o&reqId=SLOW'));

    expect(response.status).toBe(503);
    expect(json(response).code).toBe('DeadlineExceeded');
    expect(await store.list({})).toEqual([]);
  });

  it('keeps to the platform time left when it is shorter than the configured deadline', async () => {
    receiver = build({ store: withFaults(store, [{ verb: 'create', times: 1, hang: true }]) });
    const started = Date.now();
    const response = await receiver.handle(callback('bucket=b&object=o&reqId=LAMBDA'), { remainingMs: 400 });

    expect(json(response).code).toBe('DeadlineExceeded');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('answers 503 StoreUnavailable when the store fails, leaving no record', async () => {
    const failing = withFaults(store, [{ verb: 'create', times: 99, fail: () => { throw new Error('disk I/O error'); } }]);
    receiver = build({ store: failing });
    const response = await receiver.handle(callback('bucket=b&object=o&reqId=DOWN'));

    expect(response.status).toBe(503);
    expect(json(response).code).toBe('StoreUnavailable');
    expect(json(response).message).not.toContain('disk I/O error');
    expect(await store.list({})).toEqual([]);
  });

  it('logs a warning for a callback whose query the door rebuilt, even when it verifies', async () => {
    const response = await receiver.handle({ ...callback('bucket=b&object=o&reqId=FC3'), queryReconstructed: true });

    expect(response.status).toBe(200);
    expect(lines[0]).toMatchObject({ level: 'warn', fields: { status: 200, queryReconstructed: true } });
  });

  it('logs one line per callback without the signature, the key header or custom variables', async () => {
    const request = callback('bucket=b&object=o&reqId=LOG&x:ticket=secret-ticket-value');
    await receiver.handle(request);
    await receiver.handle({ ...request, body: Buffer.from('tampered') });

    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'info', message: 'callback', fields: { status: 200, id: 'req:LOG', bucket: 'b', object: 'o', keyUrl: KEY_URL } });
    expect(lines[1]).toMatchObject({ level: 'warn', fields: { status: 401, code: 'SignatureMismatch' } });
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain(request.headers.authorization);
    expect(logged).not.toContain(request.headers['x-oss-pub-key-url']);
    expect(logged).not.toContain('secret-ticket-value');
  });
});
