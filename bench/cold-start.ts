import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CallbackRequest } from '../lib/exchange.js';
import type { LambdaUrlEvent } from '../lib/platforms/lambda-url.js';
import { fc3EventOf, lambdaUrlEventOf } from '../lib/platforms/sample-events.js';
import { signedCallback } from '../lib/protocol/sign.js';
import { stringToSign } from '../lib/protocol/string-to-sign.js';
import { openTablestoreStore } from '../lib/store/tablestore.js';
import { startDynalite } from '../scripts/dynalite.js';
import { startTablestoreServer } from '../test/support/tablestore-server.js';
import { percentile, type BenchLine } from './report.js';

// Odd, so the median is one run's figure.
const RUNS = 21;
// npm runs the bench from the package root; the bundles are what `npm run build` writes.
const ROOT = process.cwd();
const LAMBDA = bundle('callback-lambda');
const FC = bundle('callback-fc');
const DEV_KEY = join(ROOT, 'test/dev-key');
const TABLE = 'cold-start';
const TABLESTORE_INSTANCE = 'cold-start';
const TABLESTORE_TABLE = 'cold_start';
const TABLESTORE_KEYS = { accessKeyId: 'STS.cold-start', accessKeySecret: 'cold-start-secret', securityToken: 'cold-start-token' };

function bundle(name: string) {
  const dir = join(ROOT, 'dist/functions', name);
  return { dir, entry: pathToFileURL(join(dir, `${name}.js`)).href };
}

/**
 * The committed sample PutObject callback (events/lambda-url/put-object-form.json, signed with the
 * dev key) as upload number `n`: its body with another object key and request id, signed again. A
 * new upload each run, so every run records one, as a first delivery does.
 */
function signedUploadFor(n: number): CallbackRequest {
  const sample = JSON.parse(readFileSync(join(ROOT, 'events/lambda-url/put-object-form.json'), 'utf8')) as LambdaUrlEvent & { body: string };
  const [keyUrl] = Object.keys(JSON.parse(readFileSync(join(DEV_KEY, 'trusted-keys.json'), 'utf8')) as Record<string, string>);
  const reqId = `C01D${n.toString(16).toUpperCase().padStart(20, '0')}`;
  const body = Buffer.from(sample.body, 'base64')
    .toString('utf8')
    .replace(/(^|&)object=[^&]*/, `$1object=uploads%2Fcold-start%2F${n}.jpg`)
    .replace(/(^|&)reqId=[^&]*/, `$1reqId=${reqId}`);
  return signedCallback({
    privateKey: createPrivateKey(readFileSync(join(DEV_KEY, 'private.pem'))),
    keyUrl: keyUrl!,
    url: `https://${sample.headers.host}${sample.rawPath}`,
    body: Buffer.from(body),
    contentType: sample.headers['content-type']!,
    requestId: reqId,
  });
}

function lambdaEventFor(n: number): LambdaUrlEvent {
  return lambdaUrlEventOf(signedUploadFor(n), { base64Body: true });
}

/** A child that loads the Lambda bundle and answers `eventFile` as Lambda would, failing loudly on anything but 200. */
const lambdaCallback = (eventFile: string) => `
import { readFileSync } from 'node:fs';
const { lambda } = await import(${JSON.stringify(LAMBDA.entry)});
const result = await lambda(JSON.parse(readFileSync(${JSON.stringify(eventFile)}, 'utf8')), { awsRequestId: 'cold', getRemainingTimeInMillis: () => 6000 });
if (result.statusCode !== 200) { console.error(result.body); process.exit(1); }
`;

/** The same for the Function Compute bundle: FC 3.0 hands the event as bytes and the role's STS credentials in the context. */
const fcCallback = (eventFile: string) => `
import { readFileSync } from 'node:fs';
const { fc3 } = await import(${JSON.stringify(FC.entry)});
const credentials = ${JSON.stringify(TABLESTORE_KEYS)};
const result = await fc3(readFileSync(${JSON.stringify(eventFile)}), { requestId: 'cold', credentials, function: { timeout: 6 } });
if (result.statusCode !== 200) { console.error(result.body); process.exit(1); }
`;

/**
 * The floor: what any receiver must do for a first callback, written by hand. It verifies the
 * callback's RSA-MD5 signature with the pinned key (PEM as the trusted-keys file holds it) and makes
 * one HMAC-SHA1-signed Tablestore PutRow over node:http, its body encoded beforehand.
 */
