import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fc2Request } from '../../../lib/platforms/fc2.js';
import { fc3Request } from '../../../lib/platforms/fc3.js';
import { lambdaUrlRequest } from '../../../lib/platforms/lambda-url.js';
import { fc2RequestFileOf, fc2RequestFromFile, fc3EventOf, lambdaUrlEventOf } from '../../../lib/platforms/sample-events.js';
import { signedCallback } from '../../../lib/protocol/sign.js';
import { stringToSign } from '../../../lib/protocol/string-to-sign.js';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });

function signed(url: string, body: Buffer) {
  return signedCallback({ privateKey, keyUrl: 'https://k.example.test/k.pem', url, body, contentType: 'application/json' });
}

const doors = {
  'lambda-url': (request: ReturnType<typeof signed>, base64Body: boolean) => lambdaUrlRequest(lambdaUrlEventOf(request, { base64Body })),
  fc3: (request: ReturnType<typeof signed>, base64Body: boolean) => fc3Request(fc3EventOf(request, { base64Body })),
  fc2: (request: ReturnType<typeof signed>, base64Body: boolean) => {
    const file = JSON.parse(JSON.stringify(fc2RequestFileOf(request, { base64Body })));
    const req = fc2RequestFromFile(file);
    return fc2Request(req, req.body!);
  },
};

describe.each(Object.entries(doors))('sample events for %s', (_, roundTrip) => {
  it.each([false, true])('come back through the door as the signed bytes (base64 body: %s)', (base64Body) => {
    const request = signed('https://cb.example.test/oss/%E5%9B%9E%E8%B0%83?tenant=7&next=%2Fhome', Buffer.from('{"object":"中 文"}'));
    const back = roundTrip(request, base64Body);
    expect(stringToSign(back).equals(stringToSign(request))).toBe(true);
    expect(back.headers.authorization).toBe(request.headers.authorization);
  });

  it('keep a body that is not UTF-8 exact, even when not asked for base64', () => {
    const request = signed('https://cb.example.test/cb', Buffer.from([0x7b, 0xff, 0x7d]));
    expect(roundTrip(request, false).body.equals(request.body)).toBe(true);
  });
});

describe('sample events as each platform documents them', () => {
  const base = signed('https://cb.example.test/cb?x=1', Buffer.from('{"object":"o"}'));
  const request = { ...base, headers: { ...base.headers, connection: 'keep-alive', 'keep-alive': 'timeout=5' } as Record<string, string> };
  const time = new Date(Date.UTC(2020, 2, 12, 19, 3, 58, 123));

  it('FC 3.0: header names canonicalised Go-style, and the door reads them as OSS sent them', () => {
    const event = fc3EventOf(request, { time });
    const names = Object.keys(event.headers ?? {});
    expect(names).toEqual(expect.arrayContaining(['Content-Type', 'Authorization', 'X-Oss-Pub-Key-Url', 'Content-Md5', 'Host']));
    expect(names.filter((name) => name !== name.toLowerCase().replace(/(^|-)([a-z])/g, (_, d: string, l: string) => d + l.toUpperCase()))).toEqual([]);
    const back = fc3Request(event);
    expect(back.headers['x-oss-pub-key-url']).toBe(request.headers['x-oss-pub-key-url']);
    expect(stringToSign(back).equals(stringToSign(request))).toBe(true);
  });

  it('FC 2.0: no connection or keep-alive header', () => {
    const { headers = {} } = fc2RequestFileOf(request);
    expect(headers).not.toHaveProperty('connection');
    expect(headers).not.toHaveProperty('keep-alive');
    expect(headers['x-oss-pub-key-url']).toBe(request.headers['x-oss-pub-key-url']);
  });

  it('Lambda function URL: requestContext.time in the Common Log Format, timeEpoch in ms', () => {
    const event = lambdaUrlEventOf(request, { time });
    expect(event.requestContext.time).toBe('12/Mar/2020:19:03:58 +0000');
    expect(event.requestContext.timeEpoch).toBe(time.getTime());
  });
});

describe.each(Object.entries({ 'lambda-url': lambdaUrlRequest, fc3: fc3Request }))('the %s door reads header names in any case', (_, door) => {
  it.each([
    ['lower-case', (name: string) => name.toLowerCase()],
    ['Go-canonical', (name: string) => name.replace(/(^|-)([a-z])/g, (__, d: string, l: string) => d + l.toUpperCase())],
    ['upper-case', (name: string) => name.toUpperCase()],
  ])('%s', (_, spell) => {
    const request = signed('https://cb.example.test/cb', Buffer.from('{"object":"o"}'));
    const event = (door === fc3Request ? fc3EventOf(request) : lambdaUrlEventOf(request)) as { headers: Record<string, string> };
    event.headers = Object.fromEntries(Object.entries(event.headers).map(([name, value]) => [spell(name), value]));
    const back = door(event as never);
    expect(back.headers.authorization).toBe(request.headers.authorization);
    expect(back.headers['content-type']).toBe('application/json');
    expect(stringToSign(back).equals(stringToSign(request))).toBe(true);
  });
});
