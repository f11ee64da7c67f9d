import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyFingerprint, signRsaMd5, verifyRsaMd5 } from '../../../lib/protocol/rsa.js';
import { otherKey, testKey } from '../../support/keys.js';

const data = Buffer.from('/oss/callback\nbucket=b&object=o');
const ecPublicKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;

describe('verifyRsaMd5', () => {
  it('holds for a signature made by signRsaMd5 over the same bytes', () => {
    // Prepare
    const signature = signRsaMd5(testKey.privateKey, data);

    // Act
    const holds = verifyRsaMd5(testKey.publicKey, data, signature);

    // Assess
    expect(holds).toBe(true);
  });

  it('is false under another key', () => {
    // Prepare
    const signature = signRsaMd5(testKey.privateKey, data);

    // Act
    const holds = verifyRsaMd5(otherKey.publicKey, data, signature);

    // Assess
    expect(holds).toBe(false);
  });

  it.each([
    { title: 'an empty signature', signature: Buffer.alloc(0) },
    { title: 'a signature one byte short', signature: Buffer.alloc(127, 1) },
    { title: 'a signature one byte long', signature: Buffer.alloc(129, 1) },
    { title: 'a signature above the modulus', signature: Buffer.alloc(128, 0xff) },
  ])('is false, not a throw, for $title', ({ signature }) => {
    // Act
    const holds = verifyRsaMd5(testKey.publicKey, data, signature);

    // Assess
    expect(holds).toBe(false);
  });

  it('is false, not a throw, when the key is not an RSA verification key', () => {
    // Prepare
    const signature = signRsaMd5(testKey.privateKey, data);

    // Act
    const holds = verifyRsaMd5(ecPublicKey, data, signature);

    // Assess
    expect(holds).toBe(false);
  });
});

describe('keyFingerprint', () => {
  it('is the SHA-256 hex of the DER SubjectPublicKeyInfo', () => {
    // Prepare
    const der = testKey.publicKey.export({ type: 'spki', format: 'der' });

    // Act
    const fingerprint = keyFingerprint(testKey.publicKey);

    // Assess
    expect(fingerprint).toBe(createHash('sha256').update(der).digest('hex'));
  });
});

