import { createHash, createPublicKey, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CallbackRequest } from '../../../lib/exchange.js';
import type { BodyType } from '../../../lib/protocol/templates.js';
import { CONTENT_TYPES } from '../../../lib/protocol/templates.js';
import { readSignatureHeaders, verifyCallback } from '../../../lib/protocol/verify.js';
import { countingFetch, signRequest, testKey, testResolver, vectorRequest } from '../../support/keys.js';
import { OSS_DOC_NEGATIVE_VECTORS, OSS_DOC_VECTOR, SYNTHETIC_VECTOR } from '../../vectors/signature-vectors.js';

const MISMATCH = { code: 'SignatureMismatch', status: 401, message: 'the signature does not match the path, query and body received' };
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('verifyCallback: the real OSS-signed vector (protocol note §7.2)', () => {
  it('verifies under the pinned official key without any fetch', async () => {
    // Prepare
    const fetch = countingFetch();

    // Act
    const verified = await verifyCallback(vectorRequest(OSS_DOC_VECTOR), testResolver(fetch));

    // Assess
    expect(verified.keyUrl).toBe(OSS_DOC_VECTOR.keyUrl);
    expect(verified.signed.toString('hex')).toBe(OSS_DOC_VECTOR.stringToSignHex);
    expect(createHash('md5').update(verified.signed).digest('hex')).toBe(OSS_DOC_VECTOR.md5);
    expect(fetch.urls).toEqual([]);
  });

  it('verifies when the header names the https spelling of the official key URL', async () => {
    // Prepare: the key URL is not part of what OSS signs, and both spellings are pinned.
    const request = vectorRequest({ ...OSS_DOC_VECTOR, keyUrl: 'https://gosspublic.alicdn.com/callback_pub_key_v1.pem' });
    const fetch = countingFetch();

    // Act
    const verified = await verifyCallback(request, testResolver(fetch));

    // Assess
    expect(verified.keyUrl).toBe('https://gosspublic.alicdn.com/callback_pub_key_v1.pem');
    expect(fetch.urls).toEqual([]);
  });

  it.each(OSS_DOC_NEGATIVE_VECTORS)('refuses $title', async (vector) => {
    // Prepare
    const request = vectorRequest(vector);

    // Act
    const result = verifyCallback(request, testResolver());

    // Assess
    await expect(result).rejects.toMatchObject(MISMATCH);
  });
});

describe('verifyCallback: the synthetic vector (protocol note §7.4, right algorithm, wrong key)', () => {
  const ownKeyUrl = 'https://keys.test.invalid/alphasnow-test-key.pem';
  const ownKey = createPublicKey(SYNTHETIC_VECTOR.publicKeyPem!);

  it('verifies with its own key', async () => {
    // Prepare: the key URL is not signed, so pointing it at the vector's own pinned key keeps the signature valid.
    const request = vectorRequest({ ...SYNTHETIC_VECTOR, keyUrl: ownKeyUrl });

    // Act
    const verified = await verifyCallback(request, testResolver(countingFetch(), [[ownKeyUrl, ownKey]]));

    // Assess
    expect(verified.signed.toString('utf8')).toBe(`${SYNTHETIC_VECTOR.rawPath}\n${SYNTHETIC_VECTOR.body}`);
  });

  it('is refused when it names the official key URL, as it does', async () => {
    // Prepare
    const fetch = countingFetch();

    // Act
    const result = verifyCallback(vectorRequest(SYNTHETIC_VECTOR), testResolver(fetch, [[ownKeyUrl, ownKey]]));

    // Assess
    await expect(result).rejects.toMatchObject(MISMATCH);
    expect(fetch.urls).toEqual([]);
  });
});

interface GeneratedCase {
  title: string;
  type: BodyType;
  rawPath: string;
  rawQuery: string | null;
  body: string;
  /** The string to sign, written out independently of lib/protocol/string-to-sign.ts. */
  signs: string;
}

