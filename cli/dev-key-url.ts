import type { KeyObject } from 'node:crypto';
import { keyFingerprint } from '../lib/protocol/rsa.js';

/**
 * The URL `keygen` pins a development key under: named after the key's SHA-256 fingerprint, so two keys
 * never share a URL and a callback signed with another key is refused as `UntrustedKeyUrl`, naming
 * its URL, instead of failing as a `SignatureMismatch`. `.invalid`: nothing can ever fetch it.
 */
export function devKeyUrl(publicKey: KeyObject): string {
  return `https://oss-callback.dev.invalid/${keyFingerprint(publicKey).slice(0, 16)}.pem`;
}
