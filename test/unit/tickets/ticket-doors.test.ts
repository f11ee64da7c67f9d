import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CallbackRequest } from '../../../lib/exchange.js';
import { fc2RequestFromFile, fc2RequestFileOf, fc3EventOf, lambdaUrlEventOf } from '../../../lib/platforms/sample-events.js';
import { resetTicketInstance } from '../../../lib/tickets/instance.js';

/**
 * The deployed ticket function (functions/ticket.ts) behind every door: configuration from the
 * environment, credentials from the environment or, on Function Compute, from each invocation.
 */
const request: CallbackRequest = {
  method: 'POST',
  rawPath: '/',
  rawQuery: null,
  headers: { 'content-type': 'application/json', 'x-dev-user': 'alice', host: 'tickets.example.com' },
  body: Buffer.from(JSON.stringify({ fileName: 'cat.png', size: 10, contentType: 'image/png' })),
};

beforeAll(() => {
  vi.stubEnv('OSS_BUCKET', 'photos');
  vi.stubEnv('OSS_REGION', 'cn-hangzhou');
  vi.stubEnv('OSS_CALLBACK_URL', 'https://cb.example.com/oss/callback');
  vi.stubEnv('OSS_TICKET_KEYS', JSON.stringify({ k1: randomBytes(32).toString('base64') }));
  vi.stubEnv('OSS_TICKET_AUTH', 'dev');
  vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_ID', 'LTAI-env');
  vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'env-secret');
  vi.stubEnv('LOG_LEVEL', 'silent');
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => resetTicketInstance());

afterAll(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const upload = (body: string) => JSON.parse(body) as { key: string; fields: Record<string, string> };

describe('functions/ticket.ts', () => {
  it('issues through the Lambda function URL door with the environment credentials', async () => {
    const { lambda } = await import('../../../functions/ticket.js');
    const result = await lambda(lambdaUrlEventOf(request), { awsRequestId: 'r1', getRemainingTimeInMillis: () => 3000 });
    expect(result.statusCode).toBe(200);
    expect(upload(result.body).fields['x-oss-credential']).toMatch(/^LTAI-env\//);
    expect(upload(result.body).fields).not.toHaveProperty('x-oss-security-token');
  });

  it('issues through the FC 3.0 door, signing with each invocation\'s STS credentials', async () => {
    const { fc3 } = await import('../../../functions/ticket.js');
    const event = Buffer.from(JSON.stringify(fc3EventOf(request)));
    const first = await fc3(event, { requestId: 'a', credentials: { accessKeyId: 'STS.one', accessKeySecret: 's1', securityToken: 'token-1' } });
    const second = await fc3(event, { requestId: 'b', credentials: { accessKeyId: 'STS.two', accessKeySecret: 's2', securityToken: 'token-2' } });
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(upload(first.body).fields).toMatchObject({ 'x-oss-security-token': 'token-1', 'x-oss-credential': expect.stringMatching(/^STS\.one\//) });
    expect(upload(second.body).fields).toMatchObject({ 'x-oss-security-token': 'token-2', 'x-oss-credential': expect.stringMatching(/^STS\.two\//) });
  });

  it('issues through the FC 2.0 door', async () => {
    const { fc2 } = await import('../../../functions/ticket.js');
    const answer: { status?: number; headers: Record<string, string>; body?: string } = { headers: {} };
    await fc2(fc2RequestFromFile(fc2RequestFileOf(request)), {
      setStatusCode: (status) => void (answer.status = status),
      setHeader: (name, value) => void (answer.headers[name] = value),
      send: (body) => void (answer.body = body.toString()),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(upload(answer.body!).key).toMatch(/^uploads\/alice\//);
  });

  it('answers 500 Misconfigured, naming the variable, when the environment is incomplete, and starts once it is fixed', async () => {
    const { lambda } = await import('../../../functions/ticket.js');
    vi.stubEnv('OSS_BUCKET', '');
    const broken = await lambda(lambdaUrlEventOf(request), { awsRequestId: 'r2', getRemainingTimeInMillis: () => 3000 });
    expect(broken.statusCode).toBe(500);
    expect(JSON.parse(broken.body)).toMatchObject({ code: 'Misconfigured', message: expect.stringContaining('OSS_BUCKET is required') });
    vi.stubEnv('OSS_BUCKET', 'photos');
    expect((await lambda(lambdaUrlEventOf(request), { awsRequestId: 'r3', getRemainingTimeInMillis: () => 3000 })).statusCode).toBe(200);
  });
});
