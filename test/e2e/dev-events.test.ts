import OSS from 'ali-oss';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/logger.js';
import { callbackBodyTemplate } from '../../lib/protocol/templates.js';
import type { UploadRecord } from '../../lib/store/record.js';
import { startDevStack, type DevStack } from '../../scripts/dev-stack.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * `npm run dev` closes the loop on a laptop: the simulator posts an OSS event for every object it
 * creates to the receiver's POST /oss/events, which records it as the reconcile function does on
 * Function Compute; a callback that comes replaces that record, one that fails leaves it.
 */
const dir = tempDir('oss-dev-events-');
let stack: DevStack;
let client: OSS;

beforeAll(async () => {
  stack = await startDevStack({
    sim: { dataDir: join(dir, 'oss'), bucket: 'dev-bucket', port: 0, trustedKeysOut: join(dir, 'trusted-keys.json'), callbackTimeoutMs: 1000 },
    receiverPort: 0,
    env: { UPLOAD_STORE: `sqlite:${join(dir, 'uploads.db')}` },
    simLogger: silentLogger,
    logger: silentLogger,
  });
  client = new OSS({ endpoint: stack.sim.url, cname: true, bucket: 'dev-bucket', accessKeyId: 'dev', accessKeySecret: 'dev' });
});

afterAll(async () => stack?.close());

const recorded = async (object: string) => (await stack.receiver.store.list({ bucket: 'dev-bucket', prefix: object })).map((record) => record.source);

describe('npm run dev', () => {
  it('records an upload from its event when no callback comes or the callback fails', async () => {
    await client.put('no-callback.txt', Buffer.from('x'));
    const failed = await client.put('failed-callback.txt', Buffer.from('y'), { callback: { url: 'http://127.0.0.1:1/down', body: callbackBodyTemplate('form') } }).catch((error: unknown) => error);
    expect(failed).toMatchObject({ status: 203 });
    expect(await recorded('no-callback.txt')).toEqual(['event']);
    expect(await recorded('failed-callback.txt')).toEqual(['event']);
  });

  it('lets the callback replace the event’s record', async () => {
    const result = await client.put('called.txt', Buffer.from('z'), { callback: { url: stack.callbackUrl, body: callbackBodyTemplate('form') } });
    expect((result.data as { record: UploadRecord }).record.source).toBe('callback');
    expect(await recorded('called.txt')).toEqual(['callback']);
  });

  it('answers anything but an OSS event document on POST /oss/events with a JSON refusal', async () => {
    const url = `${stack.receiver.url}/oss/events`;
    expect((await fetch(url)).status).toBe(405);
    const notJson = await fetch(url, { method: 'POST', body: 'hello' });
    expect({ status: notJson.status, body: await notJson.json() }).toEqual({ status: 400, body: { Status: 'Error', code: 'MalformedBody', message: 'the body is not JSON' } });
    expect((await fetch(url, { method: 'POST', body: '{"triggerTime":"x"}' })).status).toBe(400);
  });
});
