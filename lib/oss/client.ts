import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AliyunCredentials } from '../credentials.js';
import { READER_CREDENTIALS_HELP } from './credentials.js';
import { bucketOrigin, type OssLocation } from './location.js';
import { canonicalQuery, signV4 } from './sign-v4.js';

/**
 * The OSS reader's transport, shared by the reconciler (ListObjectsV2, HeadObject) and the receiver's
 * confirm mode (HeadObject): signed requests over node:http(s), no SDK. ali-oss with its HTTP stack
 * is too large for the callback bundle, and `fetch` costs about 50 ms of cold start on its first call
 * in Node 20; two read-only calls need neither.
 */
export interface OssClientOptions {
  location: OssLocation;
  /** Asked for on every request, so rotating STS credentials are always the latest. */
  credentials: () => AliyunCredentials | undefined;
  /** One request's time limit, on top of any abort signal. */
  timeoutMs?: number;
  now?: () => Date;
}

export interface OssResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface OssRequest {
  method: 'GET' | 'HEAD';
  bucket: string;
  key: string;
  query?: ReadonlyArray<readonly [string, string]>;
  signal?: AbortSignal;
  /** The largest answer read (default 16 MiB); a longer one is dropped unread and fails as OssUnreachable. */
  maxBodyBytes?: number;
}

/** OSS answered with an error: its status, `<Code>` and `<Message>` (from the body, or `x-oss-err` for HEAD). */
export class OssRefusal extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;

  constructor(status: number, code: string, message: string, requestId: string | undefined) {
    super(`OSS answered ${status} ${code}: ${message}`);
    this.name = 'OssRefusal';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

/** No answer from OSS: the connection failed, or the request timed out. */
export class OssUnreachable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OssUnreachable';
  }
}

export interface OssClient {
  readonly location: OssLocation;
  /** The answer when it is 2xx; an OssRefusal for any other answer, OssUnreachable when none came. */
  send(request: OssRequest): Promise<OssResponse>;
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** A listing page of 1000 keys is a few hundred KB; nothing the reader asks for comes near this. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export function createOssClient({ location, credentials, timeoutMs = DEFAULT_TIMEOUT_MS, now = () => new Date() }: OssClientOptions): OssClient {
  // Kept-alive connections: the reconciler sends many requests, a warm receiver one per callback.
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  return {
    location,
    async send({ method, bucket, key, query = [], signal, maxBodyBytes = MAX_BODY_BYTES }) {
      const signer = credentials();
      if (!signer) throw new Error(`no OSS credentials to sign with: ${READER_CREDENTIALS_HELP}`);
      const origin = bucketOrigin(bucket, location);
      const headers = signV4({ method, bucket, key, query, headers: {} }, signer, location.region, now());
      const search = canonicalQuery(query);
      const path = `/${key.split('/').map(encodeURIComponent).join('/')}${search ? `?${search}` : ''}`;
      const response = await exchange(origin, { method, path, headers, agent: origin.protocol === 'https:' ? agents.https : agents.http }, { timeoutMs, maxBodyBytes }, signal);
      if (response.status >= 200 && response.status < 300) return response;
      throw refusal(response);
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function exchange(
  origin: URL,
  options: { method: string; path: string; headers: Record<string, string>; agent: HttpAgent },
  { timeoutMs, maxBodyBytes }: { timeoutMs: number; maxBodyBytes: number },
  signal: AbortSignal | undefined,
): Promise<OssResponse> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const send = origin.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send({ protocol: origin.protocol, hostname: origin.hostname, port: origin.port || undefined, ...options });
    const fail = (error: unknown) => {
      cleanup();
      req.destroy();
      reject(error);
    };
    const onAbort = () => fail(signal!.reason);
    const timer = setTimeout(() => fail(new OssUnreachable(`OSS did not answer within ${timeoutMs} ms (${origin.host})`)), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => fail(new OssUnreachable(`could not reach OSS at ${origin.host}: ${error.message}`, { cause: error })));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBodyBytes) return fail(new OssUnreachable(`OSS sent more than ${maxBodyBytes} bytes`));
        chunks.push(chunk);
      });
      res.on('error', (error) => fail(new OssUnreachable(`the answer from OSS broke off: ${error.message}`, { cause: error })));
      res.on('end', () => {
        cleanup();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.end();
  });
}

/** OSS's error document, from the body or, for HEAD (no body), from the base64 `x-oss-err` header. */
function refusal(response: OssResponse): OssRefusal {
  const header = response.headers['x-oss-err'];
  const xml = typeof header === 'string' ? Buffer.from(header, 'base64').toString('utf8') : response.body.toString('utf8');
  const element = (name: string) => unescapeXml(new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1]);
  const requestId = response.headers['x-oss-request-id'];
  return new OssRefusal(
    response.status,
    element('Code') ?? `HTTP${response.status}`,
    element('Message') ?? 'no error document',
    typeof requestId === 'string' ? requestId : element('RequestId'),
  );
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function unescapeXml(text: string | undefined): string | undefined {
  return text?.replace(/&(lt|gt|amp|quot|apos);/g, (_, name: string) => XML_ENTITIES[name]!);
}
