import { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { jsonResponse } from '../../../lib/exchange.js';
import { fc2Body, fc2Handler, fc2Request, fc2Result } from '../../../lib/platforms/fc2.js';
import { fc2SampleRequest as baseRequest, type Fc2StreamRequest } from '../../../lib/platforms/fc2.types.js';
import { pinnedKeys } from '../../../lib/protocol/trusted-keys.js';
import { KeyResolver, verifyCallback } from '../../../lib/protocol/verify.js';

const body = Buffer.from('bucket=yonghu-test');

function streamRequest(chunks: (Buffer | string)[]): Fc2StreamRequest {
  const { body: _, ...fields } = baseRequest;
  return Object.assign(Readable.from(chunks), fields);
}

describe('FC 2.0 door: req → CallbackRequest', () => {
  it('takes path and raw query from req.url, and the OSS-signed documentation callback verifies', async () => {
    const request = fc2Request(baseRequest, body);
    expect(request).toMatchObject({ method: 'POST', rawPath: '/index.php', rawQuery: 'id=1&index=2' });
    expect(request.queryReconstructed).toBeUndefined();
    await expect(verifyCallback(request, new KeyResolver(pinnedKeys()))).resolves.toBeDefined();
  });

  it('accepts req.url in absolute form and keeps an encoded path and query as sent', () => {
    const request = fc2Request({ ...baseRequest, url: 'https://1234.cn-hangzhou.fc.aliyuncs.com/cb/%E4%B8%AD+?a=%7e&b' }, body);
    expect(request).toMatchObject({ rawPath: '/cb/%E4%B8%AD+', rawQuery: 'a=%7e&b' });
  });

  it('reads a url without a query as no query', () => {
    expect(fc2Request({ ...baseRequest, url: '/cb' }, body).rawQuery).toBeNull();
  });

  it('falls back to path and queries, rebuilt and flagged, when a runtime leaves url out', () => {
    const request = fc2Request({ ...baseRequest, url: undefined, path: '/cb', queries: { a: ['1', '2'] } }, body);
    expect(request).toMatchObject({ rawPath: '/cb', rawQuery: 'a=1&a=2', queryReconstructed: true });
  });

  it('joins array header values and lower-cases names', () => {
    expect(fc2Request({ ...baseRequest, headers: { 'X-Multi': ['a', 'b'] } }, body).headers).toEqual({ 'x-multi': 'a, b' });
  });
});

describe('FC 2.0 door: body', () => {
  it('uses req.body when the runtime has read it', async () => {
    expect((await fc2Body(baseRequest)).equals(body)).toBe(true);
  });

  it('reads a streamed req to the exact bytes', async () => {
    const bytes = await fc2Body(streamRequest([Buffer.from([0xe4, 0xb8]), Buffer.from([0xad]), 'x']));
    expect(bytes.toString('hex')).toBe('e4b8ad78');
  });

  it('stops reading a stream one byte past the largest body any configuration accepts', async () => {
    const bytes = await fc2Body(streamRequest(Array.from({ length: 40 }, () => Buffer.alloc(64 * 1024))));
    expect(bytes.length).toBe(1_048_577);
  });
});

describe('FC 2.0 door: CallbackResponse → resp', () => {
  it('keeps status, headers and body bytes', () => {
    const response = jsonResponse(503, { code: 'DeadlineExceeded' });
    expect(fc2Result(response)).toEqual({ statusCode: 503, headers: response.headers, body: response.body });
  });

  it('sets status and headers on resp, sends the body, and passes the invocation credentials', async () => {
    const response = jsonResponse(200, { Status: 'OK' });
    const handle = vi.fn(async () => response);
    const source = vi.fn(async () => ({ handle }));
    const resp = { setStatusCode: vi.fn(), setHeader: vi.fn(), send: vi.fn() };
    await fc2Handler(source)(streamRequest([body]), resp, { requestId: 'r1', credentials: { accessKeyId: 'id', accessKeySecret: 's' } });
    expect(source).toHaveBeenCalledWith({ aliyunCredentials: { accessKeyId: 'id', accessKeySecret: 's' } });
    expect(handle).toHaveBeenCalledWith(expect.objectContaining({ body }), { requestId: 'r1' });
    expect(resp.setStatusCode).toHaveBeenCalledWith(200);
    expect(resp.setHeader).toHaveBeenCalledWith('content-type', 'application/json; charset=utf-8');
    expect(resp.send).toHaveBeenCalledWith(response.body);
  });
});
