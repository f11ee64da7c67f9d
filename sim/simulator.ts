import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { silentLogger, type Logger } from '../lib/logger.js';
import { loadOrCreateCallbackKey, writeTrustedKeys } from './callback-key.js';
import { RESERVED_PREFIX, checkObjectKey, hasQuery, queryParam, type OssAnswer, type OssRequest, type SimContext } from './context.js';
import { corsHeaders, corsPreflight } from './cors.js';
import { CALLBACK_TIMEOUT_MS } from './deliver-callback.js';
import { abortMultipartUpload, completeMultipartUpload, initiateMultipartUpload, uploadPart } from './multipart.js';
import { eventNotifier } from './notify-created.js';
import { ObjectStore } from './object-store.js';
import { deleteObject, getObject, headObject } from './object-reads.js';
import { OssError, ossErrors } from './oss-error.js';
import { listObjectsV2 } from './list-objects.js';
import { postObject } from './post-object.js';
import { putObject } from './put-object.js';
import { authenticate, type AccessKeyPair, type QueryParam } from './request-auth.js';

export interface SimulatorOptions {
  /** Objects, multipart uploads and the simulator's callback key live under this folder. */
  dataDir: string;
  bucket: string;
  port?: number;
  host?: string;
  /** Check every request's signature against this pair; without it any credentials are accepted. */
  credentials?: AccessKeyPair;
  /** Write `{ "<key url>": "<PEM>" }` here for the receiver's OSS_CALLBACK_TRUSTED_KEYS. */
  trustedKeysOut?: string;
  /** How long each callback URL gets; OSS's is 5000 ms, tests use less. */
  callbackTimeoutMs?: number;
  /** Origins a bucket CORS rule lets browsers upload from (`*` for any); none by default, as on OSS. */
  corsOrigins?: readonly string[];
  /** POST a Function Compute OSS-trigger event here for every object created (Put, Post, CompleteMultipartUpload). */
  notifyUrl?: string;
  logger?: Logger;
}

export interface Simulator {
  /** The endpoint for ali-oss: `{ endpoint: url, cname: true, bucket }`. */
  url: string;
  bucket: string;
  /** Where the simulator serves the public half of its callback key (what `x-oss-pub-key-url` names). */
  keyUrl: string;
  publicKeyPem: string;
  close(): Promise<void>;
}

/** Where the callback public key is served; no object can have a key under this prefix. */
export const KEY_PATH = `/${RESERVED_PREFIX}callback-public-key.pem`;
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** A virtual-hosted OSS host names its bucket; ali-oss sends one even to an IP endpoint. */
const OSS_HOST = /^([^.]+)\.oss-[a-z0-9-]+\.aliyuncs\.com(?::\d+)?$/i;

type Handler = (ctx: SimContext, request: OssRequest) => Promise<OssAnswer>;

/** Which operation a request is, by method, path and sub-resource, as OSS routes it. */
function route(request: OssRequest): Handler | undefined {
  const { method, key } = request;
  const is = (name: string) => hasQuery(request, name);
  if (!key) {
    if (method === 'POST' && /^multipart\/form-data/i.test(request.headers['content-type'] ?? '')) return postObject;
    return method === 'GET' && queryParam(request, 'list-type') === '2' ? listObjectsV2 : undefined;
  }
  switch (method) {
    case 'PUT':
      if (is('uploadId') && is('partNumber')) return uploadPart;
      return is('acl') || is('tagging') || is('symlink') || request.headers['x-oss-copy-source'] ? undefined : putObject;
    case 'POST':
      if (is('uploads')) return initiateMultipartUpload;
      return is('uploadId') ? completeMultipartUpload : undefined;
    case 'GET':
      return is('acl') || is('tagging') || is('uploadId') || is('symlink') || is('objectMeta') ? undefined : getObject;
    case 'HEAD':
      return headObject;
    case 'DELETE':
      return is('uploadId') ? abortMultipartUpload : deleteObject;
    default:
      return undefined;
  }
}

function parseQuery(rawQuery: string | null): QueryParam[] {
  return rawQuery === null ? [] : [...new URLSearchParams(rawQuery)].map(([name, value]) => [name, value === '' ? null : value] as const);
}

/** The target as sent: ali-oss addresses the bucket by host (cname), so the path is the object key. */
function splitPath(target: string): { rawPath: string; rawQuery: string | null } {
  const mark = target.indexOf('?');
  return mark === -1 ? { rawPath: target, rawQuery: null } : { rawPath: target.slice(0, mark), rawQuery: target.slice(mark + 1) };
}

function headersOf(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]));
}

function decodeKey(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath.slice(1));
  } catch {
    throw ossErrors.invalidObjectName();
  }
}

/** Let an unread body go by before answering, so a keep-alive client is not cut off mid-send. */
async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return;
  req.resume();
  await once(req, 'end').catch(() => undefined);
}

