import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CallbackRequest } from '../lib/exchange.js';
import type { LambdaUrlEvent } from '../lib/platforms/lambda-url.js';
import { fc3EventOf, lambdaUrlEventOf } from '../lib/platforms/sample-events.js';
import { signedCallback } from '../lib/protocol/sign.js';
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

/** The same for the Function Compute bundle: FC 3.0 hands the event as bytes and the role's STS credentials in the context. */
const fcCallback = (eventFile: string) => `
import { readFileSync } from 'node:fs';
const { fc3 } = await import(${JSON.stringify(FC.entry)});
const credentials = ${JSON.stringify(TABLESTORE_KEYS)};
const result = await fc3(readFileSync(${JSON.stringify(eventFile)}), { requestId: 'cold', credentials, function: { timeout: 6 } });
if (result.statusCode !== 200) { console.error(result.body); process.exit(1); }
`;

/**
 * The floor for Function Compute: the least a callback into Tablestore can do, written by hand with
 * Node's own modules. It reads the FC 3.0 event, verifies the OSS signature (RSA-MD5 over path and
 * body) with the pinned key, encodes one PutRow (a PlainBuffer row with its CRC-8 checksums in the
 * protocol-buffer request, expecting no row) and sends it HMAC-SHA1-signed with the invocation's STS
 * credentials over node:http; nothing else is loaded.
 */
const fcFloor = (eventFile: string, n: number) => `
import { createHash, createHmac, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
const event = JSON.parse(readFileSync(${JSON.stringify(eventFile)}, 'utf8'));
const body = Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
const keyUrl = Buffer.from(event.headers['X-Oss-Pub-Key-Url'], 'base64').toString();
const key = JSON.parse(readFileSync(process.env.OSS_CALLBACK_TRUSTED_KEYS, 'utf8'))[keyUrl];
const signed = Buffer.concat([Buffer.from(decodeURIComponent(event.rawPath) + '\\n'), body]);
if (!verify('md5', signed, key, Buffer.from(event.headers.Authorization, 'base64'))) process.exit(1);
const crcTable = Array.from({ length: 256 }, (_, byte) => { let c = byte; for (let bit = 0; bit < 8; bit++) c = c & 128 ? ((c << 1) ^ 7) & 255 : (c << 1) & 255; return c; });
const crc = (c, bytes) => { for (const byte of bytes) c = crcTable[(c ^ byte) & 255]; return c; };
const u32 = (n) => { const bytes = Buffer.alloc(4); bytes.writeUInt32LE(n); return bytes; };
const cell = (name, text) => {
  const nameBytes = Buffer.from(name), value = Buffer.from(text), variant = Buffer.concat([Buffer.from([3]), u32(value.length), value]);
  const sum = crc(crc(0, nameBytes), variant);
  return { sum, bytes: Buffer.concat([Buffer.from([3, 4]), u32(nameBytes.length), nameBytes, Buffer.from([5]), u32(variant.length), variant, Buffer.from([10, sum])]) };
};
const id = cell('id', 'floor-${n}'), record = cell('record', body.toString());
const row = Buffer.concat([u32(0x75), Buffer.from([1]), id.bytes, Buffer.from([2]), record.bytes, Buffer.from([9, crc(0, [id.sum, record.sum, 0])])]);
const varint = (n) => { const out = []; while (n > 127) { out.push((n & 127) | 128); n >>>= 7; } out.push(n); return Buffer.from(out); };
const field = (key, bytes) => Buffer.concat([Buffer.from([key]), varint(bytes.length), bytes]);
const payload = Buffer.concat([field(10, Buffer.from(${JSON.stringify(TABLESTORE_TABLE)})), field(18, row), field(26, Buffer.from([8, 2]))]);
const credentials = ${JSON.stringify(TABLESTORE_KEYS)};
const headers = {
  'x-ots-accesskeyid': credentials.accessKeyId,
  'x-ots-apiversion': '2015-12-31',
  'x-ots-contentmd5': createHash('md5').update(payload).digest('base64'),
  'x-ots-date': new Date().toISOString(),
  'x-ots-instancename': ${JSON.stringify(TABLESTORE_INSTANCE)},
  'x-ots-ststoken': credentials.securityToken,
};
const canonical = Object.keys(headers).map((name) => name + ':' + headers[name] + '\\n').join('');
headers['x-ots-signature'] = createHmac('sha1', credentials.accessKeySecret).update('/PutRow\\nPOST\\n\\n' + canonical).digest('base64');
const status = await new Promise((resolve, reject) => {
  const req = request(process.env.TABLESTORE_ENDPOINT + '/PutRow', { method: 'POST', headers: { ...headers, 'content-length': payload.length } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
  req.on('error', reject);
  req.end(payload);
});
if (status !== 200) process.exit(1);
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
 * - Function Compute, to its first callback recorded in Tablestore (the tests' wire-level stand-in,
 *   started here; the table made beforehand by the store's `init`), with STS credentials in the
 *   invocation context as FC hands them, against the floor (`fcFloor` above) writing to the same server;
 * - Function Compute, the bundle loaded only.
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
      fcLoad: () => timeProcess(moduleCode(`await import(${JSON.stringify(FC.entry)});`), aliyun),
      fcCallback: () => {
        const eventFile = join(events, `${++uploads}.json`);
        writeFileSync(eventFile, JSON.stringify(fc3EventOf(signedUploadFor(uploads))));
        return timeProcess(moduleCode(fcCallback(eventFile)), aliyun);
      },
      fcFloor: () => {
        const eventFile = join(events, `${++uploads}.json`);
        writeFileSync(eventFile, JSON.stringify(fc3EventOf(signedUploadFor(uploads))));
        return timeProcess(moduleCode(fcFloor(eventFile, uploads)), aliyun);
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
    const floor = { name: 'hand-written floor', value: percentile(times.floor, 50) };
    const fcHandWritten = { name: 'hand-written floor (FC)', value: percentile(times.fcFloor, 50) };
    return [
      { name: 'Lambda cold start to first callback, recorded in DynamoDB (dynalite) (median)', value: percentile(times.lambdaCallback, 50), unit: 'ms', baseline: floor },
      { name: 'Hand-written floor: verify, one signed PutItem over node:http (median)', value: floor.value, unit: 'ms', baseline: bare },
      { name: 'Lambda cold start, bundle loaded only (median)', value: percentile(times.lambdaLoad, 50), unit: 'ms', baseline: bare },
      { name: 'Function Compute cold start to first callback, recorded in Tablestore (stand-in) (median)', value: percentile(times.fcCallback, 50), unit: 'ms', baseline: fcHandWritten },
      { name: 'Hand-written floor for Function Compute: verify, one signed PutRow over node:http (median)', value: fcHandWritten.value, unit: 'ms', baseline: bare },
      { name: 'Function Compute cold start, bundle loaded only (median)', value: percentile(times.fcLoad, 50), unit: 'ms', baseline: bare },
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
