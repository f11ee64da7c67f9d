import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import OSS from 'ali-oss';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { TABLE } from '../../lib/store/dynamodb-schema.js';
import { tablestoreSdkClients } from '../../lib/store/tablestore-sdk-client.js';
import { openTablestoreStore } from '../../lib/store/tablestore.js';
import { LIST_INDEX } from '../../lib/store/tablestore-admin.js';
import { uploadId } from '../../lib/store/upload-id.js';
import { bundleFunction } from '../../scripts/functions-bundle.js';
import { startSimulator, type Simulator } from '../../sim/simulator.js';
import { startTablestoreServer, type TablestoreServer } from '../support/tablestore-server.js';
import { tempDir } from '../support/temp-dir.js';
import { unzipTo, zipEntries } from '../support/zip-entries.js';

/**
 * The deploy files and the local invokes, run for real, offline, without cloud credentials: what CI
 * can check of a deploy without deploying. `osls package` for two stages (the zips' handlers called
 * as Lambda would), the three README commands that answer a sample event through each serverless
 * door, and s.yaml's pre-deploy store init against the test Tablestore server.
 */
const ROOT = process.cwd();
const run = promisify(execFile);
const dir = tempDir('deploy-');

/** The environment a user has before setting anything: none of ours, no cloud credentials. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of Object.keys(env)) {
    if (/^(UPLOAD_STORE|OSS_|TABLESTORE_|AWS_|ALIBABA_CLOUD_)/.test(name) && !(name in extra)) delete env[name];
  }
  return env;
}

async function sh(command: string, args: string[], env = cleanEnv()) {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A user's own trusted-keys file, with a key of theirs and not the dev key. */
function ownKeysFile(name: string): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ 'https://keys.example.test/own.pem': publicKey.export({ type: 'spki', format: 'pem' }) }));
  return path;
}

/** The handler's answer: the last pretty-printed JSON object the command wrote (log lines come before). */
function answerOf(stdout: string): { statusCode: number; body: string } {
  const start = stdout.lastIndexOf('\n{\n');
  return JSON.parse(stdout.slice(start === -1 ? 0 : start)) as { statusCode: number; body: string };
}

/** The command succeeded and its answer is 200 with a stored record like `record`. */
function expectRecorded(result: { code: number; stdout: string; stderr: string }, record: Record<string, unknown>): void {
  expect(result.code, result.stderr).toBe(0);
  const answer = answerOf(result.stdout);
  expect(answer.statusCode).toBe(200);
  expect(JSON.parse(answer.body)).toMatchObject({ Status: 'OK', record });
}

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: string[] }>;
}

/** `osls package --stage <stage>`, with `deployEnv` as the deploy shell's environment; once per stage. */
const packages = new Map<string, ReturnType<typeof packageStage>>();
function packaged(stage: string, deployEnv: Record<string, string> = {}) {
  if (!packages.has(stage)) packages.set(stage, packageStage(stage, deployEnv));
  return packages.get(stage)!;
}

async function packageStage(stage: string, deployEnv: Record<string, string>) {
  const out = join(dir, stage);
  const result = await sh('npx', ['osls', 'package', '--stage', stage, '--package', out], cleanEnv(deployEnv));
  expect(result.code, result.stderr).toBe(0);
  const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  const zips = { callback: join(out, 'callback.zip'), ticket: join(out, 'ticket.zip'), reconcile: join(out, 'reconcile.zip') };
  return { zips, files: { callback: zipEntries(zips.callback).sort(), ticket: zipEntries(zips.ticket).sort(), reconcile: zipEntries(zips.reconcile).sort() }, resources: template.Resources };
}

/** A zip's handler module, unpacked as Lambda unpacks it, loaded as Lambda loads it. */
async function handlerModule(zip: string, handler: string): Promise<Record<string, unknown>> {
  const code = join(dir, `code-${handler.replace(/\W/g, '-')}-${Date.now()}`);
  unzipTo(zip, code);
  const [file] = handler.split(/\.(?=[^.]+$)/);
  return (await import(pathToFileURL(join(code, `${file}.js`)).href)) as Record<string, unknown>;
}

/** Every .js file under `dir`, joined: what a search for a store's wire protocol reads through. */
function javascriptUnder(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((item) => item.isFile() && item.name.endsWith('.js'))
    .map((item) => readFileSync(join(item.parentPath, item.name), 'utf8'))
    .join('\n');
}