async function send(res: ServerResponse, answer: OssAnswer, requestId: string, head: boolean): Promise<void> {
  const headers: Record<string, string> = { server: 'AliyunOSS', date: new Date().toUTCString(), 'x-oss-request-id': requestId, ...answer.headers };
  if (Buffer.isBuffer(answer.body)) headers['content-length'] = String(answer.body.length);
  else if (!answer.body && answer.status !== 204) headers['content-length'] ??= '0';
  res.writeHead(answer.status, headers);
  if (head || !answer.body) return void res.end();
  if (Buffer.isBuffer(answer.body)) return void res.end(answer.body);
  await pipeline(answer.body as Readable, res);
}

function errorAnswer(error: OssError, requestId: string, hostId: string, head: boolean): OssAnswer {
  const xml = error.toXml(requestId, hostId);
  // HEAD has no body, so OSS puts the error document, base64, in a header (ali-oss reads it).
  if (head) return { status: error.status, headers: { 'x-oss-err': Buffer.from(xml).toString('base64') } };
  return { status: error.status, headers: { 'content-type': 'application/xml' }, body: Buffer.from(xml) };
}

/**
 * A local stand-in for one OSS bucket, faithful enough that the unmodified ali-oss client uploads to
 * it: PutObject, PostObject, multipart uploads, GetObject/HeadObject/DeleteObject, and OSS's upload
 * callback, signed with the simulator's own key, which it serves at `keyUrl`.
 */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  if (!BUCKET_NAME.test(options.bucket)) throw new Error(`"${options.bucket}" is not a valid OSS bucket name (3-63 of a-z, 0-9 and -)`);
  const logger = options.logger ?? silentLogger;
  const store = new ObjectStore(options.dataDir, options.bucket);
  await store.init();
  const callbackKey = await loadOrCreateCallbackKey(options.dataDir);
  const corsOrigins = options.corsOrigins ?? [];
  let ctx: SimContext;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const requestId = randomBytes(12).toString('hex').toUpperCase();
    const method = (req.method ?? 'GET').toUpperCase();
    const { rawPath, rawQuery } = splitPath(req.url ?? '/');
    const head = method === 'HEAD';
    let answer: OssAnswer & { callback?: string };
    let key = '';
    try {
      if (method === 'GET' && rawPath === KEY_PATH) {
        answer = { status: 200, headers: { 'content-type': 'application/x-pem-file' }, body: Buffer.from(callbackKey.publicPem) };
      } else if (method === 'OPTIONS') {
        answer = corsPreflight(corsOrigins, headersOf(req));
      } else {
        key = decodeKey(rawPath);
        const request: OssRequest = {
          req,
          method,
          key,
          query: parseQuery(rawQuery),
          headers: headersOf(req),
          requestId,
          clientIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
        };
        const named = OSS_HOST.exec(request.headers.host ?? '')?.[1];
        if (named && named !== ctx.bucket) throw new OssError(404, 'NoSuchBucket', 'The specified bucket does not exist.', [['BucketName', named]]);
        if (key) checkObjectKey(key);
        const handler = route(request);
        if (!handler) throw ossErrors.notImplemented();
        if (ctx.credentials && handler !== postObject) authenticate({ method, headers: request.headers, query: request.query, bucket: ctx.bucket, key }, ctx.credentials);
        answer = await handler(ctx, request);
      }
    } catch (error) {
      const known = error instanceof OssError ? error : new OssError(500, 'InternalError', 'We encountered an internal error. Please try again.');
      if (!(error instanceof OssError)) logger.log('error', 'simulator failure', { requestId, error: (error as Error).message });
      answer = errorAnswer(known, requestId, ctx.hostId, head);
    }
    // Error answers carry the CORS headers too, so a page can read why OSS refused its upload.
    answer.headers = { ...answer.headers, ...corsHeaders(corsOrigins, req.headers.origin) };
    await drain(req);
    await send(res, answer, requestId, head).catch(() => res.destroy());
    // The object key only: the query can hold signatures and the callback parameter.
    logger.log('info', 'oss request', { requestId, method, key, status: answer.status, callback: answer.callback, ms: Date.now() - started });
  }

  const server = createServer((req, res) => void handle(req, res));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const url = `http://${authority}`;
  const keyUrl = `${url}${KEY_PATH}`;
  ctx = {
    bucket: options.bucket,
    store,
    credentials: options.credentials,
    callbackKey,
    keyUrl,
    callbackTimeoutMs: options.callbackTimeoutMs ?? CALLBACK_TIMEOUT_MS,
    hostId: authority,
    notify: options.notifyUrl ? eventNotifier(options.notifyUrl, logger) : undefined,
  };
  if (options.trustedKeysOut) await writeTrustedKeys(options.trustedKeysOut, keyUrl, callbackKey.publicPem);
  return {
    url,
    bucket: options.bucket,
    keyUrl,
    publicKeyPem: callbackKey.publicPem,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
