import { createHash, sign, verify, type KeyObject } from 'node:crypto';

/**
 * RSASSA-PKCS1-v1_5 with MD5, the only algorithm OSS callback signatures use. WebCrypto cannot do
 * it (no MD5), so this stays on `node:crypto`. Any malformed key or signature is simply `false`:
 * one caller turns that into the refusal.
 */
export function verifyRsaMd5(key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return verify('md5', data, key, signature);
  } catch {
    return false;
  }
}

export function signRsaMd5(privateKey: KeyObject, data: Buffer): Buffer {
  return sign('md5', data, privateKey);
}

/** SHA-256 of the key's DER SubjectPublicKeyInfo, as `--explain` and logs show it. */
export function keyFingerprint(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}