const GENERATED: GeneratedCase[] = [
  { title: 'a form body, no query', type: 'form', rawPath: '/oss/callback', rawQuery: null, body: 'bucket=b&object=o', signs: '/oss/callback\nbucket=b&object=o' },
  {
    title: 'a JSON body, no query',
    type: 'json',
    rawPath: '/oss/callback',
    rawQuery: null,
    body: '{"bucket":"b","object":"o","size":5,"crc64":18446744073709551615}',
    signs: '/oss/callback\n{"bucket":"b","object":"o","size":5,"crc64":18446744073709551615}',
  },
  { title: 'an empty query (a bare ?)', type: 'form', rawPath: '/cb', rawQuery: '', body: 'bucket=b&object=o', signs: '/cb?\nbucket=b&object=o' },
  {
    title: 'a query, kept raw',
    type: 'form',
    rawPath: '/cb',
    rawQuery: 'tenant=7&token=a%2Bb+c',
    body: 'bucket=b&object=o',
    signs: '/cb?tenant=7&token=a%2Bb+c\nbucket=b&object=o',
  },
  {
    title: 'a percent-encoded path',
    type: 'form',
    rawPath: '/oss/a%20b/%E5%9B%9E%E8%B0%83.php',
    rawQuery: null,
    body: 'bucket=b&object=o',
    signs: '/oss/a b/回调.php\nbucket=b&object=o',
  },
  {
    title: 'a non-ASCII path, raw and encoded',
    type: 'json',
    rawPath: '/上传/%E5%9B%9E%E8%B0%83',
    rawQuery: 'u=%E4%B8%8A',
    body: '{"bucket":"b","object":"上传/猫.jpg"}',
    signs: '/上传/回调?u=%E4%B8%8A\n{"bucket":"b","object":"上传/猫.jpg"}',
  },
  { title: 'a + in the path, which stays a +', type: 'form', rawPath: '/a+b', rawQuery: null, body: 'bucket=b&object=o', signs: '/a+b\nbucket=b&object=o' },
  { title: 'an invalid escape %zz, kept literally', type: 'form', rawPath: '/a%zz', rawQuery: null, body: 'bucket=b&object=o', signs: '/a%zz\nbucket=b&object=o' },
  { title: 'an empty body', type: 'form', rawPath: '/cb', rawQuery: 'x=1', body: '', signs: '/cb?x=1\n' },
];

/** A request whose signature is made with node:crypto directly over `signs`, not through lib/protocol/sign.ts. */
function signedOver(signs: string, received: Omit<GeneratedCase, 'title' | 'signs'>): CallbackRequest {
  return {
    method: 'POST',
    rawPath: received.rawPath,
    rawQuery: received.rawQuery,
    headers: {
      'content-type': CONTENT_TYPES[received.type],
      authorization: sign('md5', Buffer.from(signs, 'utf8'), testKey.privateKey).toString('base64'),
      'x-oss-pub-key-url': b64(testKey.keyUrl),
    },
    body: Buffer.from(received.body, 'utf8'),
  };
}

describe('verifyCallback: generated keys', () => {
  it.each(GENERATED)('verifies a request signed by lib/protocol/sign.ts with $title', async ({ type, rawPath, rawQuery, body }) => {
    // Prepare
    const request = signRequest({ type, rawPath, rawQuery, body });

    // Act
    const verified = await verifyCallback(request, testResolver());

    // Assess
    expect(verified.keyUrl).toBe(testKey.keyUrl);
  });

  it.each(GENERATED)('signs exactly the expected string with $title', async ({ signs, ...received }) => {
    // Prepare
    const request = signedOver(signs, received);

    // Act
    const verified = await verifyCallback(request, testResolver());

    // Assess
    expect(verified.signed.toString('utf8')).toBe(signs);
  });

  it('verifies a path received raw when OSS signed it percent-encoded, since both decode alike', async () => {
    // Prepare
    const request = { ...signRequest({ rawPath: '/%E4%B8%8A%E4%BC%A0/a%2Bb' }), rawPath: '/上传/a+b' };

    // Act
    const result = verifyCallback(request, testResolver());

    // Assess
    await expect(result).resolves.toMatchObject({ keyUrl: testKey.keyUrl });
  });

  it.each([
    { title: 'a space (%20)', received: '/a%20b' },
    { title: 'a raw space', received: '/a b' },
  ])('refuses a + in the signed path when it arrives as $title', async ({ received }) => {
    // Prepare
    const request = { ...signRequest({ rawPath: '/a+b' }), rawPath: received };

    // Act
    const result = verifyCallback(request, testResolver());

    // Assess
    await expect(result).rejects.toMatchObject(MISMATCH);
  });

  it('refuses a request signed with a bare ? when it arrives with no query', async () => {
    // Prepare
    const request = { ...signRequest({ rawQuery: '' }), rawQuery: null };

    // Act
    const result = verifyCallback(request, testResolver());

    // Assess
    await expect(result).rejects.toMatchObject(MISMATCH);
  });

  it('refuses a request signed with no query when it arrives with a bare ?', async () => {
    // Prepare
    const request = { ...signRequest({ rawQuery: null }), rawQuery: '' };

    // Act
    const result = verifyCallback(request, testResolver());

    // Assess
    await expect(result).rejects.toMatchObject(MISMATCH);
  });

  it('refuses a request that names another pinned key than the one that signed it', async () => {
    // Prepare
    const request = signRequest({ keyUrl: 'https://keys.test.invalid/other-key.pem' });

    // Act
    const result = verifyCallback(request, testResolver());

    // Assess
    await expect(result).rejects.toMatchObject(MISMATCH);
  });

  it('says the query was rebuilt when a door had to reconstruct it', async () => {
    // Prepare
    const request: CallbackRequest = { ...signRequest({ rawQuery: 'a=1&b=2' }), rawQuery: 'b=2&a=1', queryReconstructed: true };

    // Act
    const result = verifyCallback(request, testResolver());

    // Assess
    await expect(result).rejects.toMatchObject({
      code: 'SignatureMismatch',
      message: expect.stringContaining('the query was rebuilt from parsed parameters'),
    });
  });

  it('refuses an untrusted key URL before it looks at the signature', async () => {
    // Prepare: a valid signature over the request, naming a URL nobody trusts.
    const fetch = countingFetch();
    const request = signRequest({ keyUrl: 'https://evil.example/key.pem' });

    // Act
    const result = verifyCallback(request, testResolver(fetch));

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'UntrustedKeyUrl', status: 403 });
    expect(fetch.urls).toEqual([]);
  });
});