const floor = (jobFile: string) => `
import { createHash, createHmac, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
const job = JSON.parse(readFileSync(${JSON.stringify(jobFile)}, 'utf8'));
if (!verify('RSA-MD5', Buffer.from(job.signed, 'base64'), job.publicKey, Buffer.from(job.signature, 'base64'))) process.exit(1);
const body = Buffer.from(job.body, 'base64');
const headers = {
  'x-ots-accesskeyid': job.accessKeyId,
  'x-ots-apiversion': '2015-12-31',
  'x-ots-contentmd5': createHash('md5').update(body).digest('base64'),
  'x-ots-date': new Date().toISOString(),
  'x-ots-instancename': job.instance,
  'x-ots-ststoken': job.securityToken,
};
const canonical = Object.keys(headers).map((name) => name + ':' + headers[name]).join('\\n');
headers['x-ots-signature'] = createHmac('sha1', job.accessKeySecret).update('/PutRow\\nPOST\\n\\n' + canonical + '\\n').digest('base64');
request(job.endpoint + '/PutRow', { method: 'POST', headers: { ...headers, 'content-length': body.length } }, (response) => {
  response.resume();
  response.on('end', () => process.exit(response.statusCode === 200 ? 0 : 1));
}).end(body);
`;

/** A PutRow of one row, encoded by the SDK, for the floor to send. */
function putRowBody(tableName: string, id: string, record: string): Buffer {
  const sdk = createRequire(import.meta.url)('tablestore');
  const condition = new sdk.Condition(sdk.RowExistenceExpectation.EXPECT_NOT_EXIST, null);
  const message = sdk.encoder.encode('putRow', { tableName, primaryKey: [{ id }], attributeColumns: [{ record }], condition });
  return Buffer.from(Object.getPrototypeOf(message).constructor.encode(message).finish());
}

/** Wall time from spawn to exit of a fresh `node` with `args`, in ms. */
function timeProcess(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (status) => {
      if (status !== 0) reject(new Error(`node ${args.join(' ').slice(0, 80)}… exited with ${status}: ${stderr}`));
      else resolve(Number(process.hrtime.bigint() - start) / 1e6);
    });
  });
}

const moduleCode = (code: string) => ['--input-type=module', '-e', code];

function sizeOf(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((item) => item.isFile())
    .reduce((sum, item) => sum + statSync(join(item.parentPath, item.name)).size, 0);
}

/**
 * Cold starts of the deployed callback bundles, each a fresh Node process with only the environment
 * the platform would give it, against a fresh `node -e 0`:
 * - Lambda, to its first callback recorded: the bundle loads, then records one signed Lambda URL
 *   callback in DynamoDB (dynalite, started here; the table made beforehand by `oss-callback store
 *   init`, as a deploy makes it), with fake credentials from the environment as Lambda hands them;
 * - Lambda, the bundle loaded only: what module loading costs before the first callback;
 * - Function Compute, to its first callback recorded in Tablestore (the tests' wire-level stand-in,
 *   started here; the table made beforehand by the store's `init`), with STS credentials in the
 *   invocation context as FC hands them, against the floor (`floor` above) writing to the same server.
 * The kinds take turns, in a rotating order, so all see the same machine; each figure is the median
 * of RUNS, after one unmeasured round that warms the file cache. Plus the bundles' sizes.
 */
