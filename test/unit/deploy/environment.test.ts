import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse, type ScalarTag } from 'yaml';
import { loadConfig } from '../../../lib/config.js';
import { ossCredentialsFromEnv } from '../../../lib/oss/credentials.js';
import { aliyunCredentialsFromEnv } from '../../../lib/credentials.js';
import { openTablestoreStore } from '../../../lib/store/tablestore.js';
import { loadTicketConfig } from '../../../lib/tickets/config.js';
import { ROOT } from '../../../scripts/functions-bundle.js';
import { outcome, reads } from '../../support/env-reads.js';

/**
 * The environment the deploy files give each function, against the code that reads it: every
 * variable set is one the function's code reads (a typo or a stale name would be silently ignored),
 * every variable the ticket function requires is set, a variable set to '' (nothing given at deploy
 * time) means what leaving it out means, and secrets come from the deploy shell, never the file.
 */
type Env = Record<string, string>;

const KEYS = JSON.stringify({ k1: Buffer.alloc(32, 7).toString('base64') });
const TICKET_BASE: Env = { OSS_BUCKET: 'photos', OSS_REGION: 'cn-hangzhou', OSS_CALLBACK_URL: 'https://callback.example.com/', OSS_TICKET_KEYS: KEYS };
/** A working ticket configuration in each way callers can authenticate. */
const TICKET_MODES: Record<string, Env> = {
  jwks: {
    ...TICKET_BASE,
    OSS_TICKET_AUTH: 'jwks',
    OSS_TICKET_AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
    OSS_TICKET_AUTH_ISSUER: 'https://idp.example.com/',
    OSS_TICKET_AUTH_AUDIENCE: 'uploads',
  },
  secret: { ...TICKET_BASE, OSS_TICKET_AUTH: 'secret', OSS_TICKET_AUTH_SECRET: 'a shared secret of at least 32 bytes' },
  dev: { ...TICKET_BASE, OSS_TICKET_AUTH: 'dev' },
};
const CREDENTIALS: Env = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI-example', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'example-secret', ALIBABA_CLOUD_SECURITY_TOKEN: 'token' };

/** The ticket function: its configuration and the credentials it signs with. */
const ticketLoaders = [loadTicketConfig, aliyunCredentialsFromEnv];
const TICKET_READS = new Set(
  Object.values(TICKET_MODES).flatMap((mode) => ticketLoaders.flatMap((load) => [...reads(load, { ...mode, ...CREDENTIALS })])),
);
/** Variables the Tablestore adapter reads when UPLOAD_STORE names it (checked below that it does). */
const STORE_VARIABLES = ['TABLESTORE_ENDPOINT'];
/** Confirm mode on: the buckets it serves and where they are, and the read-only key it reads them with. */
const CONFIRM: Env = { OSS_CALLBACK_CONFIRM: 'true', OSS_CALLBACK_BUCKETS: 'photos', OSS_REGION: 'cn-hangzhou', OSS_ENDPOINT: 'https://oss-cn-hangzhou.aliyuncs.com' };
/** The receiver: its configuration (tickets and confirm mode on and off), the confirm reader's key, and the store's own variables. */
const CALLBACK_READS = new Set([
  ...reads(loadConfig, {}),
  ...reads(loadConfig, { OSS_TICKET_KEYS: KEYS }),
  ...reads(loadConfig, CONFIRM),
  ...reads(ossCredentialsFromEnv, { OSS_ACCESS_KEY_ID: 'LTAI-read-only', OSS_ACCESS_KEY_SECRET: 'secret' }),
  ...STORE_VARIABLES,
]);

/** Which variables, when missing, stop the ticket function from starting. */
const TICKET_REQUIRED = new Set(
  ['jwks', 'secret'].flatMap((mode) => {
    const env = TICKET_MODES[mode]!;
    return Object.keys(env).filter((name) => {
      const { [name]: _, ...without } = env;
      return 'error' in (outcome(loadTicketConfig, without) as object);
    });
  }),
);

/** CloudFormation's short tags, as osls reads them. */
const cfnTags: ScalarTag[] = ['GetAtt', 'Ref', 'Sub'].map((name) => ({
  tag: `!${name}`,
  resolve: (value: string) => ({ [name === 'Ref' ? 'Ref' : `Fn::${name}`]: name === 'GetAtt' ? value.split('.') : value }),
}));
const serverlessYml = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { customTags: cfnTags }) as {
  provider: { environment?: Record<string, unknown> };
  functions: Record<string, { environment: Record<string, unknown> }>;
};
const sYaml = parse(readFileSync(join(ROOT, 's.yaml'), 'utf8')) as { resources: Record<string, { props: { environmentVariables: Record<string, unknown> } }> };

const DEPLOYED = {
  'serverless.yml': {
    callback: serverlessYml.functions.callback!.environment,
    ticket: serverlessYml.functions.ticket!.environment,
    /** `${env:NAME, ''}` */
    fromShell: (name: string) => `\${env:${name}, ''}`,
  },
  's.yaml': {
    callback: sYaml.resources.callback!.props.environmentVariables,
    ticket: sYaml.resources.ticket!.props.environmentVariables,
    /** `${env('NAME', '')}` */
    fromShell: (name: string) => `\${env('${name}', '')}`,
  },
};

