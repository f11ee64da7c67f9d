import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallbackRequest, CallbackResponse } from '../../../lib/exchange.js';
import { parseCallbackParam } from '../../../lib/protocol/callback-param.js';
import { SYSTEM_VARIABLES } from '../../../lib/protocol/templates.js';
import { loadTicketConfig, type TicketConfig } from '../../../lib/tickets/config.js';
import { parseTicketKeys } from '../../../lib/tickets/keys.js';
import { safeFileName, userPrefix } from '../../../lib/tickets/object-key.js';
import { createTicketService } from '../../../lib/tickets/service.js';
import { verifyTicket } from '../../../lib/tickets/ticket.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const KEYS = JSON.stringify({ k1: randomBytes(32).toString('base64') });
const CREDENTIALS = { accessKeyId: 'LTAI-test', accessKeySecret: 'test-secret' };
const ENV = {
  OSS_BUCKET: 'photos',
  OSS_REGION: 'cn-hangzhou',
  OSS_CALLBACK_URL: 'https://cb.example.com/oss/callback',
  OSS_TICKET_KEYS: KEYS,
  OSS_TICKET_AUTH: 'dev',
  OSS_TICKET_CORS_ORIGINS: 'https://app.example.com',
};

function request(body: unknown, headers: Record<string, string> = { 'x-dev-user': 'alice' }, method = 'POST'): CallbackRequest {
  return { method, rawPath: '/', rawQuery: null, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) };
}

const json = (response: CallbackResponse) => JSON.parse(response.body.toString('utf8'));
const decode = (base64: string) => JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));

function service(env: Record<string, string> = {}, credentials: () => typeof CREDENTIALS | undefined = () => CREDENTIALS) {
  const lines: string[] = [];
  const config: TicketConfig = loadTicketConfig({ ...ENV, ...env });
  const tickets = createTicketService({ config, credentials, logger: { log: (level, message, fields) => lines.push(JSON.stringify({ level, message, ...fields })) }, now: () => NOW });
  return { tickets, lines };
}