export async function run(): Promise<BenchLine[]> {
  for (const { entry } of [LAMBDA, FC]) if (!existsSync(new URL(entry))) throw new Error(`${entry} is missing: run npm run build first`);
  const dynamodb = await startDynalite();
  const tablestore = await startTablestoreServer({ instance: TABLESTORE_INSTANCE, credentials: [TABLESTORE_KEYS] });
  const events = mkdtempSync(join(tmpdir(), 'oss-callback-cold-start-'));
  try {
    // Built from nothing, not inherited: the shell's NODE_OPTIONS, NODE_EXTRA_CA_CERTS (about 40 ms on
    // every start, here) or ~/.aws would weigh on both sides and flatter or skew the ratio.
    const platform = { PATH: process.env.PATH, LOG_LEVEL: 'silent', OSS_CALLBACK_TRUSTED_KEYS: join(DEV_KEY, 'trusted-keys.json') };
    const aws = {
      ...platform,
      UPLOAD_STORE: `dynamodb:${TABLE}`,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
    await timeProcess([join(ROOT, 'dist/cli/bin.js'), 'store', 'init'], aws);
    const aliyun = { ...platform, UPLOAD_STORE: `tablestore:${TABLESTORE_INSTANCE}/${TABLESTORE_TABLE}`, TABLESTORE_ENDPOINT: tablestore.endpoint };
    const store = await openTablestoreStore(TABLESTORE_INSTANCE, TABLESTORE_TABLE, { endpoint: tablestore.endpoint, aliyunCredentials: () => TABLESTORE_KEYS });
    await store.init();
    await store.close();
    const [publicKey] = Object.values(JSON.parse(readFileSync(aliyun.OSS_CALLBACK_TRUSTED_KEYS, 'utf8')) as Record<string, string>);

    let uploads = 0;
    const kinds = {
      bare: () => timeProcess(['-e', '0'], platform),
      lambdaCallback: () => {
        const eventFile = join(events, `${++uploads}.json`);
        writeFileSync(eventFile, JSON.stringify(lambdaEventFor(uploads)));
        return timeProcess(moduleCode(lambdaCallback(eventFile)), aws);
      },
      lambdaLoad: () => timeProcess(moduleCode(`await import(${JSON.stringify(LAMBDA.entry)});`), aws),
      fcCallback: () => {
        const eventFile = join(events, `${++uploads}.json`);
        writeFileSync(eventFile, JSON.stringify(fc3EventOf(signedUploadFor(uploads))));
        return timeProcess(moduleCode(fcCallback(eventFile)), aliyun);
      },
      floor: () => {
        const request = signedUploadFor(++uploads);
        const jobFile = join(events, `${uploads}.json`);
        const job = {
          signed: stringToSign(request).toString('base64'),
          signature: request.headers.authorization,
          publicKey,
          body: putRowBody(TABLESTORE_TABLE, `floor-${uploads}`, request.body.toString('utf8')).toString('base64'),
          endpoint: tablestore.endpoint,
          instance: TABLESTORE_INSTANCE,
          ...TABLESTORE_KEYS,
        };
        writeFileSync(jobFile, JSON.stringify(job));
        return timeProcess(moduleCode(floor(jobFile)), platform);
      },
    };
    const names = Object.keys(kinds) as (keyof typeof kinds)[];
    const times = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<keyof typeof kinds, number[]>;
    for (let round = -1; round < RUNS; round++) {
      for (let turn = 0; turn < names.length; turn++) {
        const name = names[(Math.max(round, 0) + turn) % names.length]!;
        const ms = await kinds[name]();
        if (round >= 0) times[name].push(ms);
      }
    }

    const bare = { name: 'node -e 0', value: percentile(times.bare, 50) };
    const handWritten = { name: 'floor', value: percentile(times.floor, 50) };
    return [
      { name: 'Lambda cold start to first callback, recorded in DynamoDB (dynalite) (median)', value: percentile(times.lambdaCallback, 50), unit: 'ms', baseline: bare },
      { name: 'Lambda cold start, bundle loaded only (median)', value: percentile(times.lambdaLoad, 50), unit: 'ms', baseline: bare },
      { name: 'floor: RSA-MD5 verify, one signed PutRow over node:http (median)', value: handWritten.value, unit: 'ms', baseline: bare },
      { name: 'Function Compute cold start to first callback, recorded in Tablestore (stand-in) (median)', value: percentile(times.fcCallback, 50), unit: 'ms', baseline: handWritten },
      { name: 'Lambda bundle entry', value: statSync(new URL(LAMBDA.entry)).size / 1024, unit: 'KiB' },
      { name: 'Lambda artifact, all chunks', value: sizeOf(LAMBDA.dir) / 1024, unit: 'KiB' },
      { name: 'Function Compute bundle entry', value: statSync(new URL(FC.entry)).size / 1024, unit: 'KiB' },
      { name: 'Function Compute artifact, all chunks', value: sizeOf(FC.dir) / 1024, unit: 'KiB' },
    ];
  } finally {
    rmSync(events, { recursive: true, force: true });
    await dynamodb.stop();
    await tablestore.close();
  }
}
