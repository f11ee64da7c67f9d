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