/** Every IAM action the template grants the role `roleId`, wherever the grant is written. */
function actionsOf(resources: Template['Resources'], roleId: string): string[] {
  const role = resources[roleId]!;
  const attached = Object.values(resources).filter(
    (resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles ?? []).includes(roleId),
  );
  const documents = [...(role.Properties.Policies ?? []), ...attached.map((policy) => policy.Properties)].map((policy) => policy.PolicyDocument);
  return documents.flatMap((document: { Statement: { Action: string | string[] }[] }) => document.Statement.flatMap((statement) => statement.Action));
}

describe('local invoke, as the README gives it', () => {
  it('npx osls invoke local -f callback -p events/lambda-url/put-object-form.json answers 200 with the record', async () => {
    const result = await sh('npx', ['osls', 'invoke', 'local', '-f', 'callback', '-p', 'events/lambda-url/put-object-form.json']);
    expectRecorded(result, { object: 'uploads/2024/05/cat photo.jpg', operation: 'PutObject' });
  }, 120_000);

  it('refuses at start a store the Lambda bundle does not carry, naming it: 500 Misconfigured', async () => {
    const result = await sh('npx', ['osls', 'invoke', 'local', '-f', 'callback', '-p', 'events/lambda-url/put-object-form.json', '-e', 'UPLOAD_STORE=sqlite:./data/uploads.db']);
    const answer = answerOf(result.stdout);
    expect(answer.statusCode).toBe(500);
    expect(JSON.parse(answer.body)).toMatchObject({
      code: 'Misconfigured',
      message: 'the function could not start: the store "sqlite:./data/uploads.db" is not in this bundle, which opens memory: or dynamodb:<table>',
    });
  }, 120_000);

  it('takes the user’s own settings over the defaults: their keys file does not trust the dev key', async () => {
    const keys = ownKeysFile('own-keys.json');
    const result = await sh('npx', [
      'osls', 'invoke', 'local', '-f', 'callback', '-p', 'events/lambda-url/post-object-json.json',
      '-e', 'UPLOAD_STORE=memory:', '-e', `OSS_CALLBACK_TRUSTED_KEYS=${keys}`,
    ]);
    const answer = answerOf(result.stdout);
    expect(answer.statusCode).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'UntrustedKeyUrl' });
  }, 120_000);

  it('npm run invoke:fc3 -- events/fc3/put-object-json.json answers 200 with the record', async () => {
    const result = await sh('npm', ['run', '--silent', 'invoke:fc3', '--', 'events/fc3/put-object-json.json']);
    expectRecorded(result, { crc64: '13281376522424012436', vars: { 'x:uid': '42' } });
  }, 120_000);

  it('npm run invoke:fc2 -- events/fc2/complete-multipart-upload-form.json answers 200 with the record', async () => {
    const result = await sh('npm', ['run', '--silent', 'invoke:fc2', '--', 'events/fc2/complete-multipart-upload-form.json'], cleanEnv({ UPLOAD_STORE: 'memory:' }));
    expectRecorded(result, { operation: 'CompleteMultipartUpload', etag: '3858F62230AC3C915F300C664312C63F-3' });
  }, 120_000);

  it('exits 1 when the answer is not 2xx, so scripts can rely on it', async () => {
    const keys = ownKeysFile('fc-own-keys.json');
    const result = await sh('npm', ['run', '--silent', 'invoke:fc3', '--', 'events/fc3/post-object-form.json'], cleanEnv({ OSS_CALLBACK_TRUSTED_KEYS: keys, UPLOAD_STORE: 'memory:' }));
    expect(result.code).toBe(1);
    expect(answerOf(result.stdout).statusCode).toBe(403);
  }, 120_000);
});

