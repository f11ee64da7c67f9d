import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CallbackRequest, CallbackResponse } from '../../../lib/exchange.js';
import { MemoryStore } from '../../../lib/store/memory.js';
import type { UploadRecord } from '../../../lib/store/record.js';
import { loadTicketConfig } from '../../../lib/tickets/config.js';
import { ConfigError } from '../../../lib/config.js';
import { ticketRoutes, ticketRoutesFromEnv } from '../../../lib/tickets/local-routes.js';
import { statsAnswer } from '../../../lib/stats/stats-route.js';
import { createTicketService } from '../../../lib/tickets/service.js';
import { WEB_ROOT } from '../../../scripts/dev-stack.js';

const config = loadTicketConfig({
  OSS_BUCKET: 'photos',
  OSS_REGION: 'cn-hangzhou',
  OSS_CALLBACK_URL: 'http://127.0.0.1:9000/oss/callback',
  OSS_TICKET_KEYS: JSON.stringify({ k: randomBytes(32).toString('base64') }),
  OSS_TICKET_AUTH: 'dev',
  LOG_LEVEL: 'silent',
});

function record(id: string, uploader: string | null): UploadRecord {
  return { id, source: 'callback', bucket: 'photos', object: `uploads/${uploader}/${id}`, etag: null, size: 1, mimeType: null, crc64: null, contentMd5: null, operation: null, reqId: id, clientIp: null, vpcId: null, image: null, vars: {}, uploader, lastModified: null, metadata: {}, receivedAt: `2025-06-01T12:00:0${id}.000Z` };
}

async function setup() {
  const store = new MemoryStore();
  for (const [id, uploader] of [['1', 'alice'], ['2', 'bob'], ['3', 'alice'], ['4', null]] as const) {
    await store.create({ fingerprint: id, record: record(id, uploader) });
  }
  const tickets = createTicketService({ config, credentials: () => ({ accessKeyId: 'a', accessKeySecret: 'b' }) });
  return ticketRoutes({ tickets, store, webRoot: WEB_ROOT });
}

const get = (rawPath: string, headers: Record<string, string> = {}, method = 'GET'): CallbackRequest => ({ method, rawPath, rawQuery: null, headers, body: Buffer.alloc(0) });
const json = async (answer: Promise<CallbackResponse> | undefined) => JSON.parse((await answer!).body.toString());

describe('the local server routes beside the callback', () => {
  it('lists the signed-in user\'s records, newest first, and no one else\'s', async () => {
    const routes = await setup();
    const answer = await json(routes(get('/records', { 'x-dev-user': 'alice' })));
    expect(answer.uploader).toBe('alice');
    expect(answer.records.map((r: UploadRecord) => r.id)).toEqual(['3', '1']);
  });

  it('refuses the records of nobody, and methods other than GET', async () => {
    const routes = await setup();
    const anonymous = await routes(get('/records'))!;
    expect(anonymous.status).toBe(401);
    const posted = await routes(get('/records', { 'x-dev-user': 'alice' }, 'POST'))!;
    expect({ status: posted.status, allow: posted.headers.allow }).toEqual({ status: 405, allow: 'GET' });
  });

  it('serves the page and its files, and nothing else from disk', async () => {
    const routes = await setup();
    const page = await routes(get('/'))!;
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body.toString()).toContain('<script src="/app.js"');
    expect((await routes(get('/app.js'))!).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await routes(get('/style.css'))!).headers['content-type']).toBe('text/css; charset=utf-8');
    for (const path of ['/index.html', '/../package.json', '/%2e%2e/package.json', '/web/app.js']) expect(routes(get(path))).toBeUndefined();
  });

  it('counts every upload per hour by source for any signed-in user, and refuses anyone else, other methods and windows', async () => {
    const routes = await setup();
    const day = await routes(get('/stats', { 'x-dev-user': 'bob' }))!;
    expect(day.status).toBe(200);
    const answer = JSON.parse(day.body.toString());
    expect(answer).toMatchObject({ window: 'day', by: 'hour' });
    expect(answer.periods).toHaveLength(24);
    const week = await json(routes({ ...get('/stats', { 'x-dev-user': 'bob' }), rawQuery: 'window=week' }));
    expect(week.periods).toHaveLength(168);
    expect((await routes(get('/stats'))!).status).toBe(401);
    expect((await routes(get('/stats', { 'x-dev-user': 'bob' }, 'POST'))!).status).toBe(405);
    const month = await routes({ ...get('/stats', { 'x-dev-user': 'bob' }), rawQuery: 'window=month' })!;
    expect({ status: month.status, code: JSON.parse(month.body.toString()).code }).toEqual({ status: 400, code: 'MalformedRequest' });
  });

  it('hands the callback (any other request) to the receiver', async () => {
    const routes = await setup();
    expect(routes(get('/oss/callback', {}, 'POST'))).toBeUndefined();
    expect(routes(get('/', {}, 'POST'))).toBeUndefined();
  });

  it('sends POST /tickets to the ticket function', async () => {
    const routes = await setup();
    const answer = await routes({ ...get('/tickets', { 'x-dev-user': 'alice' }, 'POST'), body: Buffer.from('{"fileName":"a.txt","size":1}') })!;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString()).key).toMatch(/^uploads\/alice\//);
  });
});

