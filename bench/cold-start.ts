import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LambdaUrlEvent } from '../lib/platforms/lambda-url.js';
import { lambdaUrlEventOf } from '../lib/platforms/sample-events.js';
import { signedCallback } from '../lib/protocol/sign.js';
import { startDynalite } from '../scripts/dynalite.js';
import { percentile, type BenchLine } from './report.js';

// Odd, so the median is one run's figure.
const RUNS = 21;
// npm runs the bench from the package root; the bundles are what `npm run build` writes.
const ROOT = process.cwd();
const LAMBDA = bundle('callback-lambda');
const FC = bundle('callback-fc');
const DEV_KEY = join(ROOT, 'test/dev-key');
const TABLE = 'cold-start';

function bundle(name: string) {
  const dir = join(ROOT, 'dist/functions', name);
  return { dir, entry: pathToFileURL(join(dir, `${name}.js`)).href };
}

/**
 * The committed sample PutObject callback (events/lambda-url/put-object-form.json, signed with the
 * dev key) as upload number `n`: its body with another object key and request id, signed again. A
 * new upload each run, so every run records one, as a first delivery does.
 */
function lambdaEventFor(n: number): LambdaUrlEvent {
  const sample = JSON.parse(readFileSync(join(ROOT, 'events/lambda-url/put-object-form.json'), 'utf8')) as LambdaUrlEvent & { body: string };
  const [keyUrl] = Object.keys(JSON.parse(readFileSync(join(DEV_KEY, 'trusted-keys.json'), 'utf8')) as Record<string, string>);
  const reqId = `C01D${n.toString(16).toUpperCase().padStart(20, '0')}`;
  const body = Buffer.from(sample.body, 'base64')
    .toString('utf8')
    .replace(/(^|&)object=[^&]*/, `$1object=uploads%2Fcold-start%2F${n}.jpg`)
    .replace(/(^|&)reqId=[^&]*/, `$1reqId=${reqId}`);
  const request = signedCallback({
    privateKey: createPrivateKey(readFileSync(join(DEV_KEY, 'private.pem'))),
    keyUrl: keyUrl!,
    url: `https://${sample.headers.host}${sample.rawPath}`,
    body: Buffer.from(body),
    contentType: sample.headers['content-type']!,
    requestId: reqId,
  });
  return lambdaUrlEventOf(request, { base64Body: true });
}

/** A child that loads the Lambda bundle and answers `eventFile` as Lambda would, failing loudly on anything but 200. */
const lambdaCallback = (eventFile: string) => `
import { readFileSync } from 'node:fs';
const { lambda } = await import(${JSON.stringify(LAMBDA.entry)});
const result = await lambda(JSON.parse(readFileSync(${JSON.stringify(eventFile)}, 'utf8')), { awsRequestId: 'cold', getRemainingTimeInMillis: () => 6000 });
if (result.statusCode !== 200) { console.error(result.body); process.exit(1); }
`;

/**
 * The floor: the least a Lambda callback into DynamoDB can do, written by hand with Node's own modules.
 * It reads the event, verifies the OSS signature (RSA-MD5 over path, query and body) with the pinned
 * key, and writes one SigV4-signed conditional PutItem over node:http; nothing else is loaded.
 */
const lambdaFloor = (eventFile: string, n: number) => `
import { createHash, createHmac, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
const event = JSON.parse(readFileSync(${JSON.stringify(eventFile)}, 'utf8'));
const body = Buffer.from(event.body, 'base64');
const keyUrl = Buffer.from(event.headers['x-oss-pub-key-url'], 'base64').toString();
const key = JSON.parse(readFileSync(process.env.OSS_CALLBACK_TRUSTED_KEYS, 'utf8'))[keyUrl];
const query = event.rawQueryString ? '?' + event.rawQueryString : '';
const signed = Buffer.concat([Buffer.from(decodeURIComponent(event.rawPath) + query + '\\n'), body]);
if (!verify('md5', signed, key, Buffer.from(event.headers.authorization, 'base64'))) process.exit(1);
const url = new URL(process.env.AWS_ENDPOINT_URL_DYNAMODB);
const payload = JSON.stringify({ TableName: ${JSON.stringify(TABLE)}, Item: { pk: { S: 'floor#${n}' }, body: { S: body.toString() } }, ConditionExpression: 'attribute_not_exists(pk)' });
const stamp = new Date().toISOString().replace(/[-:]|\\.\\d{3}/g, '');
const scope = stamp.slice(0, 8) + '/' + process.env.AWS_REGION + '/dynamodb/aws4_request';
const headers = { 'content-type': 'application/x-amz-json-1.0', host: url.host, 'x-amz-date': stamp, 'x-amz-target': 'DynamoDB_20120810.PutItem' };
const names = Object.keys(headers).sort();
const sha = (text) => createHash('sha256').update(text).digest('hex');
const canonical = ['POST', '/', '', ...names.map((name) => name + ':' + headers[name]), '', names.join(';'), sha(payload)].join('\\n');
const hmac = (k, text) => createHmac('sha256', k).update(text).digest();
let signingKey = 'AWS4' + process.env.AWS_SECRET_ACCESS_KEY;
for (const part of [stamp.slice(0, 8), process.env.AWS_REGION, 'dynamodb', 'aws4_request']) signingKey = hmac(signingKey, part);
const signature = createHmac('sha256', signingKey).update('AWS4-HMAC-SHA256\\n' + stamp + '\\n' + scope + '\\n' + sha(canonical)).digest('hex');
headers.authorization = 'AWS4-HMAC-SHA256 Credential=' + process.env.AWS_ACCESS_KEY_ID + '/' + scope + ', SignedHeaders=' + names.join(';') + ', Signature=' + signature;
const status = await new Promise((resolve, reject) => {
  const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(payload) } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
  req.on('error', reject);
  req.end(payload);
});
if (status !== 200) process.exit(1);
`;

