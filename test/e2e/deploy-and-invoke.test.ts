import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TABLE } from '../../lib/store/dynamodb-schema.js';
import { tempDir } from '../support/temp-dir.js';
import { zipEntries } from '../support/zip-entries.js';

/**
 * The deploy file and the local invokes, run for real, offline, without credentials: what CI can
 * check of a deploy without deploying. `osls package` for two stages, then the three README commands
 * that answer a sample event through each serverless door.
 */
const ROOT = process.cwd();
const run = promisify(execFile);
const dir = tempDir('deploy-');

/** The environment a user has before setting anything: none of ours, no cloud credentials. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of Object.keys(env)) {
    if (/^(UPLOAD_STORE|OSS_CALLBACK_|TABLESTORE_|AWS_|ALIBABA_CLOUD_)/.test(name) && !(name in extra)) delete env[name];
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

async function packaged(stage: string) {
  const out = join(dir, stage);
  const result = await sh('npx', ['osls', 'package', '--stage', stage, '--package', out]);
  expect(result.code, result.stderr).toBe(0);
  const { default: template } = (await import(join(out, 'cloudformation-template-update-stack.json'), { with: { type: 'json' } })) as {
    default: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
  };
  return { files: zipEntries(join(out, 'oss-upload-callback.zip')).sort(), resources: template.Resources };
}

describe('local invoke, as the README gives it', () => {
  // A store of the test's own, from the shell as a user would set it: the project's ./data store is
  // shared with whatever else ran here.
  const localStore = { UPLOAD_STORE: `sqlite:${join(dir, 'uploads.db')}` };

  it('npx osls invoke local -f callback -p events/lambda-url/put-object-form.json answers 200 with the record', async () => {
    const result = await sh('npx', ['osls', 'invoke', 'local', '-f', 'callback', '-p', 'events/lambda-url/put-object-form.json'], cleanEnv(localStore));
    expectRecorded(result, { object: 'uploads/2024/05/cat photo.jpg', operation: 'PutObject' });
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
    const result = await sh('npm', ['run', '--silent', 'invoke:fc3', '--', 'events/fc3/put-object-json.json'], cleanEnv(localStore));
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
  it('dev stage: one bundled handler and its store chunks, the dev key trusted, the store table and least privilege', async () => {
    const { files, resources } = await packaged('dev');
    expect(files.filter((file) => !file.startsWith('functions/chunks/'))).toEqual([
      'functions/callback.js',
      'functions/package.json',
      'test/dev-key/trusted-keys.json',
    ]);
    expect(files.some((file) => /^functions\/chunks\/dynamodb-.*\.js$/.test(file))).toBe(true);

    const fn = resources.CallbackLambdaFunction!.Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'functions/callback.lambda', Timeout: 6 });
    expect(fn.Environment.Variables).toMatchObject({
      UPLOAD_STORE: 'dynamodb:oss-upload-callback-dev-records',
      OSS_CALLBACK_TRUSTED_KEYS: 'test/dev-key/trusted-keys.json',
    });
    expect(resources.CallbackLambdaFunctionUrl!.Properties.AuthType).toBe('NONE');

    const table = resources.RecordsTable!.Properties;
    for (const property of ['BillingMode', 'AttributeDefinitions', 'KeySchema', 'GlobalSecondaryIndexes', 'TimeToLiveSpecification'] as const) {
      expect(table[property], property).toEqual(TABLE[property]);
    }

    const statements = resources.IamRoleLambdaExecution!.Properties.Policies[0].PolicyDocument.Statement as { Action: string[]; Resource: unknown[] }[];
    const dynamodb = statements.filter((statement) => statement.Action.some((action) => action.startsWith('dynamodb:')));
    expect(dynamodb).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: [{ 'Fn::GetAtt': ['RecordsTable', 'Arn'] }],
      },
    ]);
  }, 120_000);

  it('any other stage: the dev key neither packaged nor trusted', async () => {
    const { files, resources } = await packaged('prod');
    expect(files.filter((file) => file.startsWith('test/'))).toEqual([]);
    expect(resources.CallbackLambdaFunction!.Properties.Environment.Variables.OSS_CALLBACK_TRUSTED_KEYS).toBe('');
  }, 120_000);
});