// After the local invokes on purpose: the package must not carry anything they left behind.
describe('serverless.yml, packaged by osls offline', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('dev stage: the callback bundle in one file, the dev key trusted, the store table and least privilege', async () => {
    const { zips, files, resources } = await packaged('dev');
    expect(files.callback).toEqual(['functions/callback-lambda.js', 'functions/package.json', 'test/dev-key/trusted-keys.json']);
    const callbackModule = await handlerModule(zips.callback, 'functions/callback-lambda.lambda');
    expect(typeof callbackModule.lambda).toBe('function');

    const fn = resources.CallbackLambdaFunction!.Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'functions/callback-lambda.lambda', Timeout: 6 });
    expect(fn.Environment.Variables).toMatchObject({
      UPLOAD_STORE: 'dynamodb:oss-upload-callback-dev-records',
      OSS_CALLBACK_TRUSTED_KEYS: 'test/dev-key/trusted-keys.json',
      OSS_TICKET_KEYS: '',
      OSS_CALLBACK_REQUIRE_TICKET: 'false',
    });
    expect(resources.CallbackLambdaFunctionUrl!.Properties.AuthType).toBe('NONE');

    const table = resources.RecordsTable!.Properties;
    for (const property of ['BillingMode', 'AttributeDefinitions', 'KeySchema', 'GlobalSecondaryIndexes', 'TimeToLiveSpecification'] as const) {
      expect(table[property], property).toEqual(TABLE[property]);
    }

    // The callback function keeps the role osls makes, with exactly the receiver's table access.
    expect(fn.Role).toEqual({ 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] });
    const statements = resources.IamRoleLambdaExecution!.Properties.Policies[0].PolicyDocument.Statement as { Action: string[]; Resource: unknown[] }[];
    const dynamodb = statements.filter((statement) => statement.Action.some((action) => action.startsWith('dynamodb:')));
    expect(dynamodb).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
        Resource: [{ 'Fn::GetAtt': ['RecordsTable', 'Arn'] }],
      },
    ]);
  }, 120_000);

  it('dev stage: the callback zip carries its own store only, at most 150 KiB: no Tablestore code, which the FC bundle has instead of the AWS SDK', async () => {
    const { zips, files } = await packaged('dev');
    expect(statSync(zips.callback).size).toBeLessThanOrEqual(150 * 1024);
    expect(files.callback.filter((file) => /tablestore|sqlite/i.test(file))).toEqual([]);
    const lambdaCode = join(dir, 'callback-zip');
    unzipTo(zips.callback, lambdaCode);
    const fcBundle = await bundleFunction('callback-fc', join(dir, 'fc-bundle'));
    // Whatever the client, every Tablestore request carries x-ots-* headers and every SigV4-signed
    // DynamoDB request x-amz-*: each bundle has its own store's protocol and not the other's.
    const lambda = javascriptUnder(lambdaCode);
    const fc = javascriptUnder(fcBundle.dir);
    expect({ lambda: lambda.includes('x-ots-'), fc: fc.includes('x-ots-') }).toEqual({ lambda: false, fc: true });
    expect({ lambda: lambda.includes('x-amz-'), fc: fc.includes('x-amz-') }).toEqual({ lambda: true, fc: false });
  }, 120_000);

  it('dev stage: the ticket function alone in its zip, behind its own URL, with a role that can write its logs and nothing else', async () => {
    const { zips, files, resources } = await packaged('dev');
    expect(files.ticket).toEqual(['functions/package.json', 'functions/ticket.js', 'test/dev-key/trusted-keys.json']);

    const fn = resources.TicketLambdaFunction!.Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'functions/ticket.lambda' });
    expect(fn.Role).toEqual({ 'Fn::GetAtt': ['TicketRole', 'Arn'] });
    expect(actionsOf(resources, 'TicketRole').sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(JSON.stringify(resources.TicketRole)).not.toMatch(/dynamodb|RecordsTable/i);
    expect(actionsOf(resources, 'IamRoleLambdaExecution').some((action) => action.startsWith('dynamodb:'))).toBe(true);

    // Bearer tokens, not IAM, authenticate callers; with no origins in the deploy shell, no CORS.
    expect(resources.TicketLambdaFunctionUrl!.Properties).toEqual({ AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': ['TicketLambdaFunction', 'Arn'] } });
    const env = fn.Environment.Variables as Record<string, unknown>;
    expect(env.OSS_CALLBACK_URL).toEqual({ 'Fn::GetAtt': ['CallbackLambdaFunctionUrl', 'FunctionUrl'] });
    expect(env).toMatchObject({ OSS_BUCKET: '', OSS_TICKET_AUTH: '', OSS_TICKET_KEYS: '', ALIBABA_CLOUD_ACCESS_KEY_SECRET: '' });
    expect(Object.keys(env).filter((name) => /^(UPLOAD_STORE|TABLESTORE_|OSS_CALLBACK_TRUSTED)/.test(name))).toEqual([]);

    // The zipped handler, called as Lambda calls it, with the settings a deploy shell would give.
    for (const [name, value] of Object.entries({
      OSS_BUCKET: 'photos',
      OSS_REGION: 'cn-hangzhou',
      OSS_CALLBACK_URL: 'https://abc.lambda-url.ap-southeast-1.on.aws/',
      OSS_TICKET_KEYS: JSON.stringify({ k1: Buffer.alloc(32, 3).toString('base64') }),
      OSS_TICKET_AUTH: 'dev',
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI5tExampleSigner',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'example-secret',
      LOG_LEVEL: 'silent',
    })) vi.stubEnv(name, value);
    const { lambda } = (await handlerModule(zips.ticket, 'functions/ticket.lambda')) as { lambda: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }> };
    const answer = await lambda(
      {
        version: '2.0',
        rawPath: '/',
        rawQueryString: '',
        headers: { 'content-type': 'application/json', 'x-dev-user': 'alice' },
        requestContext: { http: { method: 'POST', path: '/' } },
        body: JSON.stringify({ fileName: 'cat.png', size: 48213, contentType: 'image/png' }),
        isBase64Encoded: false,
      },
      { awsRequestId: 'e2e', getRemainingTimeInMillis: () => 9_000 },
    );
    expect(answer.statusCode, answer.body).toBe(200);
    const form = JSON.parse(answer.body) as { url: string; uploader: string; fields: Record<string, string> };
    expect(form).toMatchObject({ url: 'https://photos.oss-cn-hangzhou.aliyuncs.com', uploader: 'alice' });
    expect(form.fields['x-oss-credential']).toMatch(/^LTAI5tExampleSigner\//);
    expect(JSON.parse(Buffer.from(form.fields.callback!, 'base64').toString('utf8'))).toMatchObject({ callbackUrl: 'https://abc.lambda-url.ap-southeast-1.on.aws/', callbackSNI: true });
  }, 120_000);

  it('any other stage: the dev key neither packaged nor trusted; the deploy shell’s callback URL and browser origins used', async () => {
    const { files, resources } = await packaged('prod', { OSS_CALLBACK_URL: 'https://uploads.example.com/callback', OSS_TICKET_CORS_ORIGINS: 'https://app.example.com,http://localhost:9000' });
    expect([...files.callback, ...files.ticket].filter((file) => file.startsWith('test/'))).toEqual([]);
    expect(resources.CallbackLambdaFunction!.Properties.Environment.Variables.OSS_CALLBACK_TRUSTED_KEYS).toBe('');
    const ticketEnv = resources.TicketLambdaFunction!.Properties.Environment.Variables as Record<string, unknown>;
    expect(ticketEnv.OSS_CALLBACK_URL).toBe('https://uploads.example.com/callback');
    expect(ticketEnv).not.toHaveProperty('OSS_TICKET_CORS_ORIGINS');
    expect(resources.TicketLambdaFunctionUrl!.Properties.Cors).toEqual({
      AllowOrigins: ['https://app.example.com', 'http://localhost:9000'],
      AllowMethods: ['POST'],
      AllowHeaders: ['authorization', 'content-type', 'x-dev-user'],
      MaxAge: 600,
    });
  }, 120_000);
});

