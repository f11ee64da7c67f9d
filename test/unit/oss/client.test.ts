import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOssClient, OssRefusal, OssUnreachable, type OssClient } from '../../../lib/oss/client.js';
import { headObject } from '../../../lib/oss/head-object.js';
import { ossLocation } from '../../../lib/oss/location.js';

const PAIR = { accessKeyId: 'LTAI5tExample', accessKeySecret: 'example-secret' };

type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** A stand-in OSS: answers each request with `answer`, keeps what it was sent. */
async function ossServer(answer: (headers: IncomingHttpHeaders, index: number) => Answer) {
  const received: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(req.headers);
      const what = answer(req.headers, received.length - 1);
      if (what === 'hang') return;
      res.writeHead(what.status, { date: new Date().toUTCString(), ...what.headers }).end(what.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

const errorXml = (code: string, message = 'injected') => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>R1</RequestId></Error>`;
/** OSS's error: the XML document as the body, and base64 in x-oss-err for a HEAD, which has no body. */
const refusal = (status: number, code: string, extra: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/xml', 'x-oss-err': Buffer.from(errorXml(code)).toString('base64'), ...extra },
  body: errorXml(code),
});
const object = { status: 200, headers: { etag: '"D41D8CD98F00B204E9800998ECF8427E"', 'content-length': '0' } };

const clients: OssClient[] = [];
function reader(url: string, options: Partial<Parameters<typeof createOssClient>[0]> = {}): OssClient {
  const client = createOssClient({ location: ossLocation({ region: 'cn-hangzhou', endpoint: url }, { region: 'r', endpoint: 'e' }), credentials: () => PAIR, ...options });
  clients.push(client);
  return client;
}

beforeEach(() => void vi.spyOn(Math, 'random').mockReturnValue(0));
afterEach(() => {
  vi.restoreAllMocks();
  for (const client of clients.splice(0)) client.close();
});

describe('the OSS reader’s retries, as the AWS SDK’s standard mode makes them', () => {
  it('retries 500, 502, 503, 504, SlowDown and 429, three attempts at most, then reports what OSS said', async () => {
    for (const answer of [refusal(500, 'InternalError'), refusal(502, 'BadGateway'), refusal(503, 'ServiceUnavailable'), refusal(504, 'GatewayTimeout'), refusal(503, 'SlowDown'), refusal(429, 'TooManyRequests')]) {
      const server = await ossServer(() => answer);
      const failure = await headObject(reader(server.url), 'photos', 'a.jpg').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OssRefusal);
      expect(server.received).toHaveLength(3);
      await server.stop();
    }
  });

  it('answers with the object once a retry gets through', async () => {
    const server = await ossServer((_, index) => (index < 2 ? refusal(503, 'ServiceUnavailable') : object));
    expect(await headObject(reader(server.url), 'photos', 'a.jpg')).toMatchObject({ etag: 'D41D8CD98F00B204E9800998ECF8427E', size: 0 });
    expect(server.received).toHaveLength(3);
    await server.stop();
  });

  it('never retries a refusal a retry cannot change: 403 AccessDenied, 404 NoSuchBucket, 400 InvalidArgument', async () => {
    for (const answer of [refusal(403, 'AccessDenied'), refusal(404, 'NoSuchBucket'), refusal(400, 'InvalidArgument'), refusal(403, 'SignatureDoesNotMatch')]) {
      const server = await ossServer(() => answer);
      await expect(reader(server.url).send({ method: 'GET', bucket: 'photos', key: '', query: [['list-type', '2']] })).rejects.toBeInstanceOf(OssRefusal);
      expect(server.received).toHaveLength(1);
      await server.stop();
    }
  });

  it('reads a HEAD refusal from x-oss-err, and retries it the same', async () => {
    const server = await ossServer(() => ({ status: 503, headers: { 'x-oss-err': Buffer.from(errorXml('ServiceUnavailable', 'busy')).toString('base64') } }));
    await expect(headObject(reader(server.url), 'photos', 'a.jpg')).rejects.toMatchObject({ status: 503, code: 'ServiceUnavailable', message: 'OSS answered 503 ServiceUnavailable: busy' });
    expect(server.received).toHaveLength(3);
    await server.stop();
  });

  it('gives up on a silent server after its attempts, each cut off by the first-byte limit, with the limit as its code', async () => {
    const server = await ossServer(() => 'hang');
    const failure = await headObject(reader(server.url, { firstByteTimeoutMs: 50 }), 'photos', 'a.jpg').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OssUnreachable);
    expect(failure).toMatchObject({ code: 'FirstByteTimeout' });
    expect(server.received).toHaveLength(3);
    await server.stop();
  });

  it('stops waiting to retry when the caller aborts, and never waits past the deadline it was given', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.99);
    const server = await ossServer(() => refusal(503, 'SlowDown'));
    const client = reader(server.url);
    const reason = new Error('the callback’s deadline');
    const controller = new AbortController();
    const aborted = client.send({ method: 'HEAD', bucket: 'photos', key: 'a.jpg', signal: controller.signal });
    setTimeout(() => controller.abort(reason), 50);
    await expect(aborted).rejects.toBe(reason);
    expect(server.received).toHaveLength(1);
    // A throttled retry waits up to a second; with 200 ms left, none is begun.
    await expect(client.send({ method: 'HEAD', bucket: 'photos', key: 'a.jpg', deadline: Date.now() + 200 })).rejects.toMatchObject({ code: 'SlowDown' });
    expect(server.received).toHaveLength(2);
    await server.stop();
  });
});

describe('the OSS reader’s clock, corrected by OSS', () => {
  /** An OSS whose clock is `skewMs` from ours, refusing a signature 15 minutes off its time as OSS does. */
  const skewed = (skewMs: number) =>
    ossServer((headers) => {
      const serverNow = Date.now() + skewMs;
      const stamp = String(headers['x-oss-date']);
      const signedAt = Date.parse(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`);
      const date = new Date(serverNow).toUTCString();
      if (Math.abs(signedAt - serverNow) > 15 * 60_000) return refusal(403, 'RequestTimeTooSkewed', { date });
      return { ...object, headers: { ...object.headers, date } };
    });

  for (const skewMs of [30 * 60_000, -45 * 60_000]) {
    it(`signs with OSS's time after one RequestTimeTooSkewed when our clock is ${skewMs > 0 ? 'behind' : 'ahead'}, and keeps it`, async () => {
      const server = await skewed(skewMs);
      const client = reader(server.url);
      expect(await headObject(client, 'photos', 'a.jpg')).toMatchObject({ size: 0 });
      expect(server.received).toHaveLength(2);
      expect(await headObject(client, 'photos', 'b.jpg')).toMatchObject({ size: 0 });
      expect(server.received).toHaveLength(3);
      await server.stop();
    });
  }

  it('does not retry RequestTimeTooSkewed when OSS’s Date agrees with ours (nothing to correct)', async () => {
    const server = await ossServer(() => refusal(403, 'RequestTimeTooSkewed'));
    await expect(headObject(reader(server.url), 'photos', 'a.jpg')).rejects.toMatchObject({ code: 'RequestTimeTooSkewed' });
    expect(server.received).toHaveLength(1);
    await server.stop();
  });
});
