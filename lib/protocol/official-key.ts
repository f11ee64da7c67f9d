import { createPublicKey } from 'node:crypto';

/**
 * OSS's callback public key v1 (RSA-512, e=65537), pinned so no instance ever fetches it. The real
 * OSS-signed example in the protocol note (§7.2) verifies under it. SHA-256 of its SPKI:
 * a1f54d0fb9263a14276c9e890f99cdeae986265b3985e6b1aa4603631c5bc9cf.
 */
export const OFFICIAL_KEY_PEM = `-----BEGIN PUBLIC KEY-----
MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKs/JBGzwUB2aVht4crBx3oIPBLNsjGs
C0fTXv+nvlmklvkcolvpvXLTjaxUHR3W9LXxQ2EHXAJfCB+6H2YF1k8CAwEAAQ==
-----END PUBLIC KEY-----
`;

/** OSS has sent both spellings; both name the same key. */
export const OFFICIAL_KEY_URLS = [
  'https://gosspublic.alicdn.com/callback_pub_key_v1.pem',
  'http://gosspublic.alicdn.com/callback_pub_key_v1.pem',
] as const;

export const officialKey = createPublicKey(OFFICIAL_KEY_PEM);