/** The same for the Function Compute bundle, with the committed FC 3.0 sample. */
const FC_CALLBACK = `
import { readFileSync } from 'node:fs';
const { fc3 } = await import(${JSON.stringify(FC.entry)});
const result = await fc3(readFileSync(${JSON.stringify(join(ROOT, 'events/fc3/put-object-form.json'))}), { requestId: 'cold', function: { timeout: 6 } });
if (result.statusCode !== 200) { console.error(result.body); process.exit(1); }
`;

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
 * - Function Compute, to its first callback into memory:, for scale.
 * The kinds take turns, in a rotating order, so all see the same machine; each figure is the median
 * of RUNS, after one unmeasured round that warms the file cache. Plus the bundles' sizes.
 */
export async function run(): Promise<BenchLine[]> {
  for (const { entry } of [LAMBDA, FC]) if (!existsSync(new URL(entry))) throw new Error(`${entry} is missing: run npm run build first`);
  const dynamodb = await startDynalite();
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

    let uploads = 0;
    const kinds = {
      bare: () => timeProcess(['-e', '0'], platform),
      floor: () => {
        const eventFile = join(events, `${++uploads}.json`);
        writeFileSync(eventFile, JSON.stringify(lambdaEventFor(uploads)));
        return timeProcess(moduleCode(lambdaFloor(eventFile, uploads)), aws);
      },
      lambdaCallback: () => {
        const eventFile = join(events, `${++uploads}.json`);
        writeFileSync(eventFile, JSON.stringify(lambdaEventFor(uploads)));
        return timeProcess(moduleCode(lambdaCallback(eventFile)), aws);
      },
      lambdaLoad: () => timeProcess(moduleCode(`await import(${JSON.stringify(LAMBDA.entry)});`), aws),
      fcCallback: () => timeProcess(moduleCode(FC_CALLBACK), { ...platform, UPLOAD_STORE: 'memory:' }),
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
    const floor = { name: 'hand-written floor', value: percentile(times.floor, 50) };
    return [
      { name: 'Lambda cold start to first callback, recorded in DynamoDB (dynalite) (median)', value: percentile(times.lambdaCallback, 50), unit: 'ms', baseline: floor },
      { name: 'Hand-written floor: verify, one signed PutItem over node:http (median)', value: floor.value, unit: 'ms', baseline: bare },
      { name: 'Lambda cold start, bundle loaded only (median)', value: percentile(times.lambdaLoad, 50), unit: 'ms', baseline: bare },
      { name: 'Function Compute cold start to first callback, memory: (median)', value: percentile(times.fcCallback, 50), unit: 'ms', baseline: bare },
      { name: 'Lambda bundle entry', value: statSync(new URL(LAMBDA.entry)).size / 1024, unit: 'KiB' },
      { name: 'Lambda artifact, all chunks', value: sizeOf(LAMBDA.dir) / 1024, unit: 'KiB' },
      { name: 'Function Compute bundle entry', value: statSync(new URL(FC.entry)).size / 1024, unit: 'KiB' },
      { name: 'Function Compute artifact, all chunks', value: sizeOf(FC.dir) / 1024, unit: 'KiB' },
    ];
  } finally {
    rmSync(events, { recursive: true, force: true });
    await dynamodb.stop();
  }
}
