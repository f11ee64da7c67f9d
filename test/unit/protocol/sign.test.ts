import { createHash, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeaders, signedCallback, splitCallbackUrl } from '../../../lib/protocol/sign.js';
import { testKey } from '../../support/keys.js';

describe('splitCallbackUrl', () => {
  it.each([
    { url: 'https://example.com/oss/callback?tenant=7', split: { host: 'example.com', rawPath: '/oss/callback', rawQuery: 'tenant=7' } },
    { url: 'example.com:8080/cb', split: { host: 'example.com:8080', rawPath: '/cb', rawQuery: null } },
    { url: 'http://example.com', split: { host: 'example.com', rawPath: '/', rawQuery: null } },
    { url: 'http://example.com/p?', split: { host: 'example.com', rawPath: '/p', rawQuery: '' } },
    { url: 'http://example.com/a%20b/上传?x=%7e&y=a+b#frag', split: { host: 'example.com', rawPath: '/a%20b/上传', rawQuery: 'x=%7e&y=a+b' } },
  ])('splits $url keeping path and query byte for byte', ({ url, split }) => {
    // Act
    const result = splitCallbackUrl(url);

    // Assess
    expect(result).toEqual(split);
  });

  it('refuses a string with no host', () => {
    // Act
    const split = () => splitCallbackUrl('/only/a/path');

    // Assess
    expect(split).toThrow('"/only/a/path" is not a callback URL');
  });
});

describe('signatureHeaders', () => {
  it('signs the string to sign with RSA-MD5 and base64-encodes the key URL', () => {
    // Prepare
    const body = Buffer.from('bucket=b');

    // Act
    const headers = signatureHeaders({ privateKey: testKey.privateKey, keyUrl: testKey.keyUrl, rawPath: '/a%20b', rawQuery: 'q=1', body });

    // Assess
    expect(headers).toEqual({
      authorization: sign('md5', Buffer.from('/a b?q=1\nbucket=b'), testKey.privateKey).toString('base64'),
      'x-oss-pub-key-url': Buffer.from(testKey.keyUrl).toString('base64'),
    });
  });
});

describe('signedCallback', () => {
  it('builds a POST with the headers OSS sends (protocol note §3)', () => {
    // Prepare
    const body = Buffer.from('{"bucket":"b","object":"o"}');

    // Act
    const request = signedCallback({
      privateKey: testKey.privateKey,
      keyUrl: testKey.keyUrl,
      url: 'https://cb.example.com/oss/callback?tenant=7',
      body,
      contentType: 'application/json',
      bucket: 'b',
      requestId: 'REQ1',
      date: new Date('2026-08-01T10:00:00Z'),
    });

    // Assess
    expect(request).toMatchObject({ method: 'POST', rawPath: '/oss/callback', rawQuery: 'tenant=7', body });
    expect(request.headers).toEqual({
      host: 'cb.example.com',
      connection: 'close',
      'content-length': String(body.length),
      authorization: sign('md5', Buffer.concat([Buffer.from('/oss/callback?tenant=7\n'), body]), testKey.privateKey).toString('base64'),
      'content-md5': createHash('md5').update(body).digest('base64'),
      'content-type': 'application/json',
      date: 'Sat, 01 Aug 2026 10:00:00 GMT',
      'user-agent': 'aliyun-oss-callback',
      'x-oss-bucket': 'b',
      'x-oss-pub-key-url': Buffer.from(testKey.keyUrl).toString('base64'),
      'x-oss-request-id': 'REQ1',
      'x-oss-signature-version': '1.0',
      'x-oss-tag': 'CALLBACK',
    });
  });
});
