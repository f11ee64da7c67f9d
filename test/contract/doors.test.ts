import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fc2, fc3 } from '../../functions/callback-fc.js';
import { lambda } from '../../functions/callback-lambda.js';
import { loadConfig } from '../../lib/config.js';
import type { CallbackRequest } from '../../lib/exchange.js';
import { resetInstance } from '../../lib/instance.js';
import { silentLogger } from '../../lib/logger.js';
import type { Fc2Response } from '../../lib/platforms/fc2.types.js';
import { startLocalServer, type LocalServer } from '../../lib/platforms/node-http.js';
import { fc2RequestFileOf, fc2RequestFromFile, fc3EventOf, lambdaUrlEventOf } from '../../lib/platforms/sample-events.js';
import { signedCallback } from '../../lib/protocol/sign.js';
import { CONTENT_TYPES } from '../../lib/protocol/templates.js';

/**
 * One signed callback, every door, one answer. The serverless doors run through their deployed entries
 * (functions/callback-lambda.ts, functions/callback-fc.ts: the warm instance from the environment),
 * the node door over real HTTP. Each
 * delivery meets a fresh instance with its own memory: store, and the clock is frozen, so the
 * answers can be compared byte for byte.
 */
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const keyUrl = 'https://keys.test.invalid/doors.pem';
const dir = mkdtempSync(join(tmpdir(), 'doors-'));
const trustedKeys = join(dir, 'trusted-keys.json');
writeFileSync(trustedKeys, JSON.stringify({ [keyUrl]: publicKey.export({ type: 'spki', format: 'pem' }).toString() }));
const env = { UPLOAD_STORE: 'memory:', OSS_CALLBACK_TRUSTED_KEYS: trustedKeys, LOG_LEVEL: 'silent' };

interface Answer {
  status: number;
  body: string;
}

type Delivery = { request: CallbackRequest; base64Body: boolean };

const lambdaContext = { awsRequestId: 'aws-1', getRemainingTimeInMillis: () => 5_000 };
const fcContext = { requestId: 'fc-1', function: { timeout: 6 } };

