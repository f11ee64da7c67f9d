import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/config.js';
import { loadTicketConfig } from '../../../lib/tickets/config.js';

const KEYS = JSON.stringify({ k1: randomBytes(32).toString('base64') });
const BASE = { OSS_BUCKET: 'photos', OSS_REGION: 'cn-hangzhou', OSS_CALLBACK_URL: 'https://cb.example.com/oss/callback', OSS_TICKET_KEYS: KEYS, OSS_TICKET_AUTH: 'dev' };

function failure(env: NodeJS.ProcessEnv): string {
  try {
    loadTicketConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('ticket function configuration', () => {
  it('has documented defaults and derives the endpoint from bucket and region', () => {
    const config = loadTicketConfig(BASE);
    expect(config).toMatchObject({
      bucket: 'photos',
      region: 'cn-hangzhou',
      endpoint: 'https://photos.oss-cn-hangzhou.aliyuncs.com',
      callbackUrl: 'https://cb.example.com/oss/callback',
      signingKey: { id: 'k1' },
      auth: { mode: 'dev' },
      ttlSeconds: 600,
      uploadWindowSeconds: 3600,
      maxSize: 104_857_600,
      keyPrefix: 'uploads/',
      contentTypes: null,
      corsOrigins: [],
    });
  });

  it('takes an endpoint, an oss- region, limits, content types and CORS origins', () => {
    const config = loadTicketConfig({
      ...BASE,
      OSS_REGION: 'oss-ap-southeast-1',
      OSS_ENDPOINT: 'http://127.0.0.1:9100/',
      OSS_TICKET_TTL_SECONDS: '120',
      OSS_TICKET_UPLOAD_WINDOW_SECONDS: '0',
      OSS_TICKET_MAX_SIZE: '1048576',
      OSS_TICKET_KEY_PREFIX: '',
      OSS_TICKET_CONTENT_TYPES: 'image/*, application/PDF',
      OSS_TICKET_CORS_ORIGINS: 'https://app.example.com,http://localhost:5173',
    });
    expect(config).toMatchObject({
      region: 'ap-southeast-1',
      endpoint: 'http://127.0.0.1:9100',
      ttlSeconds: 120,
      uploadWindowSeconds: 0,
      maxSize: 1_048_576,
      keyPrefix: '',
      contentTypes: ['image/*', 'application/pdf'],
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
    });
  });

  it.each([
    ['OSS_BUCKET', { OSS_BUCKET: '' }, /OSS_BUCKET is required/],
    ['a bad bucket', { OSS_BUCKET: 'No_Such' }, /OSS_BUCKET is not a bucket name/],
    ['OSS_REGION', { OSS_REGION: undefined }, /OSS_REGION is required/],
    ['a bad region', { OSS_REGION: 'hangzhou' }, /OSS_REGION must be a region id/],
    ['a bad endpoint', { OSS_ENDPOINT: 'ftp://x' }, /OSS_ENDPOINT must be an https URL/],
    ['OSS_CALLBACK_URL', { OSS_CALLBACK_URL: undefined }, /OSS_CALLBACK_URL is required/],
    ['an IPv6 callback URL', { OSS_CALLBACK_URL: 'http://[::1]:9000/cb' }, /OSS_CALLBACK_URL is not a callback URL OSS accepts/],
    ['OSS_TICKET_KEYS', { OSS_TICKET_KEYS: undefined }, /OSS_TICKET_KEYS is required/],
    ['a short ticket key', { OSS_TICKET_KEYS: JSON.stringify({ k1: 'c2hvcnQ=' }) }, /OSS_TICKET_KEYS the secret of key k1 must decode to at least 32 bytes/],
    ['two keys and no key id', { OSS_TICKET_KEYS: JSON.stringify({ a: randomBytes(32).toString('base64'), b: randomBytes(32).toString('base64') }) }, /OSS_TICKET_KEY_ID: name the key to sign with/],
    ['an unknown key id', { OSS_TICKET_KEY_ID: 'k9' }, /OSS_TICKET_KEY_ID: there is no key "k9"/],
    ['OSS_TICKET_AUTH', { OSS_TICKET_AUTH: undefined }, /OSS_TICKET_AUTH is required: how callers prove who they are: jwks, secret or dev/],
    ['an unknown auth mode', { OSS_TICKET_AUTH: 'none' }, /OSS_TICKET_AUTH must be jwks, secret or dev/],
    ['jwks without its URL', { OSS_TICKET_AUTH: 'jwks' }, /OSS_TICKET_AUTH_JWKS_URL is required/],
    ['jwks over plain http', { OSS_TICKET_AUTH: 'jwks', OSS_TICKET_AUTH_JWKS_URL: 'http://idp.example.com/jwks.json' }, /must be an https URL/],
    ['jwks without an audience', { OSS_TICKET_AUTH: 'jwks', OSS_TICKET_AUTH_JWKS_URL: 'https://idp.example.com/jwks.json', OSS_TICKET_AUTH_ISSUER: 'https://idp.example.com/' }, /OSS_TICKET_AUTH_AUDIENCE is required/],
    ['a short shared secret', { OSS_TICKET_AUTH: 'secret', OSS_TICKET_AUTH_SECRET: 'short' }, /OSS_TICKET_AUTH_SECRET must be at least 32 bytes/],
    ['a TTL out of range', { OSS_TICKET_TTL_SECONDS: '5' }, /OSS_TICKET_TTL_SECONDS must be a whole number from 30 to 86400/],
    ['a size over the 5 GB of PostObject', { OSS_TICKET_MAX_SIZE: String(6 * 1024 ** 3) }, /OSS_TICKET_MAX_SIZE must be a whole number/],
    ['a key prefix without its slash', { OSS_TICKET_KEY_PREFIX: 'uploads' }, /OSS_TICKET_KEY_PREFIX must be empty or a folder/],
    ['a dated key prefix out of order', { OSS_TICKET_KEY_PREFIX: 'uploads/{dd}/{mm}/' }, /OSS_TICKET_KEY_PREFIX: the prefix "uploads\/\{dd\}\/\{mm\}\/" must give the date fields from \{yyyy\} down/],
    ['a bad content type', { OSS_TICKET_CONTENT_TYPES: 'images' }, /OSS_TICKET_CONTENT_TYPES must list types/],
  ])('refuses to start without or with a wrong %s, naming the variable', (_, change, message) => {
    expect(failure({ ...BASE, ...change })).toMatch(message);
  });

  it('reads the auth modes', () => {
    expect(loadTicketConfig({ ...BASE, OSS_TICKET_AUTH: 'jwks', OSS_TICKET_AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json', OSS_TICKET_AUTH_ISSUER: 'https://idp.example.com/', OSS_TICKET_AUTH_AUDIENCE: 'uploads' }).auth).toEqual({
      mode: 'jwks',
      jwksUrl: new URL('https://idp.example.com/.well-known/jwks.json'),
      issuer: 'https://idp.example.com/',
      audience: 'uploads',
    });
    // A loopback JWKS may be plain http (a local identity provider, tests).
    expect(loadTicketConfig({ ...BASE, OSS_TICKET_AUTH: 'jwks', OSS_TICKET_AUTH_JWKS_URL: 'http://127.0.0.1:8080/jwks', OSS_TICKET_AUTH_ISSUER: 'i', OSS_TICKET_AUTH_AUDIENCE: 'a' }).auth.mode).toBe('jwks');
    expect(loadTicketConfig({ ...BASE, OSS_TICKET_AUTH: 'secret', OSS_TICKET_AUTH_SECRET: 'x'.repeat(32), OSS_TICKET_AUTH_AUDIENCE: 'uploads' }).auth).toMatchObject({ mode: 'secret', audience: 'uploads' });
  });

  it('never puts a secret in its messages', () => {
    const secret = 'sh0rt-but-secret';
    expect(failure({ ...BASE, OSS_TICKET_AUTH: 'secret', OSS_TICKET_AUTH_SECRET: secret })).not.toContain(secret);
  });
});
