import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { OFFICIAL_KEY_URLS, officialKey } from './official-key.js';

/** Key URL → pinned public key. Pinned keys are used as they are and never fetched. */
export type PinnedKeys = ReadonlyMap<string, KeyObject>;

export class TrustedKeysError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrustedKeysError';
  }
}

/**
 * Parse a trusted-keys document `{ "<key url>": "<PEM>" }`. Every entry must be an RSA public key;
 * a private key is refused so a leaked private half is never mistaken for configuration.
 */
export function parseTrustedKeys(json: string, source = 'trusted keys'): Map<string, KeyObject> {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    throw new TrustedKeysError(`${source} is not valid JSON`, { cause: error });
  }
  return trustedKeysOf(document, source);
}

/** A trusted-keys document already parsed (or given in code), checked as `parseTrustedKeys` checks the file. */
export function trustedKeysOf(document: unknown, source = 'trusted keys'): Map<string, KeyObject> {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new TrustedKeysError(`${source} must be a JSON object of "<key url>": "<PEM public key>"`);
  }
  const keys = new Map<string, KeyObject>();
  for (const [url, pem] of Object.entries(document)) {
    if (typeof pem !== 'string' || !pem.includes('-----BEGIN PUBLIC KEY-----')) {
      throw new TrustedKeysError(`${source}: the entry for ${url} is not a PEM public key`);
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: pem, format: 'pem' });
    } catch (error) {
      throw new TrustedKeysError(`${source}: the key for ${url} cannot be parsed`, { cause: error });
    }
    if (key.asymmetricKeyType !== 'rsa') {
      throw new TrustedKeysError(`${source}: the key for ${url} is ${key.asymmetricKeyType}, not RSA`);
    }
    keys.set(url, key);
  }
  return keys;
}

export function loadTrustedKeysFile(path: string): Map<string, KeyObject> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TrustedKeysError(`cannot read the trusted keys file ${path}`, { cause: error });
  }
  return parseTrustedKeys(text, path);
}

/** The official v1 key under both its URLs, plus any extra keys the deployment trusts. */
export function pinnedKeys(extra: ReadonlyMap<string, KeyObject> = new Map()): PinnedKeys {
  const keys = new Map<string, KeyObject>(OFFICIAL_KEY_URLS.map((url) => [url, officialKey]));
  for (const [url, key] of extra) {
    // A trusted-keys file adds keys; it never swaps the one OSS signs real callbacks with.
    if (keys.has(url) && !key.equals(officialKey)) {
      throw new TrustedKeysError(`${url} is the official OSS key URL; its key is pinned and cannot be replaced`);
    }
    keys.set(url, key);
  }
  return keys;
}
