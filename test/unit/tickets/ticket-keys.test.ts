import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildReceiver } from '../../../lib/build-receiver.js';
import { ConfigError, loadConfig } from '../../../lib/config.js';
import { parseTicketKeys, signingKey } from '../../../lib/tickets/keys.js';

const secret = (bytes = 32) => randomBytes(bytes).toString('base64url');

describe('ticket keys (OSS_TICKET_KEYS, OSS_TICKET_KEY_ID)', () => {
  it('reads base64 and base64url secrets by key id', () => {
    const raw = randomBytes(48);
    const keys = parseTicketKeys(JSON.stringify({ '2025-01': raw.toString('base64'), '2025-02': raw.toString('base64url') }));
    expect([...keys.keys()]).toEqual(['2025-01', '2025-02']);
    expect(Buffer.from(keys.get('2025-01')!)).toEqual(raw);
    expect(Buffer.from(keys.get('2025-02')!)).toEqual(raw);
  });

  it.each([
    ['not JSON', 'k1=abc', /JSON object/],
    ['an empty object', '{}', /at least one key/],
    ['an array', '["a"]', /at least one key/],
    ['a bad key id', JSON.stringify({ 'a b': secret() }), /key id "a b"/],
    ['a secret that is not base64', JSON.stringify({ k1: 'not base64!' }), /k1 must be a base64 string/],
    ['a short secret', JSON.stringify({ k1: secret(16) }), /at least 32 bytes/],
  ])('refuses %s, without echoing a secret', (_, json, message) => {
    expect(() => parseTicketKeys(json)).toThrow(message);
  });

  it('signs with the named key, or the only one', () => {
    const keys = parseTicketKeys(JSON.stringify({ old: secret(), new: secret() }));
    expect(signingKey(keys, 'new').id).toBe('new');
    expect(() => signingKey(keys, undefined)).toThrow(/name the key to sign with: one of old, new/);
    expect(() => signingKey(keys, 'gone')).toThrow(/no key "gone"/);
    expect(signingKey(parseTicketKeys(JSON.stringify({ only: secret() })), undefined).id).toBe('only');
  });

  it('configures the receiver: keys check tickets, OSS_CALLBACK_REQUIRE_TICKET requires them', async () => {
    const OSS_TICKET_KEYS = JSON.stringify({ k1: secret() });
    expect(loadConfig({}).tickets).toBeNull();
    expect(loadConfig({ OSS_TICKET_KEYS }).tickets).toMatchObject({ required: false });
    expect(loadConfig({ OSS_TICKET_KEYS, OSS_CALLBACK_REQUIRE_TICKET: 'true' }).tickets).toMatchObject({ required: true });
    expect(loadConfig({ OSS_TICKET_KEYS, OSS_CALLBACK_REQUIRE_TICKET: 'off' }).tickets).toMatchObject({ required: false });
    expect(() => loadConfig({ OSS_CALLBACK_REQUIRE_TICKET: '1' })).toThrow(/OSS_CALLBACK_REQUIRE_TICKET needs OSS_TICKET_KEYS/);
    expect(() => loadConfig({ OSS_TICKET_KEYS, OSS_CALLBACK_REQUIRE_TICKET: 'sometimes' })).toThrow(ConfigError);
    const key = secret(8);
    // The keys are parsed where the ticket step is built, when the receiver starts.
    const config = loadConfig({ OSS_TICKET_KEYS: JSON.stringify({ k1: key }), UPLOAD_STORE: 'memory:' });
    const error = await buildReceiver(config).then(() => undefined, (caught: Error) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(/^OSS_TICKET_KEYS the secret of key k1/);
    expect(error?.message).not.toContain(key);
  });
});
