import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_STORE, loadConfig } from '../../lib/config.js';
import { OFFICIAL_KEY_PEM, OFFICIAL_KEY_URLS, officialKey } from '../../lib/protocol/official-key.js';
import { testKey } from '../support/keys.js';
import { tempDir } from '../support/temp-dir.js';

describe('loadConfig', () => {
  const dir = tempDir();
  const keysFile = (document: unknown) => {
    const path = join(dir, `keys-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(document));
    return path;
  };

  it('gives the documented defaults for an empty environment, with only the official key pinned', () => {
    const config = loadConfig({});

    expect(config).toMatchObject({ store: DEFAULT_STORE, maxBodyBytes: 65_536, deadlineMs: 4_000, port: 9_000, logLevel: 'info', trustedKeysFile: null });
    expect([...config.pinnedKeys.keys()]).toEqual([...OFFICIAL_KEY_URLS]);
  });

  it('pins the keys of the trusted-keys file beside the official key', () => {
    const config = loadConfig({ OSS_CALLBACK_TRUSTED_KEYS: keysFile({ [testKey.keyUrl]: testKey.publicPem }) });

    expect(config.pinnedKeys.get(testKey.keyUrl)?.equals(testKey.publicKey)).toBe(true);
    expect(config.pinnedKeys.get(OFFICIAL_KEY_URLS[0])?.equals(officialKey)).toBe(true);
  });

  it('refuses a trusted-keys file that would replace the official key', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 512 });
    const file = keysFile({ [OFFICIAL_KEY_URLS[0]]: publicKey.export({ type: 'spki', format: 'pem' }) });

    expect(() => loadConfig({ OSS_CALLBACK_TRUSTED_KEYS: file })).toThrow(/official OSS key URL; its key is pinned and cannot be replaced/);
  });

  it('accepts a trusted-keys file that lists the official key itself', () => {
    const config = loadConfig({ OSS_CALLBACK_TRUSTED_KEYS: keysFile({ [OFFICIAL_KEY_URLS[1]]: OFFICIAL_KEY_PEM }) });
    expect(config.pinnedKeys.size).toBe(2);
  });

  it.each([
    [{ OSS_CALLBACK_MAX_BODY: '0' }, /OSS_CALLBACK_MAX_BODY must be a whole number from 1 to 1048576, got "0"/],
    [{ OSS_CALLBACK_MAX_BODY: '64k' }, /OSS_CALLBACK_MAX_BODY must be a whole number/],
    [{ OSS_CALLBACK_DEADLINE_MS: '5000' }, /OSS_CALLBACK_DEADLINE_MS must be a whole number from 100 to 4800/],
    [{ PORT: '-1' }, /PORT must be a whole number from 0 to 65535/],
    [{ LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of debug, info, warn, error, silent/],
    [{ OSS_CALLBACK_TRUSTED_KEYS: '/nonexistent/keys.json' }, /OSS_CALLBACK_TRUSTED_KEYS: cannot read the trusted keys file/],
  ])('refuses %o with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
