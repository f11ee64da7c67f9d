import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallbackError, verifyCallback } from '../../lib/index.js';
import { signRequest, testKey } from '../support/keys.js';

const trustedKeys = { [testKey.keyUrl]: testKey.publicPem };
const BODY = 'bucket=photos&object=users%2F42%2Fcat.jpg&etag=D8E8FCA2DC0F896FD7CB4CB0031BA249&size=48213&x:uid=42&x:ticket=T0K3N';

describe('verifyCallback: verify-only use', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('returns the fields, the key URL, the upload id and fingerprint, and the ticket kept out of the fields', async () => {
    const verified = await verifyCallback(signRequest({ body: BODY }), { trustedKeys });

    expect(verified).toMatchObject({
      keyUrl: testKey.keyUrl,
      fields: { bucket: 'photos', object: 'users/42/cat.jpg', etag: 'D8E8FCA2DC0F896FD7CB4CB0031BA249', size: 48213, vars: { 'x:uid': '42' } },
      ticket: 'T0K3N',
      id: expect.stringMatching(/^[0-9a-f]{64}$/),
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(verified.fields.vars).not.toHaveProperty('x:ticket');
  });

  it('takes a Fetch Request as well', async () => {
    const signed = signRequest({ body: BODY, rawPath: '/oss/callback', rawQuery: 'tenant=7' });
    const request = new Request('http://127.0.0.1/oss/callback?tenant=7', { method: 'POST', headers: signed.headers, body: signed.body });

    await expect(verifyCallback(request, { trustedKeys })).resolves.toMatchObject({ fields: { object: 'users/42/cat.jpg' } });
  });

  it.each([
    ['a tampered body', () => ({ ...signRequest({ body: BODY }), body: Buffer.from(BODY.replace('photos', 'photo5')) }), 'SignatureMismatch', 401],
    ['no signature', () => ({ ...signRequest({ body: BODY }), headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 'MissingSignature', 401],
    ['a key it was not given', () => signRequest({ body: BODY, keyUrl: 'https://keys.test.invalid/unknown.pem' }), 'UntrustedKeyUrl', 403],
    ['no object', () => signRequest({ body: 'bucket=photos' }), 'MissingField', 400],
    ['a body a parser took', () => ({ ...signRequest({ body: BODY }), bodyUnavailable: 'mount it first' }), 'Misconfigured', 500],
  ])('throws a CallbackError with a stable code for %s', async (_case, request, code, status) => {
    const error = await verifyCallback(request(), { trustedKeys }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(CallbackError);
    expect(error).toMatchObject({ code, status });
  });

  it('fetches a gosspublic.alicdn.com key once for the whole process, whatever options each call passes', async () => {
    const keyUrl = 'https://gosspublic.alicdn.com/callback_pub_key_test.pem';
    const fetch = vi.fn(async () => new Response(testKey.publicPem));
    vi.stubGlobal('fetch', fetch);

    await verifyCallback(signRequest({ body: BODY, keyUrl }));
    await verifyCallback(signRequest({ body: BODY, keyUrl }), {});
    await verifyCallback(signRequest({ body: BODY, keyUrl }), { trustedKeys });

    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenCalledWith(keyUrl, expect.anything());
  });
});
