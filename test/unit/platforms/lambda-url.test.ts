import { describe, expect, it, vi } from 'vitest';
import { jsonResponse } from '../../../lib/exchange.js';
import { lambdaUrlHandler, lambdaUrlRequest, lambdaUrlResult } from '../../../lib/platforms/lambda-url.js';
import { lambdaUrlSampleEvent as baseEvent } from '../../../lib/platforms/lambda-url.types.js';
import { stringToSign } from '../../../lib/protocol/string-to-sign.js';
import { pinnedKeys } from '../../../lib/protocol/trusted-keys.js';
import { KeyResolver, verifyCallback } from '../../../lib/protocol/verify.js';

describe('Lambda function URL door: event → CallbackRequest', () => {
  it('turns the OSS-signed documentation callback into bytes that verify under the official key', async () => {
    const request = lambdaUrlRequest(baseEvent);
    expect(request).toMatchObject({ method: 'POST', rawPath: '/index.php', rawQuery: 'id=1&index=2' });
    expect(request.body.toString()).toBe('bucket=yonghu-test');
    await expect(verifyCallback(request, new KeyResolver(pinnedKeys()))).resolves.toMatchObject({
      keyUrl: 'http://gosspublic.alicdn.com/callback_pub_key_v1.pem',
    });
  });

  it('keeps a percent-encoded path and raw query exactly as sent (no decode, no re-encode)', () => {
    const request = lambdaUrlRequest({ ...baseEvent, rawPath: '/cb/%E4%B8%AD+%2b', rawQueryString: 'a=%7e&b=x+y&c' });
    expect(request.rawPath).toBe('/cb/%E4%B8%AD+%2b');
    expect(request.rawQuery).toBe('a=%7e&b=x+y&c');
    expect(stringToSign(request).toString('utf8')).toBe('/cb/中++?a=%7e&b=x+y&c\nbucket=yonghu-test');
  });

  it('reads an empty rawQueryString as no query, so nothing adds a `?` to what is verified', () => {
    expect(lambdaUrlRequest({ ...baseEvent, rawQueryString: '' }).rawQuery).toBeNull();
  });

  it('decodes a base64 body to the exact bytes, including bytes that are not UTF-8', () => {
    const bytes = Buffer.from([0x62, 0x3d, 0xff, 0xfe, 0x00, 0x0a]);
    expect(lambdaUrlRequest({ ...baseEvent, body: bytes.toString('base64'), isBase64Encoded: true }).body.equals(bytes)).toBe(true);
  });

  it('takes a plain body as UTF-8 text and a missing body as empty', () => {
    expect(lambdaUrlRequest({ ...baseEvent, body: '{"object":"中"}', isBase64Encoded: false }).body.toString('hex')).toBe(
      Buffer.from('{"object":"中"}').toString('hex'),
    );
    expect(lambdaUrlRequest({ ...baseEvent, body: undefined, isBase64Encoded: false }).body.length).toBe(0);
  });

  it('lower-cases header names and puts the cookies payload 2.0 moved out back into a cookie header', () => {
    const request = lambdaUrlRequest({ ...baseEvent, headers: { 'X-OSS-Pub-Key-Url': 'abc' }, cookies: ['a=1', 'b=2'] });
    expect(request.headers).toEqual({ 'x-oss-pub-key-url': 'abc', cookie: 'a=1; b=2' });
  });
});

describe('Lambda function URL door: CallbackResponse → result', () => {
  it('answers JSON as text with its status and headers', () => {
    const response = jsonResponse(200, { Status: 'OK', object: '中' });
    expect(lambdaUrlResult(response)).toEqual({
      statusCode: 200,
      headers: response.headers,
      body: '{"Status":"OK","object":"中"}',
      isBase64Encoded: false,
    });
  });

  it('base64-encodes a body that would not survive as text', () => {
    const result = lambdaUrlResult({ status: 200, headers: {}, body: Buffer.from([0xff, 0x00]) });
    expect(result).toMatchObject({ body: '/wA=', isBase64Encoded: true });
  });
});

describe('Lambda function URL door: handler', () => {
  it('hands the receiver the request, the time Lambda has left and its request id', async () => {
    const handle = vi.fn(async () => jsonResponse(401, { code: 'SignatureMismatch' }));
    const source = vi.fn(async () => ({ handle }));
    const handler = lambdaUrlHandler(source);
    const result = await handler(baseEvent, { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 2900 });
    expect(result).toMatchObject({ statusCode: 401, body: '{"code":"SignatureMismatch"}' });
    expect(handle).toHaveBeenCalledWith(expect.objectContaining({ rawPath: '/index.php' }), { remainingMs: 2900, requestId: 'req-1' });
  });
});

describe('Lambda function URL door: event shapes', () => {
  it('refuses a REST API (payload 1.0) event by name, since it carries no raw query to verify', () => {
    const restEvent = { httpMethod: 'POST', path: '/index.php', queryStringParameters: { id: '1' }, body: '', requestContext: {} };
    expect(() => lambdaUrlRequest(restEvent as never)).toThrow(/payload format 2\.0/);
  });
});