describe('s.yaml’s pre-deploy store init, run as Serverless Devs runs it (sh -c, in the project)', () => {
  const document = parse(readFileSync(join(ROOT, 's.yaml'), 'utf8')) as {
    vars: Record<string, string>;
    actions: Record<string, { run: string }[]>;
    resources: { callback: { props: { environmentVariables: Record<string, string> } } };
  };
  const resolve = (text: string) => text.replace(/\$\{vars\.(\w+)\}/g, (_, name: string) => document.vars[name]!);
  const callbackEnv = Object.fromEntries(Object.entries(document.resources.callback.props.environmentVariables).map(([name, value]) => [name, resolve(value)]));
  const credentials = { accessKeyId: 'LTAI5tExampleDeployer', accessKeySecret: 'deployer-secret' };
  const credentialEnv = { ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret };
  let server: TablestoreServer | undefined;
  afterAll(async () => server?.close());

  it('creates the table and search index the receiver, configured as s.yaml configures it, then records into', async () => {
    const [, instance, table] = /^tablestore:([^/]+)\/([^/]+)$/.exec(callbackEnv.UPLOAD_STORE!)!;
    server = await startTablestoreServer({ instance: instance!, credentials: [credentials] });
    const init = resolve(document.actions['pre-deploy']!.find((action) => action.run.includes('store init'))!.run);
    // The deploy reaches https://<instance>.<region>.ots.aliyuncs.com; the same command here reaches the test's Tablestore.
    const command = init.replace(callbackEnv.TABLESTORE_ENDPOINT!, server.endpoint);
    expect(command).not.toBe(init);
    expect(existsSync(join(ROOT, 'dist/cli/bin.js')), 'the CLI is built (npm run build, the first pre-deploy action)').toBe(true);
    // npx reuses the link it made on an earlier run, and npm sets the bin's mode only when it links it.
    expect(statSync(join(ROOT, 'dist/cli/bin.js')).mode & 0o111, 'the built CLI is executable').toBe(0o111);
    const result = await sh('sh', ['-c', command], cleanEnv({ ...credentialEnv, npm_config_offline: 'true' }));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`ready: ${callbackEnv.UPLOAD_STORE}`);

    const clients = tablestoreSdkClients(server.endpoint, instance!);
    try {
      const tablestore = clients.clientFor(credentials);
      expect(await tablestore.describeTable(table!)).toEqual({ primaryKey: [{ name: 'id', type: 2 }] });
      expect(await tablestore.listSearchIndexes(table!)).toEqual([LIST_INDEX]);
    } finally {
      clients.close();
    }

    const invoked = await sh(
      'npm',
      ['run', '--silent', 'invoke:fc3', '--', 'events/fc3/put-object-json.json'],
      cleanEnv({ UPLOAD_STORE: callbackEnv.UPLOAD_STORE!, TABLESTORE_ENDPOINT: server.endpoint, ...credentialEnv }),
    );
    expectRecorded(invoked, { operation: 'PutObject', vars: { 'x:uid': '42' } });
  }, 120_000);
});

