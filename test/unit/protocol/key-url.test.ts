import { describe, expect, it } from 'vitest';
import { decideKeyUrl } from '../../../lib/protocol/key-url.js';
import { officialKey } from '../../../lib/protocol/official-key.js';
import { verifyCallback } from '../../../lib/protocol/verify.js';
import { countingFetch, signRequest, testKey, testResolver } from '../../support/keys.js';

const OFFICIAL_HTTPS = 'https://gosspublic.alicdn.com/callback_pub_key_v1.pem';
const OFFICIAL_HTTP = 'http://gosspublic.alicdn.com/callback_pub_key_v1.pem';
const notPinned = () => false;

/** Key URLs an attacker might put in x-oss-pub-key-url; every one must be refused with no request made. */
const HOSTILE_KEY_URLS: { title: string; url: string }[] = [
  { title: 'a lookalike host with the real name as a prefix', url: 'https://gosspublic.alicdn.com.evil.com/callback_pub_key_v1.pem' },
  { title: 'the real host name as a path on another host', url: 'https://evil.com/gosspublic.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'a hyphen for the dot', url: 'https://gosspublic-alicdn.com/callback_pub_key_v1.pem' },
  { title: 'the parent domain', url: 'https://alicdn.com/callback_pub_key_v1.pem' },
  { title: 'a subdomain of the real host', url: 'https://x.gosspublic.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'a punycode (xn--) lookalike label', url: 'https://xn--gosspublc-5ve.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'a Cyrillic і in the host', url: 'https://gosspublіc.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'a full-width ｇ that URL parsing folds to g', url: 'https://ｇosspublic.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'userinfo naming the real host before another host', url: 'https://gosspublic.alicdn.com@evil.com/x.pem' },
  { title: 'userinfo before the real host', url: 'https://evil@gosspublic.alicdn.com/x.pem' },
  { title: 'user and password before the real host', url: 'https://a:b@gosspublic.alicdn.com/x.pem' },
  { title: 'an empty userinfo', url: 'https://:@gosspublic.alicdn.com/x.pem' },
  { title: 'the default https port spelled out (:443)', url: 'https://gosspublic.alicdn.com:443/callback_pub_key_v1.pem' },
  { title: 'the default http port spelled out (:80)', url: 'http://gosspublic.alicdn.com:80/callback_pub_key_v1.pem' },
  { title: 'another port (:8443)', url: 'https://gosspublic.alicdn.com:8443/callback_pub_key_v1.pem' },
  { title: 'port 443 on http', url: 'http://gosspublic.alicdn.com:443/callback_pub_key_v1.pem' },
  { title: 'an IPv4 address', url: 'https://127.0.0.1/callback_pub_key_v1.pem' },
  { title: 'the cloud metadata address', url: 'http://100.100.100.200/latest/meta-data.pem' },
  { title: 'an IPv6 address', url: 'https://[::1]/callback_pub_key_v1.pem' },
  { title: 'an IPv4-mapped IPv6 address', url: 'https://[::ffff:127.0.0.1]/callback_pub_key_v1.pem' },
  { title: 'a decimal IPv4 address', url: 'https://2130706433/callback_pub_key_v1.pem' },
  { title: 'a hexadecimal IPv4 address', url: 'https://0x7f000001/callback_pub_key_v1.pem' },
  { title: 'a file: URL', url: 'file:///etc/ssl/callback_pub_key_v1.pem' },
  { title: 'a file: URL naming the real host', url: 'file://gosspublic.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'an ftp: URL on the real host', url: 'ftp://gosspublic.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'a ws: URL on the real host', url: 'ws://gosspublic.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'a data: URL', url: 'data:application/x-pem-file;base64,LS0tLS1CRUdJTg==#.pem' },
  { title: 'a javascript: URL', url: 'javascript:alert(1)//gosspublic.alicdn.com/x.pem' },
  { title: 'a percent-encoded dot in the host', url: 'https://gosspublic%2Ealicdn.com/callback_pub_key_v1.pem' },
  { title: 'a percent-encoded letter in the host', url: 'https://%67osspublic.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'an upper-case host', url: 'https://GOSSPUBLIC.ALICDN.COM/callback_pub_key_v1.pem' },
  { title: 'an upper-case scheme', url: 'HTTPS://gosspublic.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'a trailing dot on the host', url: 'https://gosspublic.alicdn.com./callback_pub_key_v1.pem' },
  { title: 'backslashes for slashes', url: 'https:\\\\gosspublic.alicdn.com\\callback_pub_key_v1.pem' },
  { title: 'a backslash before @ (parsers disagree on the host)', url: 'https://gosspublic.alicdn.com\\@evil.com/x.pem' },
  { title: 'a scheme without slashes', url: 'https:gosspublic.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'a scheme-relative URL', url: '//gosspublic.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'no scheme', url: 'gosspublic.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'a .. dot segment', url: 'https://gosspublic.alicdn.com/a/../callback_pub_key_v1.pem' },
  { title: 'a . dot segment', url: 'https://gosspublic.alicdn.com/./callback_pub_key_v1.pem' },
  { title: 'a percent-encoded dot segment', url: 'https://gosspublic.alicdn.com/a/%2e%2e/callback_pub_key_v1.pem' },
  { title: 'a query', url: 'https://gosspublic.alicdn.com/callback_pub_key_v1.pem?x=1' },
  { title: 'a fragment', url: 'https://gosspublic.alicdn.com/callback_pub_key_v1.pem#x' },
  { title: 'an empty query (a bare ?)', url: 'https://gosspublic.alicdn.com/callback_pub_key_v1.pem?' },
  { title: 'an empty fragment (a bare #)', url: 'https://gosspublic.alicdn.com/callback_pub_key_v1.pem#' },
  { title: 'a path that does not end in .pem', url: 'https://gosspublic.alicdn.com/callback_pub_key_v1.pem.txt' },
  { title: 'an upper-case .PEM', url: 'https://gosspublic.alicdn.com/callback_pub_key_v1.PEM' },
  { title: 'a path ending in a slash', url: 'https://gosspublic.alicdn.com/callback_pub_key_v1.pem/' },
  { title: 'the bare host', url: 'https://gosspublic.alicdn.com/' },
  { title: 'a leading space', url: ' https://gosspublic.alicdn.com/callback_pub_key_v1.pem' },
  { title: 'a trailing newline', url: 'https://gosspublic.alicdn.com/callback_pub_key_v1.pem\n' },
  { title: 'a tab inside the host', url: 'https://gosspublic.ali\tcdn.com/callback_pub_key_v1.pem' },
  { title: 'a NUL byte in the path', url: 'https://gosspublic.alicdn.com/callback_pub_key_v1\u0000.pem' },
  { title: 'a space in the path', url: 'https://gosspublic.alicdn.com/callback pub key.pem' },
  { title: 'the official URL with a different case in the path', url: 'https://gosspublic.alicdn.com/Callback_pub_key_v1.pem.evil' },
];

describe('KeyResolver: hostile key URLs', () => {
  it.each(HOSTILE_KEY_URLS)('refuses $title with 403 UntrustedKeyUrl and makes no request', async ({ url }) => {
    // Prepare: the signature itself is valid; only the key URL is wrong.
    const fetch = countingFetch();
    const request = signRequest({ keyUrl: url });

    // Act
    const result = verifyCallback(request, testResolver(fetch));

    // Assess
    await expect(result).rejects.toMatchObject({
      code: 'UntrustedKeyUrl',
      status: 403,
      message: expect.stringContaining(`the public key URL ${JSON.stringify(url)} is not trusted: `),
    });
    expect(fetch.urls).toEqual([]);
  });

  it('refuses a key URL header that is not base64 and makes no request', async () => {
    // Prepare
    const fetch = countingFetch();
    const request = signRequest();
    request.headers['x-oss-pub-key-url'] = 'https://gosspublic.alicdn.com/callback_pub_key_v1.pem';

    // Act
    const result = verifyCallback(request, testResolver(fetch));

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'UntrustedKeyUrl', status: 403, message: 'x-oss-pub-key-url is not base64' });
    expect(fetch.urls).toEqual([]);
  });
});

describe('KeyResolver: trusted key URLs', () => {
  it.each([OFFICIAL_HTTPS, OFFICIAL_HTTP])('uses the pinned official key for %s with no request', async (url) => {
    // Prepare
    const fetch = countingFetch();

    // Act
    const key = await testResolver(fetch).resolve(url);

    // Assess
    expect(key).toBe(officialKey);
    expect(fetch.urls).toEqual([]);
  });

  it('uses a key pinned by the trusted keys with no request', async () => {
    // Prepare
    const fetch = countingFetch();

    // Act
    const key = await testResolver(fetch).resolve(testKey.keyUrl);

    // Assess
    expect(key).toBe(testKey.publicKey);
    expect(fetch.urls).toEqual([]);
  });

  it.each([
    { title: 'an https', url: 'https://gosspublic.alicdn.com/callback_pub_key_v2.pem' },
    { title: 'an http', url: 'http://gosspublic.alicdn.com/callback_pub_key_v2.pem' },
  ])('fetches $title URL on gosspublic.alicdn.com over https, once', async ({ url }) => {
    // Prepare
    const fetch = countingFetch();

    // Act
    const result = testResolver(fetch).resolve(url);

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'KeyUnavailable' });
    expect(fetch.urls).toEqual(['https://gosspublic.alicdn.com/callback_pub_key_v2.pem']);
  });
});

describe('decideKeyUrl', () => {
  it.each([
    { url: OFFICIAL_HTTPS, decision: { kind: 'fetch', url: OFFICIAL_HTTPS, fetchUrl: OFFICIAL_HTTPS } },
    { url: OFFICIAL_HTTP, decision: { kind: 'fetch', url: OFFICIAL_HTTP, fetchUrl: OFFICIAL_HTTPS } },
    { url: 'https://gosspublic.alicdn.com/keys/a%20b.pem', decision: { kind: 'fetch', fetchUrl: 'https://gosspublic.alicdn.com/keys/a%20b.pem' } },
  ])('decides to fetch $url from its https URL when it is not pinned', ({ url, decision }) => {
    // Act
    const result = decideKeyUrl(url, notPinned);

    // Assess
    expect(result).toMatchObject(decision);
  });

  it('uses a pinned URL as it is, whatever its shape', () => {
    // Act
    const result = decideKeyUrl('https://evil@127.0.0.1:1/x', () => true);

    // Assess
    expect(result).toEqual({ kind: 'pinned', url: 'https://evil@127.0.0.1:1/x' });
  });

  it.each([
    { url: 'not a url', reason: 'it is not a URL' },
    { url: 'ftp://gosspublic.alicdn.com/x.pem', reason: 'scheme ftp: is not http(s)' },
    { url: 'https://evil@gosspublic.alicdn.com/x.pem', reason: 'it carries userinfo' },
    { url: 'https://evil.com/x.pem', reason: 'host evil.com is not gosspublic.alicdn.com' },
    { url: 'https://gosspublic.alicdn.com:8443/x.pem', reason: 'it names a port' },
    { url: 'https://gosspublic.alicdn.com/x.pem?a=1', reason: 'it has a query or fragment' },
    { url: 'https://gosspublic.alicdn.com/x.pem?', reason: 'it has a query or fragment' },
    { url: 'https://gosspublic.alicdn.com/x.pem#', reason: 'it has a query or fragment' },
    { url: 'https://gosspublic.alicdn.com/x.txt', reason: 'its path does not name a .pem file' },
    { url: 'https://gosspublic.alicdn.com:443/x.pem', reason: 'it is not in canonical form' },
  ])('refuses $url because $reason', ({ url, reason }) => {
    // Act
    const result = decideKeyUrl(url, notPinned);

    // Assess
    expect(result).toEqual({ kind: 'refused', url, reason });
  });
});