describe('the ticket function', () => {
  it('answers a signed-in user with a V4 PostObject form that pins bucket, folder, size, type and callback', async () => {
    const { tickets, lines } = service();
    const response = await tickets.handle(request({ fileName: 'C:\\fakepath\\cat photo.png', size: 4096, contentType: 'image/png' }));

    expect(response.status).toBe(200);
    const upload = json(response);
    expect(upload).toMatchObject({ url: 'https://photos.oss-cn-hangzhou.aliyuncs.com', method: 'POST', fileField: 'file', uploader: 'alice', maxSize: 4096, expiresAt: '2025-06-01T12:10:00.000Z' });
    expect(upload.key).toMatch(/^uploads\/alice\/[0-9a-f-]{36}\/cat photo\.png$/);
    expect(Object.keys(upload.fields)).toEqual([
      'key',
      'Content-Type',
      'policy',
      'x-oss-signature-version',
      'x-oss-credential',
      'x-oss-date',
      'x-oss-signature',
      'callback',
      'x:ticket',
    ]);
    expect(upload.fields).toMatchObject({ key: upload.key, 'Content-Type': 'image/png', 'x-oss-credential': 'LTAI-test/20250601/cn-hangzhou/oss/aliyun_v4_request', 'x-oss-date': '20250601T120000Z' });

    const policy = decode(upload.fields.policy);
    expect(policy).toEqual({
      expiration: '2025-06-01T12:10:00.000Z',
      conditions: [
        { bucket: 'photos' },
        ['starts-with', '$key', 'uploads/alice/'],
        ['content-length-range', 0, 4096],
        ['eq', '$content-type', 'image/png'],
        { callback: upload.fields.callback },
        { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' },
        { 'x-oss-credential': upload.fields['x-oss-credential'] },
        { 'x-oss-date': '20250601T120000Z' },
      ],
    });

    const callback = parseCallbackParam(upload.fields.callback);
    expect(callback).toMatchObject({ urls: ['https://cb.example.com/oss/callback'], sni: true, bodyType: 'application/x-www-form-urlencoded' });
    const variables = callback.template.filter((part) => part.kind === 'variable').map((part) => (part as { name: string }).name);
    expect(variables).toEqual([...SYSTEM_VARIABLES, 'x:ticket']);

    const ticket = await verifyTicket(upload.fields['x:ticket'], parseTicketKeys(KEYS), NOW);
    expect(ticket).toMatchObject({ sub: 'alice', bucket: 'photos', prefix: 'uploads/alice/', maxSize: 4096, iat: NOW / 1000, exp: NOW / 1000 + 600 + 3600 });
    expect(upload.key).toContain(ticket.jti);

    const log = lines.join('\n');
    expect(log).not.toContain(upload.fields['x:ticket']);
    expect(log).not.toContain(upload.fields['x-oss-signature']);
    expect(log).not.toContain(CREDENTIALS.accessKeySecret);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: 'warn', message: expect.stringContaining('OSS_TICKET_AUTH=dev') }),
      expect.objectContaining({ message: 'ticket', status: 200, uploader: 'alice', key: upload.key, size: 4096, sts: false }),
    ]);
  });

  it('signs with STS credentials, putting the token in the form and pinning it in the policy', async () => {
    const { tickets } = service({}, () => ({ ...CREDENTIALS, securityToken: 'CAIS-sts' }));
    const upload = json(await tickets.handle(request({ fileName: 'a.txt', size: 1 })));
    expect(upload.fields['x-oss-security-token']).toBe('CAIS-sts');
    expect(decode(upload.fields.policy).conditions).toContainEqual({ 'x-oss-security-token': 'CAIS-sts' });
    expect(upload.fields['Content-Type']).toBe('application/octet-stream');
  });

  it('issues keys under the folder of the day (UTC) with a dated key prefix, and binds the ticket and the policy to it', async () => {
    const { tickets } = service({ OSS_TICKET_KEY_PREFIX: 'uploads/{yyyy}/{mm}/{dd}/' });
    const upload = json(await tickets.handle(request({ fileName: 'cat.png', size: 10, contentType: 'image/png' })));
    expect(upload.key).toMatch(/^uploads\/2025\/06\/01\/alice\/[0-9a-f-]{36}\/cat\.png$/);
    expect(decode(upload.fields.policy).conditions[1]).toEqual(['starts-with', '$key', 'uploads/2025/06/01/alice/']);
    expect(await verifyTicket(upload.fields['x:ticket'], parseTicketKeys(KEYS), NOW)).toMatchObject({ prefix: 'uploads/2025/06/01/alice/' });
  });

  it('asks for no SNI when the callback URL is plain http', async () => {
    const { tickets } = service({ OSS_CALLBACK_URL: 'http://127.0.0.1:9000/oss/callback' });
    const upload = json(await tickets.handle(request({ fileName: 'a.txt', size: 1 })));
    expect(decode(upload.fields.callback)).toEqual({ callbackUrl: 'http://127.0.0.1:9000/oss/callback', callbackBody: expect.stringContaining('x:ticket=${x:ticket}') });
  });

  it.each([
    ['no body', '', 400, 'InvalidTicketRequest'],
    ['no file name', { size: 1 }, 400, 'InvalidTicketRequest'],
    ['a negative size', { fileName: 'a', size: -1 }, 400, 'InvalidTicketRequest'],
    ['a fractional size', { fileName: 'a', size: 1.5 }, 400, 'InvalidTicketRequest'],
    ['a content type that is not one', { fileName: 'a', size: 1, contentType: 'png' }, 400, 'InvalidTicketRequest'],
    ['a file over the limit', { fileName: 'a', size: 2049 }, 403, 'UploadNotAllowed'],
    ['a content type not allowed', { fileName: 'a.exe', size: 1, contentType: 'application/x-msdownload' }, 403, 'UploadNotAllowed'],
  ])('refuses %s', async (_, body, status, code) => {
    const { tickets } = service({ OSS_TICKET_MAX_SIZE: '2048', OSS_TICKET_CONTENT_TYPES: 'image/*,text/plain' });
    const response = await tickets.handle(request(body));
    expect({ status: response.status, code: json(response).code }).toEqual({ status, code });
  });

  it('allows a content type by its family', async () => {
    const { tickets } = service({ OSS_TICKET_CONTENT_TYPES: 'image/*' });
    expect((await tickets.handle(request({ fileName: 'a.webp', size: 1, contentType: 'image/webp' }))).status).toBe(200);
  });

  it('refuses to sign without credentials, as a misconfiguration', async () => {
    const { tickets } = service({}, () => undefined);
    const response = await tickets.handle(request({ fileName: 'a', size: 1 }));
    expect({ status: response.status, code: json(response).code }).toEqual({ status: 500, code: 'Misconfigured' });
    expect(json(response).message).toMatch(/ALIBABA_CLOUD_ACCESS_KEY_ID/);
  });

  it('answers CORS preflights and answers with CORS headers for a listed origin only', async () => {
    const { tickets } = service();
    const preflight = await tickets.handle(request('', { origin: 'https://app.example.com', 'access-control-request-method': 'POST' }, 'OPTIONS'));
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'authorization, content-type, x-dev-user',
    });
    const answer = await tickets.handle(request({ fileName: 'a', size: 1 }, { 'x-dev-user': 'alice', origin: 'https://app.example.com' }));
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const other = await tickets.handle(request({ fileName: 'a', size: 1 }, { 'x-dev-user': 'alice', origin: 'https://evil.example' }));
    expect(other.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('answers other methods with 405 and an Allow header', async () => {
    const { tickets } = service();
    const response = await tickets.handle(request('', {}, 'GET'));
    expect({ status: response.status, code: json(response).code, allow: response.headers.allow }).toEqual({ status: 405, code: 'MethodNotAllowed', allow: 'POST, OPTIONS' });
  });

  describe('development sign-in (OSS_TICKET_AUTH=dev)', () => {
    it.each([
      ['no user', {}, 'AuthenticationRequired'],
      ['a user name with a slash', { 'x-dev-user': 'a/b' }, 'AuthenticationFailed'],
    ])('refuses %s with 401', async (_, headers, code) => {
      const response = await service().tickets.handle(request({ fileName: 'a', size: 1 }, headers));
      expect({ status: response.status, code: json(response).code }).toEqual({ status: 401, code });
    });

    it('is the only mode that reads x-dev-user', async () => {
      const { tickets } = service({ OSS_TICKET_AUTH: 'secret', OSS_TICKET_AUTH_SECRET: 's'.repeat(32) });
      expect(json(await tickets.handle(request({ fileName: 'a', size: 1 }))).code).toBe('AuthenticationRequired');
    });
  });

  describe('bearer JWTs with a shared secret (OSS_TICKET_AUTH=secret)', () => {
    const secret = new TextEncoder().encode('an application secret of 32 bytes+');
    const env = { OSS_TICKET_AUTH: 'secret', OSS_TICKET_AUTH_SECRET: 'an application secret of 32 bytes+', OSS_TICKET_AUTH_AUDIENCE: 'uploads' };
    const token = (claims: { sub?: string; aud?: string; exp?: number } = {}, key = secret) =>
      new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(claims.sub ?? 'bob').setAudience(claims.aud ?? 'uploads').setExpirationTime(claims.exp ?? NOW / 1000 + 60).sign(key);

    it('issues to the token subject, and never logs the token', async () => {
      const { tickets, lines } = service(env);
      const bearer = await token();
      const upload = json(await tickets.handle(request({ fileName: 'a', size: 1 }, { authorization: `Bearer ${bearer}` })));
      expect(upload.uploader).toBe('bob');
      expect(upload.key).toMatch(/^uploads\/bob\//);
      expect(lines.join('\n')).not.toContain(bearer);
    });

    it.each([
      ['no Authorization', async () => undefined, 'AuthenticationRequired', /sign in/],
      ['a token for another audience', () => token({ aud: 'billing' }), 'AuthenticationFailed', /aud claim/],
      ['an expired token', () => token({ exp: NOW / 1000 - 3600 }), 'AuthenticationFailed', /expired/],
      ['a token signed with another secret', () => token({}, new TextEncoder().encode('another secret, also 32 bytes long')), 'AuthenticationFailed', /SIGNATURE/],
      ['garbage', async () => 'not.a.jwt', 'AuthenticationFailed', /accepted/],
    ])('refuses %s with 401 and WWW-Authenticate', async (_, make, code, message) => {
      const bearer = await make();
      const response = await service(env).tickets.handle(request({ fileName: 'a', size: 1 }, bearer ? { authorization: `Bearer ${bearer}` } : {}));
      expect({ status: response.status, code: json(response).code, challenge: response.headers['www-authenticate'] }).toEqual({ status: 401, code, challenge: 'Bearer' });
      expect(json(response).message).toMatch(message);
    });
  });

  describe('bearer JWTs from an identity provider (OSS_TICKET_AUTH=jwks)', () => {
    let server: Server;
    let jwksUrl: string;
    let fetches = 0;
    let sign: (claims: { iss?: string; sub?: string }) => Promise<string>;

    beforeAll(async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256');
      const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
      server = createServer((_, res) => {
        fetches++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      sign = (claims) =>
        new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'idp-1' }).setIssuer(claims.iss ?? 'https://idp.test/').setAudience('uploads').setSubject(claims.sub ?? 'auth0|carol').setIssuedAt().setExpirationTime('5m').sign(privateKey);
    });

    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const env = () => ({ OSS_TICKET_AUTH: 'jwks', OSS_TICKET_AUTH_JWKS_URL: jwksUrl, OSS_TICKET_AUTH_ISSUER: 'https://idp.test/', OSS_TICKET_AUTH_AUDIENCE: 'uploads' });
    // jose checks exp against the real clock here: the IdP's tokens are fresh.
    const live = () => {
      const config = loadTicketConfig({ ...ENV, ...env() });
      return createTicketService({ config, credentials: () => CREDENTIALS, logger: { log() {} } });
    };

    it('verifies against the JWKS fetched once per instance, and keeps the subject out of other users\' folders', async () => {
      const tickets = live();
      const first = json(await tickets.handle(request({ fileName: 'a', size: 1 }, { authorization: `Bearer ${await sign({})}` })));
      const second = json(await tickets.handle(request({ fileName: 'b', size: 1 }, { authorization: `Bearer ${await sign({ sub: '../bob' })}` })));
      expect(first.uploader).toBe('auth0|carol');
      expect(first.key).toMatch(/^uploads\/auth0%7Ccarol\//);
      expect(second.key).toMatch(/^uploads\/%2E%2E%2Fbob\//);
      expect(fetches).toBe(1);
    });

    it('refuses a token from another issuer', async () => {
      const response = await live().handle(request({ fileName: 'a', size: 1 }, { authorization: `Bearer ${await sign({ iss: 'https://other.test/' })}` }));
      expect({ status: response.status, code: json(response).code }).toEqual({ status: 401, code: 'AuthenticationFailed' });
    });

    it('answers 503 KeyUnavailable when the JWKS cannot be fetched', async () => {
      const config = loadTicketConfig({ ...ENV, ...env(), OSS_TICKET_AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks.json' });
      const tickets = createTicketService({ config, credentials: () => CREDENTIALS, logger: { log() {} } });
      const response = await tickets.handle(request({ fileName: 'a', size: 1 }, { authorization: `Bearer ${await sign({})}` }));
      expect({ status: response.status, code: json(response).code }).toEqual({ status: 503, code: 'KeyUnavailable' });
    });
  });
});

describe('object keys', () => {
  it('puts each user in a folder no subject can escape', () => {
    expect(userPrefix('uploads/', 'alice')).toBe('uploads/alice/');
    expect(userPrefix('uploads/', '..')).toBe('uploads/%2E%2E/');
    expect(userPrefix('', 'a/b')).toBe('a%2Fb/');
    expect(userPrefix('u/', 'alice@example.com')).toBe('u/alice%40example%2Ecom/');
  });

  it.each([
    ['C:\\fakepath\\report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['  spaced  ', 'spaced'],
    ['tab\tand\u0000nul.txt', 'tabandnul.txt'],
    ['..', 'file'],
    ['', 'file'],
    ['日本語のファイル.txt', '日本語のファイル.txt'],
    ['e\u0301.txt', '\u00e9.txt'],
  ])('makes %j a key segment: %j', (name, expected) => {
    expect(safeFileName(name)).toBe(expected);
  });

  it('cuts a long name to 200 bytes of UTF-8, keeping the extension and whole characters', () => {
    const name = safeFileName(`${'字'.repeat(100)}.jpeg`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
    expect(name.endsWith('.jpeg')).toBe(true);
    expect(name).not.toContain('\uFFFD');
  });
});