const doors: Record<string, (delivery: Delivery) => Promise<Answer>> = {
  'lambda-url': async ({ request, base64Body }) => {
    const result = await lambda(lambdaUrlEventOf(request, { base64Body }), lambdaContext);
    return { status: result.statusCode, body: Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8').toString() };
  },
  fc3: async ({ request, base64Body }) => {
    const result = await fc3(Buffer.from(JSON.stringify(fc3EventOf(request, { base64Body }))), fcContext);
    return { status: result.statusCode, body: Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8').toString() };
  },
  fc2: async ({ request, base64Body }) => {
    const answer = { status: 0, body: '' };
    const resp: Fc2Response = { setStatusCode: (code) => void (answer.status = code), setHeader: () => {}, send: (body) => void (answer.body = body.toString()) };
    const file = JSON.parse(JSON.stringify(fc2RequestFileOf(request, { base64Body })));
    await fc2(fc2RequestFromFile(file), resp, fcContext);
    return answer;
  },
  'node-http': async ({ request }) => {
    // A fresh server per delivery, as the other doors get a fresh instance.
    const server = await startLocalServer({ config: loadConfig(env), port: 0, logger: silentLogger });
    try {
      return await sendOverHttp(server, request);
    } finally {
      await server.close();
    }
  },
};

function sendOverHttp(server: LocalServer, request: CallbackRequest): Promise<Answer> {
  const { host: _host, connection: _connection, ...headers } = request.headers;
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, method: request.method, path: request.rawQuery === null ? request.rawPath : `${request.rawPath}?${request.rawQuery}`, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

function signed(url: string, body: string | Buffer, type: 'form' | 'json' = 'form'): CallbackRequest {
  return signedCallback({
    privateKey,
    keyUrl,
    url: `https://callback.test.invalid${url}`,
    body: Buffer.from(body),
    contentType: CONTENT_TYPES[type],
    requestId: '5C1B138A109F4E405B2D0000',
    date: new Date('2026-08-01T10:00:00Z'),
  });
}

const form = 'bucket=photos&object=users%2F42%2Fcat%20photo.jpg&size=3&reqId=5C1B138A109F4E405B2D0001&x:uid=42';
const json = '{"bucket":"photos","object":"users/42/cat photo.jpg","size":3,"crc64":13281376522424012436,"reqId":"5C1B138A109F4E405B2D0002"}';

const tampered = (() => {
  const request = signed('/oss/callback', form);
  return { ...request, body: Buffer.from(form.replace('size=3', 'size=4')) };
})();

const cases: Record<string, { delivery: Delivery; status: number; code?: string }> = {
  'form body, no query': { delivery: { request: signed('/oss/callback', form), base64Body: false }, status: 200 },
  'JSON body': { delivery: { request: signed('/oss/callback', json, 'json'), base64Body: false }, status: 200 },
  query: { delivery: { request: signed('/oss/callback?tenant=7&next=%2Fhome', form), base64Body: false }, status: 200 },
  'percent-encoded path': { delivery: { request: signed('/oss/%E5%9B%9E%E8%B0%83/cb+1', form), base64Body: false }, status: 200 },
  'base64-encoded body': { delivery: { request: signed('/oss/callback', json, 'json'), base64Body: true }, status: 200 },
  tampered: { delivery: { request: tampered, base64Body: false }, status: 401, code: 'SignatureMismatch' },
  'untrusted key': {
    delivery: { request: { ...signed('/oss/callback', form), headers: { ...signed('/oss/callback', form).headers, 'x-oss-pub-key-url': Buffer.from('https://evil.test/k.pem').toString('base64') } }, base64Body: false },
    status: 403,
    code: 'UntrustedKeyUrl',
  },
};

beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-08-01T10:00:01Z'));
  vi.stubEnv('UPLOAD_STORE', env.UPLOAD_STORE);
  vi.stubEnv('OSS_CALLBACK_TRUSTED_KEYS', env.OSS_CALLBACK_TRUSTED_KEYS);
  vi.stubEnv('LOG_LEVEL', env.LOG_LEVEL);
});

afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

beforeEach(() => resetInstance());

describe.each(Object.entries(cases))('every door answers alike: %s', (_, { delivery, status, code }) => {
  it('gives the same status and body through Lambda URL, FC 3.0, FC 2.0 and node:http', async () => {
    const answers: Record<string, Answer> = {};
    for (const [door, deliver] of Object.entries(doors)) {
      resetInstance();
      answers[door] = await deliver(delivery);
    }
    const expected = answers['node-http']!;
    expect(expected.status).toBe(status);
    if (code) expect(JSON.parse(expected.body)).toMatchObject({ code });
    else expect(JSON.parse(expected.body)).toMatchObject({ Status: 'OK', record: { bucket: 'photos', object: 'users/42/cat photo.jpg' } });
    for (const answer of Object.values(answers)) expect(answer).toEqual(expected);
  });
});

describe('where FC 3.0 cannot match: a query OSS signed in a spelling encodeURIComponent does not write', () => {
  it('is accepted by the doors that see the raw query and refused by FC 3.0, which names the rebuild', async () => {
    const delivery = { request: signed('/oss/callback?v=%7e', form), base64Body: false };
    const answers: Record<string, Answer> = {};
    for (const [door, deliver] of Object.entries(doors)) {
      resetInstance();
      answers[door] = await deliver(delivery);
    }
    expect(answers['lambda-url']!.status).toBe(200);
    expect(answers.fc2!.status).toBe(200);
    expect(answers['node-http']!.status).toBe(200);
    expect(answers.fc3!.status).toBe(401);
    expect(JSON.parse(answers.fc3!.body)).toMatchObject({ code: 'SignatureMismatch', message: expect.stringMatching(/rebuilt/) });
  });
});

describe('a repeated delivery through each door', () => {
  it('returns the stored answer again', async () => {
    const delivery = { request: signed('/oss/callback', form), base64Body: false };
    for (const [door, deliver] of Object.entries(doors).filter(([name]) => name !== 'node-http')) {
      resetInstance();
      const first = await deliver(delivery);
      const again = await deliver(delivery);
      expect(again, door).toEqual(first);
    }
  });
});
