import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, createReceiver, jsonLogger, type CallbackResponse, type LogFields } from '../../lib/index.js';
import { receiverConfig } from '../../lib/receiver-options.js';
import { OFFICIAL_KEY_URLS } from '../../lib/protocol/official-key.js';
import { MemoryStore } from '../../lib/store/memory.js';
import { otherKey, signRequest, testKey } from '../support/keys.js';
import { tempDir } from '../support/temp-dir.js';

const json = (response: CallbackResponse) => JSON.parse(response.body.toString('utf8'));
const trustedKeys = { [testKey.keyUrl]: testKey.publicPem };

describe('createReceiver: options in code over the environment', () => {
  const dir = tempDir();
  const keysFile = (document: Record<string, string>) => {
    const path = join(dir, `keys-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(document));
    return path;
  };

  it('takes from the environment, exactly as loadConfig reads it, what the options leave out', () => {
    const env = { UPLOAD_STORE: 'memory:', OSS_CALLBACK_DEADLINE_MS: '900', OSS_CALLBACK_TRUSTED_KEYS: keysFile(trustedKeys) };

    const config = receiverConfig({ maxBodyBytes: 1024 }, env);

    expect(config).toMatchObject({ store: 'memory:', deadlineMs: 900, maxBodyBytes: 1024 });
    expect(config.pinnedKeys.has(testKey.keyUrl)).toBe(true);
  });

  it('does not read a variable an option replaces, even a broken one', () => {
    const env = { UPLOAD_STORE: 'nonsense', OSS_CALLBACK_DEADLINE_MS: 'soon', OSS_CALLBACK_TRUSTED_KEYS: join(dir, 'missing.json'), OSS_CALLBACK_REQUIRE_TICKET: 'yes', LOG_LEVEL: 'loud' };
    const options = { store: 'memory:', deadlineMs: 1500, trustedKeys: { [otherKey.keyUrl]: otherKey.publicPem }, tickets: false as const, logger: jsonLogger('silent') };

    const config = receiverConfig(options, env);

    expect(config).toMatchObject({ store: 'memory:', deadlineMs: 1500, tickets: null, trustedKeysFile: null });
    expect([...config.pinnedKeys.keys()].sort()).toEqual([...OFFICIAL_KEY_URLS, otherKey.keyUrl].sort());
  });

  it('gives ticket keys to the ticket step as the environment would', () => {
    const keys = { k1: Buffer.alloc(32, 7).toString('base64') };

    expect(receiverConfig({ tickets: { keys, required: true } }, {}).tickets).toEqual({ keysJson: JSON.stringify(keys), required: true });
  });

  it.each([
    ['deadlineMs', { deadlineMs: 50 }, /^deadlineMs must be a whole number from 100 to 4800, got 50$/],
    ['maxBodyBytes', { maxBodyBytes: 1.5 }, /^maxBodyBytes must be a whole number from 1 to 1048576, got 1.5$/],
    ['a private key in trustedKeys', { trustedKeys: { [testKey.keyUrl]: testKey.privatePem } }, /trustedKeys: the entry for .* is not a PEM public key/],
  ])('refuses %s with a ConfigError naming the option', (_case, options, message) => {
    expect(() => receiverConfig(options, {})).toThrow(ConfigError);
    expect(() => receiverConfig(options, {})).toThrow(message);
  });

  it('refuses trustedKeys that would give the official key URL another key, as the trusted-keys file does', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 512 });
    const trustedKeys = { [OFFICIAL_KEY_URLS[0]]: publicKey.export({ type: 'spki', format: 'pem' }).toString() };

    await expect(createReceiver({ store: 'memory:', trustedKeys, env: {} })).rejects.toThrow(/official OSS key URL; its key is pinned and cannot be replaced/);
  });

  it('records into the store given, answers with the answer fields, and leaves that store open on close', async () => {
    const store = new MemoryStore();
    const lines: LogFields[] = [];
    const receiver = await createReceiver({
      store,
      trustedKeys,
      env: {},
      logger: jsonLogger('info', (line) => void lines.push(JSON.parse(line))),
      answer: (record) => ({ url: `https://cdn.example.com/${record.object}` }),
    });

    const answer = json(await receiver.handle(signRequest({ body: 'bucket=photos&object=a.jpg&etag=E1' })));
    await receiver.close();

    expect(answer).toMatchObject({ Status: 'OK', url: 'https://cdn.example.com/a.jpg' });
    expect(receiver.store).toBe(store);
    expect(await store.list({})).toEqual([answer.record]);
    expect(lines).toEqual([expect.objectContaining({ message: 'callback', status: 200, keyUrl: testKey.keyUrl })]);
  });

  it('refuses a callback signed with a key it was not given', async () => {
    const receiver = await createReceiver({ store: 'memory:', trustedKeys, env: {}, logger: jsonLogger('silent') });

    const answer = await receiver.handle(signRequest({ key: otherKey }));

    expect(answer.status).toBe(403);
    expect(json(answer).code).toBe('UntrustedKeyUrl');
  });
});
