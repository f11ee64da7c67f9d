import OSS from 'ali-oss';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import type { LogFields, Logger } from '../../lib/logger.js';
import { startLocalServer, type LocalServer } from '../../lib/platforms/node-http.js';
import { callbackBodyTemplate } from '../../lib/protocol/templates.js';
import type { UploadRecord } from '../../lib/store/record.js';
import { startSimulator, type Simulator } from '../../sim/simulator.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Confirm mode end to end: the unmodified ali-oss client uploads to the simulator, which signs
 * whatever body the uploader's template says, as OSS does, so a stranger can name any object. The
 * receiver, with OSS_CALLBACK_CONFIRM on, reads the object with HeadObject (signed V4 with its own
 * credentials, which the simulator checks) and records only what is there as the callback says.
 */
const BUCKET = 'confirm-bucket';
const PAIR = { accessKeyId: 'LTAI-confirm', accessKeySecret: 'confirm-secret' };

const dir = tempDir('oss-confirm-');
let sim: Simulator;
let receiver: LocalServer;
let client: OSS;
let callbackUrl: string;
const callbacks: LogFields[] = [];
const ossRequests: LogFields[] = [];

const capture = (into: LogFields[], message: string): Logger => ({ log: (_level, logged, fields = {}) => void (logged === message && into.push(fields)) });

beforeAll(async () => {
  const trustedKeys = join(dir, 'trusted-keys.json');
  sim = await startSimulator({ dataDir: join(dir, 'oss'), bucket: BUCKET, credentials: PAIR, trustedKeysOut: trustedKeys, logger: capture(ossRequests, 'oss request') });
  // The receiver's read-only key, from the environment as deployed.
  vi.stubEnv('OSS_ACCESS_KEY_ID', PAIR.accessKeyId);
  vi.stubEnv('OSS_ACCESS_KEY_SECRET', PAIR.accessKeySecret);
  const config = loadConfig({
    UPLOAD_STORE: `sqlite:${join(dir, 'uploads.db')}`,
    OSS_CALLBACK_TRUSTED_KEYS: trustedKeys,
    OSS_CALLBACK_CONFIRM: 'true',
    OSS_CALLBACK_BUCKETS: BUCKET,
    OSS_REGION: 'cn-hangzhou',
    // The simulator's address, used as it is, as one bucket's own endpoint (a custom domain) is.
    OSS_ENDPOINT: sim.url,
  });
  receiver = await startLocalServer({ config, port: 0, logger: capture(callbacks, 'callback') });
  vi.unstubAllEnvs();
  callbackUrl = `${receiver.url}/oss/callback`;
  client = new OSS({ endpoint: sim.url, cname: true, bucket: BUCKET, ...PAIR });
});

afterAll(async () => {
  await receiver?.close();
  await sim?.close();
});

/** Upload `key` with a callback whose body is `body` (a template: constants and ${variables}). */
async function upload(key: string, body: string) {
  return client.put(key, Buffer.from(`content of ${key}`), { callback: { url: callbackUrl, body } }).then(
    (result) => ({ status: 200, record: (result.data as { record: UploadRecord }).record }),
    (error: { status: number; message: string }) => ({ status: error.status, message: error.message }),
  );
}

const lastCallback = () => callbacks.at(-1)!;
const headsOf = (key: string) => ossRequests.filter((request) => request.method === 'HEAD' && request.key === key).length;

describe('confirm mode', () => {
  it('records a real upload once HeadObject shows it there, with the ETag and size the callback names', async () => {
    const outcome = await upload('real/photo.jpg', callbackBodyTemplate('form'));
    expect(outcome).toMatchObject({ status: 200, record: { source: 'callback', bucket: BUCKET, object: 'real/photo.jpg', size: 'content of real/photo.jpg'.length } });
    expect(headsOf('real/photo.jpg')).toBe(1);
    expect(await receiver.store.list({ bucket: BUCKET, prefix: 'real/' })).toHaveLength(1);
  });

  it('refuses a callback naming an object that is absent: OSS signs any body a template spells', async () => {
    const forged = `bucket=${BUCKET}&object=invoices/2026/paid.pdf&etag=\${etag}&size=\${size}`;
    const outcome = await upload('decoy/absent.txt', forged);
    expect(outcome).toMatchObject({ status: 203, message: expect.stringContaining('Error status : 403.') });
    expect(lastCallback()).toMatchObject({ status: 403, code: 'UploadNotConfirmed', error: 'object "invoices/2026/paid.pdf" in bucket confirm-bucket is absent' });
    expect(await receiver.store.list({ bucket: BUCKET, prefix: 'invoices/' })).toEqual([]);
  });

  it('refuses a callback naming a bucket it does not serve, without asking OSS', async () => {
    const before = ossRequests.filter((request) => request.method === 'HEAD').length;
    const outcome = await upload('decoy/other-bucket.txt', 'bucket=someone-elses-bucket&object=${object}&etag=${etag}&size=${size}');
    expect(outcome).toMatchObject({ status: 203 });
    expect(lastCallback()).toMatchObject({ status: 403, code: 'BucketNotServed', error: 'the callback names bucket "someone-elses-bucket", which this receiver does not serve (OSS_CALLBACK_BUCKETS)' });
    expect(ossRequests.filter((request) => request.method === 'HEAD').length).toBe(before);
  });

  it('refuses a callback whose ETag or size is not the object’s, saying which, without telling the object’s own', async () => {
    await upload('real/doc.txt', callbackBodyTemplate('form'));
    const etag = await upload('decoy/etag.txt', `bucket=${BUCKET}&object=real/doc.txt&etag=D41D8CD98F00B204E9800998ECF8427E&size=\${size}`);
    expect(etag).toMatchObject({ status: 203 });
    expect(lastCallback()).toMatchObject({ code: 'UploadNotConfirmed', error: 'object "real/doc.txt" in bucket confirm-bucket has another ETag than the callback names' });
    const size = await upload('decoy/size.txt', `bucket=${BUCKET}&object=real/doc.txt&etag=\${etag}&size=1`);
    expect(size).toMatchObject({ status: 203 });
    expect(lastCallback().code).toBe('UploadNotConfirmed');
    // The decoy's own ETag is not real/doc.txt's either: whichever differs first is named.
    expect(String(lastCallback().error)).toMatch(/^object "real\/doc.txt" in bucket confirm-bucket has another (ETag|size) than the callback names$/);
    const [record] = await receiver.store.list({ bucket: BUCKET, prefix: 'real/doc' });
    expect(record?.object).toBe('real/doc.txt');
  });

  it('refuses a callback that carries no etag or size, saying what to add to the template', async () => {
    const outcome = await upload('real/no-etag.txt', 'bucket=${bucket}&object=${object}&size=${size}');
    expect(outcome).toMatchObject({ status: 203, message: expect.stringContaining('Error status : 400.') });
    expect(lastCallback()).toMatchObject({ code: 'MissingField', error: expect.stringContaining('add etag=${etag} to the callback body template') });
    expect(headsOf('real/no-etag.txt')).toBe(0);
  });
});