const SECRETS = ['OSS_TICKET_KEYS', 'OSS_TICKET_AUTH_SECRET', 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_SECURITY_TOKEN'];

describe('what the code reads (the yardstick below)', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('covers the ticket function’s settings, every way of authenticating, and its signing credentials', () => {
    for (const name of ['OSS_BUCKET', 'OSS_TICKET_AUTH_JWKS_URL', 'OSS_TICKET_AUTH_SECRET', 'OSS_TICKET_CORS_ORIGINS', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET']) expect(TICKET_READS).toContain(name);
    expect(TICKET_READS).not.toContain('UPLOAD_STORE');
    expect([...TICKET_REQUIRED].sort()).toEqual(
      ['OSS_BUCKET', 'OSS_CALLBACK_URL', 'OSS_REGION', 'OSS_TICKET_AUTH', 'OSS_TICKET_AUTH_AUDIENCE', 'OSS_TICKET_AUTH_ISSUER', 'OSS_TICKET_AUTH_JWKS_URL', 'OSS_TICKET_AUTH_SECRET', 'OSS_TICKET_KEYS'].sort(),
    );
  });

  it('covers the receiver’s settings, ticket checks included, and TABLESTORE_ENDPOINT, which the Tablestore store reads', async () => {
    for (const name of ['UPLOAD_STORE', 'OSS_CALLBACK_DEADLINE_MS', 'OSS_TICKET_KEYS', 'OSS_CALLBACK_REQUIRE_TICKET']) expect(CALLBACK_READS).toContain(name);
    expect(CALLBACK_READS).not.toContain('OSS_TICKET_AUTH');
    vi.stubEnv('TABLESTORE_ENDPOINT', '');
    await expect(openTablestoreStore('uploads', 'upload_records')).rejects.toThrow('TABLESTORE_ENDPOINT');
    vi.stubEnv('TABLESTORE_ENDPOINT', 'https://uploads.cn-hangzhou.ots.aliyuncs.com');
    await (await openTablestoreStore('uploads', 'upload_records')).close();
  });
});

describe.each(Object.entries(DEPLOYED))('%s', (_, deployed) => {
  it('sets for the receiver only variables the receiver reads', () => {
    expect(Object.keys(deployed.callback).filter((name) => !CALLBACK_READS.has(name))).toEqual([]);
  });

  it('sets for the ticket function only variables it reads, and every one it requires', () => {
    expect(Object.keys(deployed.ticket).filter((name) => !TICKET_READS.has(name))).toEqual([]);
    expect([...TICKET_REQUIRED].filter((name) => !(name in deployed.ticket))).toEqual([]);
  });

  it('takes every secret from the deploy shell’s variable of the same name, never from the file', () => {
    for (const environment of [deployed.callback, deployed.ticket]) {
      for (const name of SECRETS.filter((secret) => secret in environment)) expect(environment[name], name).toBe(deployed.fromShell(name));
    }
  });

  it('gives both functions the same ticket keys', () => {
    expect(deployed.callback.OSS_TICKET_KEYS).toBe(deployed.fromShell('OSS_TICKET_KEYS'));
    expect(deployed.ticket.OSS_TICKET_KEYS).toBe(deployed.callback.OSS_TICKET_KEYS);
  });

  it('means by a variable left empty at deploy time what leaving it out means, for the ticket function', () => {
    for (const name of Object.keys(deployed.ticket)) {
      for (const [mode, env] of Object.entries(TICKET_MODES)) {
        const { [name]: _, ...without } = { ...env, ...CREDENTIALS };
        for (const load of ticketLoaders) expect(outcome(load, { ...without, [name]: '' }), `${name} in ${mode} mode`).toEqual(outcome(load, without));
      }
    }
  });

  it('means by a variable left empty at deploy time what leaving it out means, for the receiver', () => {
    for (const name of Object.keys(deployed.callback)) expect(outcome(loadConfig, { [name]: '' }), name).toEqual(outcome(loadConfig, {}));
  });
});

describe('serverless.yml, where each function gets only its own environment', () => {
  it('sets nothing provider-wide, so the ticket function never sees the store', () => {
    expect(serverlessYml.provider.environment).toBeUndefined();
    expect(Object.keys(DEPLOYED['serverless.yml'].ticket).filter((name) => /^(UPLOAD_STORE|TABLESTORE_)/.test(name))).toEqual([]);
  });

  it('leaves CORS to the ticket function’s URL: the function is not given origins, or its answers would allow an origin twice', () => {
    expect(DEPLOYED['serverless.yml'].ticket).not.toHaveProperty('OSS_TICKET_CORS_ORIGINS');
  });

  it('defaults the ticket’s callback URL to the receiver’s own function URL, unless the deploy shell names one', () => {
    expect(DEPLOYED['serverless.yml'].ticket.OSS_CALLBACK_URL).toBe('${env:OSS_CALLBACK_URL, self:custom.callbackFunctionUrl}');
  });
});
