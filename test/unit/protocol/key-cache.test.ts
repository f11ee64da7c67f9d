import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyCache, type FetchLike } from '../../../lib/protocol/key-cache.js';
import { keyFingerprint } from '../../../lib/protocol/rsa.js';
import { verifyCallback } from '../../../lib/protocol/verify.js';
import { otherKey, signRequest, testKey, testResolver } from '../../support/keys.js';

/**
 * KeyCache over real sockets: the cache's own fetch code runs against a local node:http server (or a
 * raw TCP server for responses node:http will not write), reached by a fetch that only rewrites the
 * gosspublic.alicdn.com origin to the local one. Requests are counted where they arrive.
 */
const ORIGIN = 'https://gosspublic.alicdn.com';
const KEY_URL = `${ORIGIN}/test_key.pem`;
const ecPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

type Route = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let routes: Map<string, Route>;
let hits: string[];

// A fresh server (and so a fresh origin and connection pool) per test: a connection one test abandons
// must not fail the next test's request.
beforeEach(async () => {
  routes = new Map();
  hits = [];
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    (routes.get(req.url ?? '') ?? notFound)(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function notFound(_req: IncomingMessage, res: ServerResponse) {
  res.writeHead(404).end('not found');
}

const serve =
  (pem: string, delayMs = 0): Route =>
  (_req, res) => {
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(pem), delayMs);
  };

/** A fetch to the real network stack, with gosspublic.alicdn.com's origin rewritten to `origin`. */
function localFetch(origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`): FetchLike {
  return (url, init) => fetch(url.replace(ORIGIN, origin), init);
}

/** A TCP server that writes whatever `respond` writes, for responses node:http would not produce. */
async function rawServer(respond: (socket: Socket) => void): Promise<{ origin: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const tcp: TcpServer = createTcpServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.once('data', () => respond(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => tcp.close(resolve));
    },
  };
}

describe('KeyCache.get', () => {
  it('fetches a key and parses it as the RSA public key served', async () => {
    // Prepare
    routes.set('/test_key.pem', serve(testKey.publicPem));
    const cache = new KeyCache({ fetch: localFetch() });

    // Act
    const key = await cache.get(KEY_URL);

    // Assess
    expect(keyFingerprint(key)).toBe(keyFingerprint(testKey.publicKey));
    expect(hits).toEqual(['/test_key.pem']);
  });

  it('refuses a private key served at a key URL rather than deriving its public half', async () => {
    // Prepare
    routes.set('/test_key.pem', serve(testKey.privatePem));
    const cache = new KeyCache({ fetch: localFetch() });

    // Act
    const refusal = cache.get(KEY_URL);

    // Assess
    await expect(refusal).rejects.toMatchObject({ code: 'KeyUnavailable', message: expect.stringContaining('not an RSA public key in PEM') });
  });

  it('makes one request for a burst of 50 concurrent cold requests for one URL', async () => {
    // Prepare
    routes.set('/test_key.pem', serve(testKey.publicPem, 50));
    const cache = new KeyCache({ fetch: localFetch() });

    // Act
    const keys = await Promise.all(Array.from({ length: 50 }, () => cache.get(KEY_URL)));

    // Assess
    expect(hits).toHaveLength(1);
    expect(new Set(keys).size).toBe(1);
  });

  it('answers from the cache once the key is loaded', async () => {
    // Prepare
    routes.set('/test_key.pem', serve(testKey.publicPem));
    const cache = new KeyCache({ fetch: localFetch() });
    const first = await cache.get(KEY_URL);

    // Act
    const second = await cache.get(KEY_URL);

    // Assess
    expect(second).toBe(first);
    expect(hits).toHaveLength(1);
    expect(cache.size).toBe(1);
  });

  it('shares one failed request among a concurrent burst, and every caller sees the failure', async () => {
    // Prepare
    routes.set('/test_key.pem', (_req, res) => setTimeout(() => res.writeHead(503).end(), 50));
    const cache = new KeyCache({ fetch: localFetch() });

    // Act
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => cache.get(KEY_URL)));

    // Assess
    expect(results.map((result) => result.status)).toEqual(Array(10).fill('rejected'));
    expect(hits).toHaveLength(1);
    expect(cache.size).toBe(0);
  });

  it('refuses an answer that is not 200 as KeyUnavailable with the status', async () => {
    // Prepare
    const cache = new KeyCache({ fetch: localFetch() });

    // Act
    const result = cache.get(`${ORIGIN}/missing.pem`);

    // Assess
    await expect(result).rejects.toMatchObject({
      code: 'KeyUnavailable',
      status: 503,
      message: `could not load the public key from ${ORIGIN}/missing.pem: HTTP 404`,
    });
  });

  it('follows no redirect, not even to a good key on the same server', async () => {
    // Prepare
    routes.set('/test_key.pem', (_req, res) => res.writeHead(302, { location: '/good.pem' }).end());
    routes.set('/good.pem', serve(testKey.publicPem));
    const cache = new KeyCache({ fetch: localFetch() });

    // Act
    const result = cache.get(KEY_URL);

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'KeyUnavailable', message: `could not load the public key from ${KEY_URL}: the request failed` });
    expect(hits).toEqual(['/test_key.pem']);
  });

  it.each([
    { title: 'garbage', body: 'this is not a key' },
    { title: 'an empty body', body: '' },
    { title: 'a PEM with a broken base64 body', body: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' },
    { title: 'an EC public key', body: ecPem },
  ])('refuses $title as not an RSA public key', async ({ body }) => {
    // Prepare
    routes.set('/test_key.pem', serve(body));
    const cache = new KeyCache({ fetch: localFetch() });

    // Act
    const result = cache.get(KEY_URL);

    // Assess
    await expect(result).rejects.toMatchObject({
      code: 'KeyUnavailable',
      message: `could not load the public key from ${KEY_URL}: the answer is not an RSA public key in PEM`,
    });
  });
});

describe('KeyCache timeouts', () => {
  it('gives up on a server that never answers after the timeout given', async () => {
    // Prepare
    routes.set('/test_key.pem', () => {});
    const cache = new KeyCache({ fetch: localFetch(), timeoutMs: 100 });
    const started = Date.now();

    // Act
    const result = cache.get(KEY_URL);

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'KeyUnavailable', message: `could not load the public key from ${KEY_URL}: no answer within 100 ms` });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('gives up on a body that stalls half-way after the timeout given', async () => {
    // Prepare
    routes.set('/test_key.pem', (_req, res) => {
      res.writeHead(200);
      res.write(testKey.publicPem.slice(0, 40));
    });
    const cache = new KeyCache({ fetch: localFetch(), timeoutMs: 150 });

    // Act
    const result = cache.get(KEY_URL);

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'KeyUnavailable', message: `could not load the public key from ${KEY_URL}: no answer within 150 ms` });
  });

  it('gives up after about one second by default', async () => {
    // Prepare
    routes.set('/test_key.pem', () => {});
    const cache = new KeyCache({ fetch: localFetch() });
    const started = Date.now();

    // Act
    const result = cache.get(KEY_URL);

    // Assess
    await expect(result).rejects.toMatchObject({ message: expect.stringContaining('no answer within 1000 ms') });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(2500);
  });
});

describe('KeyCache size cap', () => {
  const big = `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(64 * 1024)}\n-----END PUBLIC KEY-----\n`;
  const LARGER = `could not load the public key from ${KEY_URL}: it is larger than 1024 bytes`;

  it('refuses an answer whose Content-Length is over the cap', async () => {
    // Prepare
    routes.set('/test_key.pem', (_req, res) => res.writeHead(200, { 'content-length': Buffer.byteLength(big) }).end(big));
    const cache = new KeyCache({ fetch: localFetch(), maxBytes: 1024 });

    // Act
    const result = cache.get(KEY_URL);

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'KeyUnavailable', message: LARGER });
  });

  it('refuses a chunked answer with no Content-Length once it passes the cap', async () => {
    // Prepare
    routes.set('/test_key.pem', (_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 64; i++) res.write(big.slice(i * 1024, (i + 1) * 1024));
      res.end();
    });
    const cache = new KeyCache({ fetch: localFetch(), maxBytes: 1024 });

    // Act
    const result = cache.get(KEY_URL);

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'KeyUnavailable', message: LARGER });
  });

  it('refuses a close-delimited answer (no Content-Length, no chunking) once it passes the cap', async () => {
    // Prepare
    const raw = await rawServer((socket) => socket.end(`HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${big}`));
    const cache = new KeyCache({ fetch: localFetch(raw.origin), maxBytes: 1024 });

    // Act
    const result = cache.get(KEY_URL);

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'KeyUnavailable', message: LARGER });
    await raw.close();
  });

  it('stops reading an endless answer once it passes the cap, long before the timeout', async () => {
    // Prepare
    const raw = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
      const timer = setInterval(() => socket.write('A'.repeat(512)), 1);
      socket.on('close', () => clearInterval(timer));
    });
    const cache = new KeyCache({ fetch: localFetch(raw.origin), maxBytes: 1024, timeoutMs: 5000 });
    const started = Date.now();

    // Act
    const result = cache.get(KEY_URL);

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'KeyUnavailable', message: LARGER });
    expect(Date.now() - started).toBeLessThan(2000);
    await raw.close();
  });

  it('refuses a body over the cap even when Content-Length claims it is small', async () => {
    // Prepare: over a socket the client stops at the declared length, so the lie is told by a Response.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(new Uint8Array(512).fill(0x41));
        controller.close();
      },
    });
    const lying: FetchLike = async () => new Response(stream, { status: 200, headers: { 'content-length': '10' } });
    const cache = new KeyCache({ fetch: lying, maxBytes: 1024 });

    // Act
    const result = cache.get(KEY_URL);

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'KeyUnavailable', message: LARGER });
  });

  it('accepts a key exactly at the cap', async () => {
    // Prepare
    routes.set('/test_key.pem', serve(testKey.publicPem));
    const cache = new KeyCache({ fetch: localFetch(), maxBytes: Buffer.byteLength(testKey.publicPem) });

    // Act
    const key = await cache.get(KEY_URL);

    // Assess
    expect(key.asymmetricKeyType).toBe('rsa');
  });
});

describe('KeyCache LRU bound', () => {
  it('evicts the least recently used key when it holds more than maxEntries', async () => {
    // Prepare
    for (const name of ['a', 'b', 'c']) routes.set(`/${name}.pem`, serve(testKey.publicPem));
    const cache = new KeyCache({ fetch: localFetch(), maxEntries: 2 });
    await cache.get(`${ORIGIN}/a.pem`);
    await cache.get(`${ORIGIN}/b.pem`);
    await cache.get(`${ORIGIN}/a.pem`); // a is now the most recently used
    await cache.get(`${ORIGIN}/c.pem`); // evicts b

    // Act
    await cache.get(`${ORIGIN}/a.pem`);
    await cache.get(`${ORIGIN}/b.pem`);

    // Assess
    expect(cache.size).toBe(2);
    expect(hits).toEqual(['/a.pem', '/b.pem', '/c.pem', '/b.pem']);
  });
});

describe('KeyCache bounds on what callers can make it fetch', () => {
  /** A clock the test moves. */
  const clock = () => {
    let now = 1_000_000;
    return Object.assign(() => now, { advance: (ms: number) => void (now += ms) });
  };

  it('remembers a failed fetch for a minute: no request until then, then it fetches again', async () => {
    // Prepare
    let answers = 0;
    routes.set('/test_key.pem', (req, res) => (answers++ === 0 ? res.writeHead(500).end('busy') : serve(testKey.publicPem)(req, res)));
    const now = clock();
    const cache = new KeyCache({ fetch: localFetch(), now });
    await expect(cache.get(KEY_URL)).rejects.toMatchObject({ code: 'KeyUnavailable' });

    // Act
    now.advance(59_999);
    const remembered = cache.get(KEY_URL);
    await expect(remembered).rejects.toMatchObject({
      code: 'KeyUnavailable',
      message: `could not load the public key from ${KEY_URL}: HTTP 500 (a failure remembered for 60 s: not fetched again until then)`,
    });
    const hitsWhileRemembered = hits.length;
    now.advance(1);
    const key = await cache.get(KEY_URL);

    // Assess
    expect(hitsWhileRemembered).toBe(1);
    expect(keyFingerprint(key)).toBe(keyFingerprint(testKey.publicKey));
    expect(hits).toHaveLength(2);
  });

  it('fetches at most 4 URLs at once by default, refusing the 5th with no request and saying when it may', async () => {
    // Prepare: four URLs that fail (each remembered), as an unauthenticated caller would name them.
    const cache = new KeyCache({ fetch: localFetch() });
    for (let i = 0; i < 4; i++) await expect(cache.get(`${ORIGIN}/probe-${i}.pem`)).rejects.toMatchObject({ message: expect.stringContaining('HTTP 404') });

    // Act
    const refused = cache.get(`${ORIGIN}/probe-4.pem`);

    // Assess
    await expect(refused).rejects.toMatchObject({
      code: 'KeyUnavailable',
      message: expect.stringMatching(new RegExp(`^not fetching ${ORIGIN}/probe-4\\.pem: this instance's key-fetch budget \\(64 an hour\\) is spent for the next (59|60) s$`)),
    });
    expect(hits).toHaveLength(4);
  });

  it('spends the budget on refetching a failed URL too, so remembered failures cannot be turned into a steady stream', async () => {
    // Prepare: the four fetches of the budget spent on two URLs that fail.
    const now = clock();
    const cache = new KeyCache({ fetch: localFetch(), now });
    for (const round of [0, 1]) {
      for (const name of ['x', 'y']) await expect(cache.get(`${ORIGIN}/${name}.pem`)).rejects.toMatchObject({ code: 'KeyUnavailable' });
      if (round === 0) now.advance(60_001);
    }
    const spent = hits.length;

    // Act: an hour of asking for both every second.
    for (let second = 0; second < 3600; second++) {
      now.advance(1000);
      for (const name of ['x', 'y']) await cache.get(`${ORIGIN}/${name}.pem`).catch(() => undefined);
    }

    // Assess: at most one fetch a minute once the burst is spent, not one per URL per minute.
    expect(spent).toBe(4);
    expect(hits.length - spent).toBeLessThanOrEqual(61);
    expect(hits.length - spent).toBeGreaterThanOrEqual(59);
  }, 60_000);

  it('fetches a real new key within about a minute while a flood names a fresh URL every few milliseconds', async () => {
    // Prepare: OSS signs with a new key; every one of its callbacks (one every 2 s) names it.
    routes.set('/callback_pub_key_v2.pem', serve(testKey.publicPem));
    const now = clock();
    const cache = new KeyCache({ fetch: localFetch(), now });
    let fresh = 0;
    const flood = () => cache.get(`${ORIGIN}/flood-${fresh++}.pem`).catch(() => undefined);
    for (let i = 0; i < 10; i++) await flood();

    // Act: ten flood requests between two callbacks, until the key is fetched.
    let waitedMs = 0;
    let key: unknown;
    while (!key && waitedMs < 600_000) {
      for (let i = 0; i < 10; i++) {
        now.advance(200);
        await flood();
      }
      waitedMs += 2000;
      key = await cache.get(`${ORIGIN}/callback_pub_key_v2.pem`).catch(() => undefined);
    }

    // Assess
    expect(key).toBeDefined();
    expect(waitedMs).toBeLessThanOrEqual(120_000);
  }, 60_000);
});

describe('KeyResolver with a fetched key', () => {
  it('verifies a callback naming a gosspublic.alicdn.com key that is fetched once and then cached', async () => {
    // Prepare
    routes.set('/test_key.pem', serve(testKey.publicPem));
    const resolver = testResolver(localFetch(), []);
    const request = signRequest({ keyUrl: 'http://gosspublic.alicdn.com/test_key.pem' });

    // Act
    await verifyCallback(request, resolver);
    const again = await verifyCallback(request, resolver);

    // Assess
    expect(again.keyUrl).toBe('http://gosspublic.alicdn.com/test_key.pem');
    expect(hits).toEqual(['/test_key.pem']);
  });

  it('refuses a callback whose fetched key is not the key that signed it', async () => {
    // Prepare
    routes.set('/test_key.pem', serve(otherKey.publicPem));
    const request = signRequest({ keyUrl: KEY_URL });

    // Act
    const result = verifyCallback(request, testResolver(localFetch(), []));

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'SignatureMismatch' });
  });
});
