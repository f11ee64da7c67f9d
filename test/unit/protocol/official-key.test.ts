import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OFFICIAL_KEY_PEM, OFFICIAL_KEY_URLS, officialKey } from '../../../lib/protocol/official-key.js';
import { keyFingerprint } from '../../../lib/protocol/rsa.js';
import { OFFICIAL_KEY_FACTS } from '../../vectors/signature-vectors.js';

describe('officialKey', () => {
  it('has the SHA-256 SPKI fingerprint the protocol note gives', () => {
    // Act
    const fingerprint = keyFingerprint(officialKey);

    // Assess
    expect(fingerprint).toBe(OFFICIAL_KEY_FACTS.spkiSha256);
  });

  it('is RSA-512 with e = 65537 and the modulus the protocol note gives', () => {
    // Act
    const jwk = officialKey.export({ format: 'jwk' });

    // Assess
    expect(officialKey.asymmetricKeyType).toBe('rsa');
    expect(officialKey.asymmetricKeyDetails).toMatchObject({ modulusLength: OFFICIAL_KEY_FACTS.modulusBits, publicExponent: BigInt(OFFICIAL_KEY_FACTS.publicExponent) });
    expect(Buffer.from(jwk.n!, 'base64url').toString('hex').toUpperCase()).toBe(OFFICIAL_KEY_FACTS.modulusHex);
  });

  it.skipIf(!existsSync(OFFICIAL_KEY_FACTS.sharedPemPath))('is pinned as the exact PEM of the shared key file', () => {
    // Prepare
    const shared = readFileSync(OFFICIAL_KEY_FACTS.sharedPemPath, 'utf8');

    // Assess
    expect(OFFICIAL_KEY_PEM).toBe(shared);
  });

  it('is pinned under both its http and its https URL', () => {
    // Assess
    expect([...OFFICIAL_KEY_URLS].sort()).toEqual([...OFFICIAL_KEY_FACTS.urls].sort());
  });
});
