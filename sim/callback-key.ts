import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface CallbackKey {
  privateKey: KeyObject;
  publicPem: string;
}

/**
 * The simulator's stand-in for OSS's callback key: RSA-512 like OSS's own, made once per data folder
 * and kept there, so a receiver that trusts it keeps trusting it across simulator restarts.
 */
export async function loadOrCreateCallbackKey(dataDir: string): Promise<CallbackKey> {
  const path = join(dataDir, '.sim', 'callback-private-key.pem');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    privateKey = generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, publicPem };
}

/** `{ "<key url>": "<PEM>" }`, the file OSS_CALLBACK_TRUSTED_KEYS loads. */
export async function writeTrustedKeys(path: string, keyUrl: string, publicPem: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify({ [keyUrl]: publicPem }, null, 2)}\n`);
}
