import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, type ScalarTag } from 'yaml';
import { ossCredentialsFromEnv } from '../../../lib/oss/credentials.js';
import { loadReconcileFunctionConfig, loadScheduledRunConfig } from '../../../lib/reconcile/function-config.js';
import { bundleFunction, ROOT } from '../../../scripts/functions-bundle.js';
import { outcome, reads } from '../../support/env-reads.js';

/**
 * The reconcile function as serverless.yml and s.yaml deploy it: its handler, its schedule and
 * triggers, a role of its own with no more than a run needs, and an environment its code reads,
 * with '' meaning what leaving a variable out means and secrets from the deploy shell.
 */
const cfnTags: ScalarTag[] = ['GetAtt', 'Ref', 'Sub'].map((name) => ({
  tag: `!${name}`,
  resolve: (value: string) => ({ [name === 'Ref' ? 'Ref' : `Fn::${name}`]: name === 'GetAtt' ? value.split('.') : value }),
}));

interface LambdaFunction {
  handler: string;
  timeout: number;
  role?: string;
  events?: Record<string, unknown>[];
  environment: Record<string, unknown>;
}
const serverlessYml = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { customTags: cfnTags }) as {
  functions: Record<string, LambdaFunction>;
  resources: { Resources: Record<string, { Properties: { Policies: { PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] } }[] } }> };
};
interface FcResource {
  props: {
    code: string;
    handler: string;
    timeout: number;
    role: string;
    environmentVariables: Record<string, string>;
    triggers: { triggerName: string; triggerType: string; sourceArn?: string; invocationRole?: string; triggerConfig: Record<string, unknown> }[];
  };
}
const sYaml = parse(readFileSync(join(ROOT, 's.yaml'), 'utf8')) as { vars: Record<string, string>; resources: Record<string, FcResource> };

const lambda = serverlessYml.functions.reconcile!;
const fc = sYaml.resources.reconcile!.props;

/** Everything the reconcile function's code reads: its settings, the scheduled run's, the reader's credentials, the store's. */
const WORKING = { OSS_CALLBACK_BUCKETS: 'photos', OSS_REGION: 'cn-hangzhou', OSS_ACCESS_KEY_ID: 'id', OSS_ACCESS_KEY_SECRET: 'secret' };
const LOADERS = [loadReconcileFunctionConfig, loadScheduledRunConfig, ossCredentialsFromEnv];
const READ = new Set([...LOADERS.flatMap((load) => [...reads(load, WORKING)]), 'TABLESTORE_ENDPOINT']);

describe.each([
  ['serverless.yml', lambda.environment, (name: string) => `\${env:${name}, ''}`],
  ['s.yaml', fc.environmentVariables, (name: string) => `\${env('${name}', '')}`],
] as const)('the reconcile function’s environment in %s', (_, environment, fromShell) => {
  it('sets only variables its code reads, the buckets among them', () => {
    expect(Object.keys(environment).filter((name) => !READ.has(name))).toEqual([]);
    expect(environment).toHaveProperty('OSS_CALLBACK_BUCKETS', fromShell('OSS_CALLBACK_BUCKETS'));
  });

  it('takes the reader’s key from the deploy shell’s variables of the same name, never from the file', () => {
    for (const name of ['OSS_ACCESS_KEY_ID', 'OSS_ACCESS_KEY_SECRET'].filter((secret) => secret in environment)) expect(environment[name]).toBe(fromShell(name));
    expect(Object.keys(environment).filter((name) => name.startsWith('ALIBABA_CLOUD_'))).toEqual([]);
  });

  it('means by a variable left empty what leaving it out means', () => {
    for (const name of Object.keys(environment)) {
      const { [name]: _, ...without } = WORKING as Record<string, string>;
      for (const load of LOADERS) expect(outcome(load, { ...without, [name]: '' }), name).toEqual(outcome(load, without));
    }
  });
});

describe('serverless.yml', () => {
  it('runs functions/reconcile-lambda.lambda every hour, with the receiver’s table', () => {
    expect(lambda).toMatchObject({ handler: 'functions/reconcile-lambda.lambda', role: 'ReconcileRole', events: [{ schedule: 'rate(1 hour)' }] });
    expect(lambda.timeout).toBeGreaterThanOrEqual(60);
    expect(lambda.environment.UPLOAD_STORE).toBe(serverlessYml.functions.callback!.environment.UPLOAD_STORE);
  });

  it('gives it a role of its own: its logs, and GetItem, BatchGetItem and PutItem on the records table, nothing else', () => {
    const statements = serverlessYml.resources.Resources.ReconcileRole!.Properties.Policies.flatMap((policy) => policy.PolicyDocument.Statement);
    expect(statements.map(({ Action, Resource }) => [Action, Resource])).toEqual([
      [['logs:CreateLogStream', 'logs:PutLogEvents'], [{ 'Fn::GetAtt': ['ReconcileLogGroup', 'Arn'] }]],
      [['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'], [{ 'Fn::GetAtt': ['RecordsTable', 'Arn'] }]],
    ]);
  });
});

describe('s.yaml', () => {
  beforeAll(async () => {
    await bundleFunction('reconcile-fc');
  }, 60_000);

  it('points at the reconcile-fc bundle, whose entry exports the FC 3.0 handler it names', async () => {
    expect(fc).toMatchObject({ code: './dist/functions/reconcile-fc', handler: 'reconcile-fc.fc3' });
    const entry = join(ROOT, fc.code, 'reconcile-fc.js');
    expect(existsSync(entry)).toBe(true);
    expect(typeof ((await import(pathToFileURL(entry).href)) as Record<string, unknown>).fc3).toBe('function');
  });

  it('runs it from a timer trigger and from an OSS trigger on every object created in the uploads bucket', () => {
    expect(fc.triggers).toEqual([
      { triggerName: expect.any(String), triggerType: 'timer', triggerConfig: { cronExpression: '@every 60m', enable: true, payload: '' } },
      {
        triggerName: expect.any(String),
        triggerType: 'oss',
        sourceArn: "acs:oss:${vars.region}:${config('AccountID')}:${env('OSS_BUCKET', '')}",
        invocationRole: "acs:ram::${config('AccountID')}:role/aliyunosseventnotificationrole",
        triggerConfig: { events: ['oss:ObjectCreated:*'], filter: { key: { prefix: '', suffix: '' } } },
      },
    ]);
  });

  it('records into the receiver’s table with a role of its own, reading the buckets through the region’s internal endpoint', () => {
    const callback = sYaml.resources.callback!.props.environmentVariables;
    expect(fc.environmentVariables).toMatchObject({ UPLOAD_STORE: callback.UPLOAD_STORE, TABLESTORE_ENDPOINT: callback.TABLESTORE_ENDPOINT, OSS_ENDPOINT: 'https://oss-${vars.region}-internal.aliyuncs.com' });
    const roles = ['callback', 'ticket', 'reconcile'].map((name) => sYaml.resources[name]!.props.role);
    expect(new Set(roles).size).toBe(3);
    expect(sYaml.vars.reconcileRole).toMatch(/^acs:ram::\$\{config\('AccountID'\)\}:role\/[\w.@-]+$/);
  });
});