describe('readSignatureHeaders', () => {
  const valid = { authorization: OSS_DOC_VECTOR.authorization, 'x-oss-pub-key-url': b64(OSS_DOC_VECTOR.keyUrl) };

  it('decodes the signature and the key URL', () => {
    // Act
    const headers = readSignatureHeaders(valid);

    // Assess
    expect(headers.signature).toEqual(Buffer.from(OSS_DOC_VECTOR.authorization, 'base64'));
    expect(headers.signature).toHaveLength(64);
    expect(headers.keyUrl).toBe(OSS_DOC_VECTOR.keyUrl);
  });

  it.each([
    { title: 'absent', headers: valid },
    { title: '1.0', headers: { ...valid, 'x-oss-signature-version': '1.0' } },
    { title: '1.0 with surrounding spaces', headers: { ...valid, 'x-oss-signature-version': ' 1.0 ' } },
  ])('accepts x-oss-signature-version $title', ({ headers }) => {
    // Act
    const read = readSignatureHeaders(headers);

    // Assess
    expect(read.keyUrl).toBe(OSS_DOC_VECTOR.keyUrl);
  });

  it.each(['2.0', '1', '1.1', ''])('refuses x-oss-signature-version %j as UnsupportedSignatureVersion', (version) => {
    // Act
    const read = () => readSignatureHeaders({ ...valid, 'x-oss-signature-version': version });

    // Assess
    expect(read).toThrow(expect.objectContaining({
      code: 'UnsupportedSignatureVersion',
      status: 401,
      message: `x-oss-signature-version ${JSON.stringify(version)} is not supported; only 1.0 is`,
    }));
  });

  it.each<{ title: string; headers: Record<string, string>; message: string }>([
    { title: 'no authorization header', headers: { 'x-oss-pub-key-url': valid['x-oss-pub-key-url'] }, message: 'the request has no authorization header' },
    { title: 'an empty authorization header', headers: { ...valid, authorization: '' }, message: 'the request has no authorization header' },
    { title: 'no x-oss-pub-key-url header', headers: { authorization: valid.authorization }, message: 'the request has no x-oss-pub-key-url header' },
    { title: 'an empty x-oss-pub-key-url header', headers: { ...valid, 'x-oss-pub-key-url': '' }, message: 'the request has no x-oss-pub-key-url header' },
  ])('refuses $title as MissingSignature', ({ headers, message }) => {
    // Act
    const read = () => readSignatureHeaders(headers);

    // Assess
    expect(read).toThrow(expect.objectContaining({ code: 'MissingSignature', status: 401, message }));
  });

  it.each(['not base64!', 'abc', 'YWJj=', 'YW Jj', 'YWJj\u0000', '===='])('refuses the authorization %j as SignatureMismatch: not base64', (authorization) => {
    // Act
    const read = () => readSignatureHeaders({ ...valid, authorization });

    // Assess
    expect(read).toThrow(expect.objectContaining({ code: 'SignatureMismatch', message: 'the authorization header is not base64' }));
  });

  it.each(['http://gosspublic.alicdn.com/callback_pub_key_v1.pem', 'aHR0c#', 'aHR0cA'])('refuses the key URL header %j as UntrustedKeyUrl: not base64', (keyUrl) => {
    // Act
    const read = () => readSignatureHeaders({ ...valid, 'x-oss-pub-key-url': keyUrl });

    // Assess
    expect(read).toThrow(expect.objectContaining({ code: 'UntrustedKeyUrl', status: 403, message: 'x-oss-pub-key-url is not base64' }));
  });
});
