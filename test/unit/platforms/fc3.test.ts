import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { jsonResponse } from '../../../lib/exchange.js';
import { fc3Handler, fc3Request, fc3Result, parseFc3Event } from '../../../lib/platforms/fc3.js';
import { fc3SampleEvent as baseEvent } from '../../../lib/platforms/fc3.types.js';
import { signatureHeaders } from '../../../lib/protocol/sign.js';
import { pinnedKeys } from '../../../lib/protocol/trusted-keys.js';
import { KeyResolver, verifyCallback } from '../../../lib/protocol/verify.js';

const officialKeys = new KeyResolver(pinnedKeys());

describe('FC 3.0 door: event → CallbackRequest', () => {
  it('parses the event from the Buffer of JSON FC 3.0 hands the handler', () => {
    expect(parseFc3Event(Buffer.from(JSON.stringify(baseEvent)))).toEqual(baseEvent);
    expect(parseFc3Event(JSON.stringify(baseEvent))).toEqual(baseEvent);
  });

  it('refuses, with a reason, an event that did not come through the HTTP trigger', () => {
    expect(() => parseFc3Event(Buffer.from('{"key":"value"}'))).toThrow(/no rawPath/);
  });

  it('with a query: rebuilds it, flags it, and the OSS-signed documentation callback still verifies', async () => {
    const request = fc3Request(baseEvent);
    expect(request).toMatchObject({ method: 'POST', rawPath: '/index.php', rawQuery: 'id=1&index=2', queryReconstructed: true });
    await expect(verifyCallback(request, officialKeys)).resolves.toBeDefined();
  });

  it('with a query OSS signed in another spelling: the rebuilt query differs and the refusal names the rebuild', async () => {
    // OSS signed `v=%7e`; FC 3.0 hands over `{ v: "~" }`, which encodeURIComponent writes as `~`.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const keyUrl = 'https://keys.example.test/dev.pem';
    const body = Buffer.from('bucket=b&object=o');
    const headers = signatureHeaders({ privateKey, keyUrl, rawPath: '/cb', rawQuery: 'v=%7e', body });
    const request = fc3Request({ ...baseEvent, rawPath: '/cb', queryParameters: { v: '~' }, headers, body: body.toString() });
    expect(request.rawQuery).toBe('v=~');
    await expect(verifyCallback(request, new KeyResolver(pinnedKeys(new Map([[keyUrl, publicKey]]))))).rejects.toMatchObject({
      code: 'SignatureMismatch',
      message: expect.stringMatching(/rebuilt from parsed parameters/),
    });
  });

  it('without a query: no query, no flag, nothing rebuilt', () => {
    const request = fc3Request({ ...baseEvent, queryParameters: {} });
    expect(request.rawQuery).toBeNull();
    expect(request.queryReconstructed).toBeUndefined();
    expect(fc3Request({ ...baseEvent, queryParameters: undefined }).rawQuery).toBeNull();
  });

  it('keeps the still-encoded rawPath, not the decoded requestContext.http.path', () => {
    const request = fc3Request({ ...baseEvent, rawPath: '/cb/%E4%B8%AD%2B', requestContext: { http: { method: 'POST', path: '/cb/中+' } } });
    expect(request.rawPath).toBe('/cb/%E4%B8%AD%2B');
  });

  it('decodes a base64 body to the exact bytes', () => {
    const bytes = Buffer.from([0x7b, 0xff, 0x00, 0x7d]);
    expect(fc3Request({ ...baseEvent, body: bytes.toString('base64'), isBase64Encoded: true }).body.equals(bytes)).toBe(true);
  });

  it('lower-cases header names', () => {
    expect(fc3Request(baseEvent).headers).toMatchObject({ authorization: expect.any(String), 'x-oss-pub-key-url': expect.any(String) });
  });
});

describe('FC 3.0 door: CallbackResponse → result', () => {
  it('answers {statusCode, headers, body, isBase64Encoded} with the JSON as text', () => {
    const response = jsonResponse(409, { code: 'IdempotencyConflict' });
    expect(fc3Result(response)).toEqual({ statusCode: 409, headers: response.headers, body: '{"code":"IdempotencyConflict"}', isBase64Encoded: false });
  });
});

describe('FC 3.0 door: handler', () => {
  it('passes the invocation STS credentials to the receiver source and the time left to the receiver', async () => {
    const handle = vi.fn(async () => jsonResponse(200, { Status: 'OK' }));
    const source = vi.fn(async () => ({ handle }));
    const credentials = { accessKeyId: 'STS.id', accessKeySecret: 'secret', securityToken: 'token' };
    const result = await fc3Handler(source)(Buffer.from(JSON.stringify(baseEvent)), {
      requestId: 'fc-req',
      credentials,
      function: { timeout: 5 },
    });
    expect(result.statusCode).toBe(200);
    expect(source).toHaveBeenCalledWith({ aliyunCredentials: credentials });
    const [, options] = handle.mock.calls[0] as unknown as [unknown, { remainingMs: number; requestId: string }];
    expect(options.requestId).toBe('fc-req');
    expect(options.remainingMs).toBeGreaterThan(4500);
    expect(options.remainingMs).toBeLessThanOrEqual(5000);
  });

  it('passes no credentials when the context has none (local invoke)', async () => {
    const source = vi.fn(async () => ({ handle: async () => jsonResponse(200, {}) }));
    await fc3Handler(source)(baseEvent);
    expect(source).toHaveBeenCalledWith({});
  });
});
