import { generateKeyPairSync, verify } from 'node:crypto';
import type { CallbackRequest } from '../lib/exchange.js';
import { KeyCache } from '../lib/protocol/key-cache.js';
import { signedCallback } from '../lib/protocol/sign.js';
import { stringToSign } from '../lib/protocol/string-to-sign.js';
import { KeyResolver, verifyCallback } from '../lib/protocol/verify.js';
import { opsPerSecond, type BenchLine } from './report.js';

/**
 * The product's verify (header decoding, key policy, warm key cache, string to sign, RSA-MD5) against
 * a bare `crypto.verify` over the same prepared bytes with the same key: the ratio is our overhead.
 * The key is RSA-512 like OSS's own, served through the fetched-key cache (the slower of the two
 * lookups: pinned keys skip it).
 */
export async function run(): Promise<BenchLine[]> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 512 });
  const keyUrl = 'https://gosspublic.alicdn.com/bench_key.pem';
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const cache = new KeyCache({ fetch: async () => new Response(pem) });
  const keys = new KeyResolver(new Map(), cache);
  const body = Buffer.from('bucket=bench&object=photos%2F2026%2Fcat.jpg&etag=D8E8FCA2DC0F896FD7CB4CB0031BA249&size=48213&mimeType=image%2Fjpeg&reqId=674EB5AA2E1B0A3337341888');
  const request: CallbackRequest = signedCallback({
    privateKey,
    keyUrl,
    url: 'https://callback.example.com/oss/callback?tenant=7',
    body,
    contentType: 'application/x-www-form-urlencoded',
  });
  await verifyCallback(request, keys); // warm the key cache
  const signed = stringToSign(request);
  const signature = Buffer.from(request.headers.authorization!, 'base64');
  const ours = await opsPerSecond(() => verifyCallback(request, keys), 1500);
  const bare = await opsPerSecond(() => verify('md5', signed, publicKey, signature), 1500);
  return [{ name: 'verifyCallback (warm key cache)', value: ours, unit: 'verifications/s', baseline: { name: 'bare crypto.verify', value: bare } }];
}
