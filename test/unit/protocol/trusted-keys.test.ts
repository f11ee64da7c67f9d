import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { officialKey, OFFICIAL_KEY_URLS } from '../../../lib/protocol/official-key.js';
import { keyFingerprint } from '../../../lib/protocol/rsa.js';
import { loadTrustedKeysFile, parseTrustedKeys, pinnedKeys, TrustedKeysError } from '../../../lib/protocol/trusted-keys.js';
import { testKey } from '../../support/keys.js';

const dir = mkdtempSync(join(tmpdir(), 'trusted-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ecPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

describe('parseTrustedKeys', () => {
  it('reads {"<key url>": "<PEM>"} into pinned RSA keys', () => {
    // Act
    const keys = parseTrustedKeys(JSON.stringify({ [testKey.keyUrl]: testKey.publicPem }));

    // Assess
    expect([...keys.keys()]).toEqual([testKey.keyUrl]);
    expect(keyFingerprint(keys.get(testKey.keyUrl)!)).toBe(keyFingerprint(testKey.publicKey));
  });

  it.each([
    { title: 'text that is not JSON', json: '{', message: 'keys.json is not valid JSON' },
    { title: 'an array', json: '[]', message: 'keys.json must be a JSON object of "<key url>": "<PEM public key>"' },
    { title: 'null', json: 'null', message: 'keys.json must be a JSON object of "<key url>": "<PEM public key>"' },
    { title: 'an entry that is not a string', json: '{"u":1}', message: 'keys.json: the entry for u is not a PEM public key' },
    { title: 'a private key', json: JSON.stringify({ u: testKey.privatePem }), message: 'keys.json: the entry for u is not a PEM public key' },
    {
      title: 'a PEM that does not parse',
      json: JSON.stringify({ u: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }),
      message: 'keys.json: the key for u cannot be parsed',
    },
    { title: 'an EC key', json: JSON.stringify({ u: ecPem }), message: 'keys.json: the key for u is ec, not RSA' },
  ])('refuses $title', ({ json, message }) => {
    // Act
    const parse = () => parseTrustedKeys(json, 'keys.json');

    // Assess
    expect(parse).toThrow(new TrustedKeysError(message));
  });
});

describe('loadTrustedKeysFile', () => {
  it('reads a trusted keys file', () => {
    // Prepare
    const path = join(dir, 'trusted-keys.json');
    writeFileSync(path, JSON.stringify({ [testKey.keyUrl]: testKey.publicPem }));

    // Act
    const keys = loadTrustedKeysFile(path);

    // Assess
    expect(keys.has(testKey.keyUrl)).toBe(true);
  });

  it('names the file it cannot read', () => {
    // Prepare
    const path = join(dir, 'missing.json');

    // Act
    const load = () => loadTrustedKeysFile(path);

    // Assess
    expect(load).toThrow(`cannot read the trusted keys file ${path}`);
  });
});

describe('pinnedKeys', () => {
  it('pins the official key under both URLs, plus the extra keys', () => {
    // Act
    const keys = pinnedKeys(new Map([[testKey.keyUrl, testKey.publicKey]]));

    // Assess: KeyObjects have no enumerable fields, so compare them by identity, not with toEqual.
    expect([...keys.keys()].sort()).toEqual([...OFFICIAL_KEY_URLS, testKey.keyUrl].sort());
    for (const url of OFFICIAL_KEY_URLS) expect(keys.get(url)).toBe(officialKey);
    expect(keys.get(testKey.keyUrl)).toBe(testKey.publicKey);
  });
});