// osls builds in the project's .esbuild folder, so every osls run stays in this file, one at a time.
describe('the reconcile function, packaged and invoked locally', () => {
  const bucket = 'invoke-bucket';
  const pair = { accessKeyId: 'LTAI-invoke', accessKeySecret: 'invoke-secret' };
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({ dataDir: join(dir, 'reconcile-oss'), bucket, credentials: pair });
    const client = new OSS({ endpoint: sim.url, cname: true, bucket, ...pair });
    for (const key of ['a.txt', 'b.txt']) await client.put(key, Buffer.from(key));
  });
  afterAll(async () => sim?.close());

  it('ships in a zip of its own, run hourly by an EventBridge rule, under a role of its own', async () => {
    const { zips, files, resources } = await packaged('dev');
    expect(files.reconcile).toContain('functions/reconcile-lambda.js');
    expect(files.reconcile.filter((file) => /^functions\/(callback|ticket)\.js$/.test(file))).toEqual([]);
    expect(files.callback).not.toContain('functions/reconcile-lambda.js');
    expect(typeof (await handlerModule(zips.reconcile, 'functions/reconcile-lambda.lambda')).lambda).toBe('function');
    expect(resources.ReconcileLambdaFunction!.Properties).toMatchObject({ Handler: 'functions/reconcile-lambda.lambda', Role: { 'Fn::GetAtt': ['ReconcileRole', 'Arn'] } });
    const rules = Object.values(resources).filter((resource) => resource.Type === 'AWS::Events::Rule');
    expect(rules.map((rule) => [rule.Properties.ScheduleExpression, rule.Properties.Targets[0].Arn])).toEqual([['rate(1 hour)', { 'Fn::GetAtt': ['ReconcileLambdaFunction', 'Arn'] }]]);
    expect(actionsOf(resources, 'ReconcileRole').sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  }, 120_000);

  /** The scheduled run's settings: the simulator's bucket, no grace (the uploads are seconds old), a read-only key. */
  const window = () => ({
    OSS_CALLBACK_BUCKETS: bucket,
    OSS_REGION: 'cn-hangzhou',
    OSS_ENDPOINT: sim.url,
    OSS_RECONCILE_GRACE: '0s',
    OSS_ACCESS_KEY_ID: pair.accessKeyId,
    OSS_ACCESS_KEY_SECRET: pair.accessKeySecret,
  });
  /** What the handler returned: the last pretty-printed JSON array the command wrote (log lines come before). */
  const returned = (stdout: string) => JSON.parse(stdout.slice(stdout.lastIndexOf('\n[\n'))) as unknown;

  it('npx osls invoke local -f reconcile -p events/reconcile/lambda-schedule.json lists the bucket and records what it found', async () => {
    const settings = Object.entries({ ...window(), UPLOAD_STORE: 'memory:' }).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
    const result = await sh('npx', ['osls', 'invoke', 'local', '-f', 'reconcile', '-p', 'events/reconcile/lambda-schedule.json', ...settings]);
    expect(result.code, result.stderr).toBe(0);
    expect(returned(result.stdout)).toEqual([expect.objectContaining({ bucket, listed: 2, recorded: 2, failed: 0 })]);
  }, 120_000);

  describe('Function Compute’s bundle, recording into Tablestore', () => {
    const credentials = { accessKeyId: 'LTAI5tExampleInvoker', accessKeySecret: 'invoker-secret' };
    let server: TablestoreServer;
    let env: NodeJS.ProcessEnv;
    const id = uploadId({ bucket: 'examplebucket', object: 'uploads/2024/05/cat photo.jpg', etag: 'D8E8FCA2DC0F896FD7CB4CB0031BA249' }, { facts: 'unused' });
    const stored = async () => {
      const store = await openTablestoreStore('uploads', 'upload_records', { endpoint: server.endpoint, aliyunCredentials: () => credentials });
      try {
        return (await store.get(id))?.record;
      } finally {
        await store.close();
      }
    };

    beforeAll(async () => {
      server = await startTablestoreServer({ instance: 'uploads', credentials: [credentials] });
      const init = await openTablestoreStore('uploads', 'upload_records', { endpoint: server.endpoint, aliyunCredentials: () => credentials });
      await init.init();
      await init.close();
      env = cleanEnv({
        UPLOAD_STORE: 'tablestore:uploads/upload_records',
        TABLESTORE_ENDPOINT: server.endpoint,
        ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
      });
    });
    afterAll(async () => server?.close());

    it('npm run invoke:reconcile -- events/reconcile/fc3-oss-put-object.json records the upload; the callback sample for it then replaces that record', async () => {
      const event = await sh('npm', ['run', '--silent', 'invoke:reconcile', '--', 'events/reconcile/fc3-oss-put-object.json'], env);
      expect(event.code, event.stderr).toBe(0);
      expect(returned(event.stdout)).toEqual([{ eventName: 'ObjectCreated:PutObject', bucket: 'examplebucket', object: 'uploads/2024/05/cat photo.jpg', outcome: 'recorded', source: 'event' }]);
      expect(await stored()).toMatchObject({ source: 'event', reqId: '66399AA5000000003334673E' });

      const callback = await sh('npm', ['run', '--silent', 'invoke:fc3', '--', 'events/fc3/put-object-form.json'], { ...env, OSS_CALLBACK_TRUSTED_KEYS: join(ROOT, 'test/dev-key/trusted-keys.json') });
      expect(callback.code, callback.stderr).toBe(0);
      expect(await stored()).toMatchObject({ source: 'callback', reqId: '66399AA5000000003334673E', vars: { 'x:uid': '42' } });
    }, 120_000);

    it('npm run invoke:reconcile -- events/reconcile/fc3-timer.json runs the scheduled reconcile, or exits 1 saying what is missing', async () => {
      const missing = await sh('npm', ['run', '--silent', 'invoke:reconcile', '--', 'events/reconcile/fc3-timer.json'], env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('the scheduled reconcile needs OSS_CALLBACK_BUCKETS');
      const scheduled = await sh('npm', ['run', '--silent', 'invoke:reconcile', '--', 'events/reconcile/fc3-timer.json'], { ...env, ...window() });
      expect(scheduled.code, scheduled.stderr).toBe(0);
      expect(returned(scheduled.stdout)).toEqual([expect.objectContaining({ bucket, listed: 2, recorded: 2, failed: 0 })]);
    }, 120_000);
  });
});
