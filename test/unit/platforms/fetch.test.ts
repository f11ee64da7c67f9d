import { describe, expect, it } from 'vitest';
import { fetchCallbackRequest, fetchHandler } from '../../../lib/platforms/fetch.js';
import { createPipeline } from '../../../lib/receiver.js';
import { MemoryStore } from '../../../lib/store/memory.js';
import { signRequest, testResolver } from '../../support/keys.js';

const post = (url: string, body = 'bucket=b&object=o', headers: Record<string, string> = {}) => new Request(url, { method: 'POST', body, headers });

describe('the Fetch door', () => {
  it('takes the path and raw query from the whole URL', async () => {
    const request = await fetchCallbackRequest(post('https://cb.example.com/api/oss/callback?tenant=7&x=%7e', 'bucket=b&object=o', { 'X-Extra': 'a' }));

    expect(request).toMatchObject({ method: 'POST', rawPath: '/api/oss/callback', rawQuery: 'tenant=7&x=%7e' });
    expect(request.urlNormalized).toBeUndefined();
    expect(request.headers['x-extra']).toBe('a');
    expect(request.body.toString()).toBe('bucket=b&object=o');
  });

  it.each([
    ['resolves dot segments', 'http://h/a/b/../c/./d', '/a/c/d'],
    ['resolves encoded dot segments', 'http://h/a/%2e%2e/c', '/c'],
    ['reads a backslash as a slash', 'http://h/a\\b', '/a/b'],
    ['percent-encodes a space in the path', 'http://h/a b', '/a%20b'],
  ])('sees the URL as the WHATWG parser left it: it %s', async (_case, url, rawPath) => {
    expect((await fetchCallbackRequest(post(url))).rawPath).toBe(rawPath);
  });

  it('percent-encodes a quote in the query, which OSS signed as sent, and says the URL may have been changed', async () => {
    expect(await fetchCallbackRequest(post("http://h/cb?name=o'brien"))).toMatchObject({ rawQuery: 'name=o%27brien', urlNormalized: true });
  });

  it.each([
    ['a quote, a bracket or non-ASCII in the query', 'http://h/cb?q=%22a%3Cb%3E%27&n=%C3%A9', true],
    ['only names, values, = and & in the query', 'http://h/cb?tenant=7&a=b', false],
    ['escapes the parser never writes (%7e, %2F, lower-case %3c)', 'http://h/cb?x=%7e&p=a%2Fb&l=%3c', false],
    ['escapes in the path, which OSS signs decoded', 'http://h/a%20b/%C3%A9/%22', false],
    ['no query', 'http://h/cb', false],
  ])('names the URL parser as a possible cause only for %s', async (_case, url, normalized) => {
    expect((await fetchCallbackRequest(post(url))).urlNormalized === true).toBe(normalized);
  });

  it('answers a tampered body without blaming the URL parser, and blames it where the query shows its escapes', async () => {
    const handler = fetchHandler(createPipeline({ limits: { deadlineMs: 4000, maxBodyBytes: 65_536 }, store: new MemoryStore(), keys: testResolver(), logger: { log() {} } }));
    const plain = signRequest({ rawPath: '/api/cb', rawQuery: 'a=1' });
    const quoted = signRequest({ rawPath: '/api/cb', rawQuery: 'name="x"' });

    const tampered = await handler(new Request('http://h/api/cb?a=1', { method: 'POST', headers: plain.headers, body: 'bucket=b&object=other' }));
    const requoted = await handler(new Request('http://h/api/cb?name="x"', { method: 'POST', headers: quoted.headers, body: quoted.body }));

    expect(await tampered.json()).toEqual({ Status: 'Error', code: 'SignatureMismatch', message: 'the signature does not match the path, query and body received' });
    expect(await requoted.json()).toMatchObject({ code: 'SignatureMismatch', message: expect.stringMatching(/WHATWG URL parser/) });
  });

  it('gives the receiver no body, and why, when the Request body was already read', async () => {
    const request = post('http://h/cb');
    await request.text();

    expect(await fetchCallbackRequest(request)).toMatchObject({ body: Buffer.alloc(0), bodyUnavailable: expect.stringMatching(/untouched Request/) });
  });

  it('answers the receiver’s JSON as a Response, and refuses a body over the largest limit while reading', async () => {
    const handler = fetchHandler(createPipeline({ limits: { deadlineMs: 4000, maxBodyBytes: 65_536 }, store: new MemoryStore(), keys: testResolver(), logger: { log() {} } }));
    const signed = signRequest({ rawPath: '/api/cb' });

    const ok = await handler(new Request('http://h/api/cb', { method: 'POST', headers: signed.headers, body: signed.body }));
    const large = await handler(post('http://h/api/cb', 'x'.repeat(1_048_577)));

    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-length')).toBe(String((await ok.clone().arrayBuffer()).byteLength));
    expect(await ok.json()).toMatchObject({ Status: 'OK' });
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ code: 'BodyTooLarge' });
  });
});
