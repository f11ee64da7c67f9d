import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEV_USER_HEADER } from '../../../lib/tickets/auth.js';
import { createTicketService } from '../../../lib/tickets/service.js';
import { loadTicketConfig } from '../../../lib/tickets/config.js';
import { tempDir } from '../../support/temp-dir.js';

type Environment = Record<string, unknown>;
interface Cors {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  maxAge: number;
}

const require = createRequire(import.meta.url);
const Plugin = require('../../../scripts/serverless-local.cjs') as (new (serverless: object) => { hooks: { initialize(): void } }) & {
  ticketCors(): Cors | false;
  ticketCorsFrom(env: NodeJS.ProcessEnv): Cors | false;
};

/** serverless.yml's shape as osls holds it: no provider environment, one per function. */
function run(commands: string[], serviceDir: string) {
  const functions = {
    callback: { environment: { UPLOAD_STORE: 'dynamodb:stage-table', LOG_LEVEL: 'debug' } as Environment },
    ticket: { environment: { OSS_BUCKET: 'photos', OSS_CALLBACK_URL: { 'Fn::GetAtt': ['CallbackLambdaFunctionUrl', 'FunctionUrl'] } } as Environment },
  } satisfies Record<string, { environment: Environment }>;
  const serverless = { processedInput: { commands }, serviceDir, service: { provider: {}, functions } };
  new Plugin(serverless).hooks.initialize();
  return { callback: functions.callback.environment, ticket: functions.ticket.environment, provider: serverless.service.provider };
}

describe('the osls plugin in scripts/serverless-local.cjs', () => {
  const serviceDir = tempDir('serverless-local-');
  afterEach(() => vi.unstubAllEnvs());

  it('points invoke local at memory:, a store the Lambda bundle carries, not the stage table', () => {
    vi.stubEnv('UPLOAD_STORE', '');
    expect(run(['invoke', 'local'], serviceDir).callback).toEqual({ UPLOAD_STORE: 'memory:', LOG_LEVEL: 'debug' });
  });

  it('lets the shell’s UPLOAD_STORE win for invoke local, and gives no store to a function without one', () => {
    vi.stubEnv('UPLOAD_STORE', 'dynamodb:my-local-table');
    const { callback, ticket, provider } = run(['invoke', 'local'], serviceDir);
    expect(callback.UPLOAD_STORE).toBe('dynamodb:my-local-table');
    expect(ticket).not.toHaveProperty('UPLOAD_STORE');
    expect(provider).toEqual({});
  });

  it('leaves out, for invoke local, a value only CloudFormation resolves (the receiver’s deployed URL)', () => {
    expect(run(['invoke', 'local'], serviceDir).ticket).toEqual({ OSS_BUCKET: 'photos' });
  });

  it('leaves the deployed environment alone and empties the build folder before packaging', () => {
    mkdirSync(join(serviceDir, '.esbuild', '.build', 'data'), { recursive: true });
    const { callback, ticket } = run(['package'], serviceDir);
    expect(callback.UPLOAD_STORE).toBe('dynamodb:stage-table');
    expect(ticket.OSS_CALLBACK_URL).toEqual({ 'Fn::GetAtt': ['CallbackLambdaFunctionUrl', 'FunctionUrl'] });
    expect(existsSync(join(serviceDir, '.esbuild'))).toBe(false);
  });
});

describe('the ticket function URL’s CORS (ticketCors)', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('is off when OSS_TICKET_CORS_ORIGINS names no origin, as the function’s own default', () => {
    expect(Plugin.ticketCorsFrom({})).toBe(false);
    expect(Plugin.ticketCorsFrom({ OSS_TICKET_CORS_ORIGINS: ' , ' })).toBe(false);
  });

  it('lists the origins of OSS_TICKET_CORS_ORIGINS, read from the deploy shell', () => {
    vi.stubEnv('OSS_TICKET_CORS_ORIGINS', 'https://app.example.com, http://localhost:9000');
    expect(Plugin.ticketCors()).toMatchObject({ allowedOrigins: ['https://app.example.com', 'http://localhost:9000'] });
  });

  it('allows what the function allows in its own preflight answer, so both platforms treat a browser alike', async () => {
    const cors = Plugin.ticketCorsFrom({ OSS_TICKET_CORS_ORIGINS: 'https://app.example.com' });
    if (!cors) throw new Error('expected a CORS configuration');
    const service = createTicketService({
      config: loadTicketConfig({
        OSS_BUCKET: 'photos',
        OSS_REGION: 'cn-hangzhou',
        OSS_CALLBACK_URL: 'https://callback.example.com/',
        OSS_TICKET_KEYS: JSON.stringify({ k1: Buffer.alloc(32, 1).toString('base64') }),
        OSS_TICKET_AUTH: 'dev',
        OSS_TICKET_CORS_ORIGINS: 'https://app.example.com',
        LOG_LEVEL: 'silent',
      }),
      credentials: () => undefined,
    });
    const preflight = await service.handle({
      method: 'OPTIONS',
      rawPath: '/',
      rawQuery: null,
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      body: Buffer.alloc(0),
    });
    const headers = preflight.headers;
    const list = (value: string | undefined) => (value ?? '').split(',').map((item) => item.trim().toLowerCase());
    expect(cors.allowedMethods.map((method) => method.toLowerCase())).toEqual(list(headers['access-control-allow-methods']));
    expect(cors.allowedHeaders).toEqual(list(headers['access-control-allow-headers']));
    expect(cors.allowedHeaders).toContain(DEV_USER_HEADER);
    expect(String(cors.maxAge)).toBe(headers['access-control-max-age']);
  });
});