describe('statsAnswer', () => {
  it('counts the current hour and the 23 before it, or the week, each upload in its hour by source', async () => {
    const store = new MemoryStore();
    const at = (id: string, source: UploadRecord['source'], receivedAt: string) => store.create({ fingerprint: id, record: { ...record(id, null), source, receivedAt } });
    await at('a', 'callback', '2025-06-01T11:59:59.999Z');
    await at('b', 'event', '2025-06-01T12:00:00.000Z');
    await at('c', 'callback', '2025-06-01T12:30:00.000Z');
    await at('d', 'reconcile', '2025-05-31T13:00:00.000Z');
    await at('e', 'callback', '2025-05-31T12:59:59.999Z');
    const now = new Date('2025-06-01T12:45:00.000Z');
    const day = JSON.parse((await statsAnswer(store, get('/stats'), now)).body.toString());
    expect(day.since).toBe('2025-05-31T13:00:00.000Z');
    expect(day.periods.at(-1)).toEqual({ start: '2025-06-01T12:00:00.000Z', end: now.toISOString(), callback: 1, event: 1, reconcile: 0, total: 2, coverage: 0.5 });
    expect(day.periods.at(-2)).toMatchObject({ callback: 1, total: 1 });
    expect(day.periods[0]).toMatchObject({ reconcile: 1, total: 1 });
    expect(day.overall).toEqual({ callback: 2, event: 1, reconcile: 1, total: 4, coverage: 0.5 });
    const week = JSON.parse((await statsAnswer(store, { ...get('/stats'), rawQuery: 'window=week' }, now)).body.toString());
    expect(week.overall.total).toBe(5);
  });
});

describe('oss-callback serve and the ticket route', () => {
  const env = {
    OSS_BUCKET: 'photos',
    OSS_REGION: 'cn-hangzhou',
    OSS_CALLBACK_URL: 'https://cb.example.com/oss/callback',
    OSS_TICKET_KEYS: JSON.stringify({ k: randomBytes(32).toString('base64') }),
    OSS_TICKET_AUTH: 'dev',
    ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI-serve',
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'serve-secret',
    ALIBABA_CLOUD_SECURITY_TOKEN: 'CAIS-serve',
    LOG_LEVEL: 'silent',
  };

  it('adds no routes unless OSS_TICKET_AUTH configures the ticket function', () => {
    expect(ticketRoutesFromEnv({ ...env, OSS_TICKET_AUTH: undefined })).toBeUndefined();
  });

  it('refuses an incomplete ticket configuration by name', () => {
    expect(() => ticketRoutesFromEnv({ ...env, OSS_BUCKET: undefined })).toThrow(ConfigError);
  });

  it('issues with the environment credentials, STS token included', async () => {
    const routes = ticketRoutesFromEnv(env)!(new MemoryStore());
    const answer = await routes({ ...get('/tickets', { 'x-dev-user': 'alice' }, 'POST'), body: Buffer.from('{"fileName":"a.txt","size":1}') })!;
    expect(JSON.parse(answer.body.toString()).fields).toMatchObject({ 'x-oss-credential': expect.stringMatching(/^LTAI-serve\//), 'x-oss-security-token': 'CAIS-serve' });
  });
});
