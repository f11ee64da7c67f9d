import type { CallbackRequest } from '../exchange.js';
import { percentDecodePath } from '../protocol/string-to-sign.js';
import type { Fc2Request } from './fc2.types.js';
import type { Fc3Event } from './fc3.types.js';
import type { LambdaUrlEvent } from './lambda-url.js';
import { resultBody } from './wire.js';

/**
 * The inverse of each door: a callback request (signed as OSS signs it) written as the event that
 * platform would hand our handler. `oss-callback sign --as …`, `npm run events`, local invoke and the
 * contract test use these. Deployed handlers never load this module.
 */
export interface SampleEventOptions {
  /** Deliver the body base64-encoded, as gateways do for bodies they count as binary. */
  base64Body?: boolean;
  /** The platform's request id and arrival time, for reproducible files. */
  requestId?: string;
  time?: Date;
}

/** Query parameters as a gateway parses them: percent-decoded, a repeated name's values joined by `,`. */
function parsedQuery(rawQuery: string | null): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const pair of rawQuery ? rawQuery.split('&') : []) {
    if (!pair) continue;
    const [name = '', value = ''] = pair.split(/=(.*)/s).map((part) => percentDecodePath(part).toString('utf8'));
    parameters[name] = name in parameters ? `${parameters[name]},${value}` : value;
  }
  return parameters;
}

function bodyOf(request: CallbackRequest, options: SampleEventOptions): { body: string; isBase64Encoded: boolean } {
  return options.base64Body ? { body: request.body.toString('base64'), isBase64Encoded: true } : resultBody(request.body);
}

const SOURCE_IP = '47.97.168.53';

function decodedPath(request: CallbackRequest): string {
  return percentDecodePath(request.rawPath).toString('utf8');
}

/** `requestContext.http`, the same in payload 2.0 and FC 3.0. */
function httpContext(request: CallbackRequest) {
  return { method: request.method, path: decodedPath(request), protocol: 'HTTP/1.1', sourceIp: SOURCE_IP, userAgent: request.headers['user-agent'] ?? '' };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time` as function URLs send it: `12/Mar/2020:19:03:58 +0000` (the Common Log Format's). */
function clfTime(time: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const date = `${two(time.getUTCDate())}/${MONTHS[time.getUTCMonth()]}/${time.getUTCFullYear()}`;
  return `${date}:${two(time.getUTCHours())}:${two(time.getUTCMinutes())}:${two(time.getUTCSeconds())} +0000`;
}

/**
 * FC 3.0 hands a built-in runtime the header names canonicalised as Go's net/http does
 * (`Content-Type`, `X-Oss-Pub-Key-Url`: each word capitalised, the rest lower-case), as its HTTP
 * trigger documentation says.
 */
function canonicalHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase()), value]));
}

/** FC 2.0's HTTP trigger passes no `connection` or `keep-alive` header to the function. */
function withoutHopByHop(headers: Record<string, string>): Record<string, string> {
  const { connection: _connection, 'keep-alive': _keepAlive, ...passed } = headers;
  return passed;
}

export function lambdaUrlEventOf(request: CallbackRequest, options: SampleEventOptions = {}): LambdaUrlEvent {
  const time = options.time ?? new Date();
  const domainPrefix = 'abcdefghijklmnopqrstuvwxyz012345';
  const domainName = `${domainPrefix}.lambda-url.ap-southeast-1.on.aws`;
  const query = parsedQuery(request.rawQuery);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.rawPath,
    rawQueryString: request.rawQuery ?? '',
    headers: { ...request.headers, host: domainName },
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: domainPrefix,
      domainName,
      domainPrefix,
      http: httpContext(request),
      requestId: options.requestId ?? 'c0ffee00-0000-4000-8000-000000000000',
      routeKey: '$default',
      stage: '$default',
      time: clfTime(time),
      timeEpoch: time.getTime(),
    },
    ...bodyOf(request, options),
  };
}

export function fc3EventOf(request: CallbackRequest, options: SampleEventOptions = {}): Fc3Event {
  const time = options.time ?? new Date();
  return {
    version: 'v1',
    rawPath: request.rawPath,
    ...bodyOf(request, options),
    headers: canonicalHeaders(request.headers),
    queryParameters: parsedQuery(request.rawQuery),
    requestContext: {
      accountId: '1234567890123456',
      domainName: 'callback-abcdefghij.cn-hangzhou.fcapp.run',
      domainPrefix: 'callback-abcdefghij',
      http: httpContext(request),
      requestId: options.requestId ?? '1-65f0c0de-0123456789abcdef01234567',
      time: time.toISOString().replace(/\.\d+Z$/, 'Z'),
      timeEpoch: String(time.getTime()),
    },
  };
}

/**
 * FC 2.0 has no JSON event: its HTTP handler gets live `req`/`resp` objects. This file form holds
 * what `req` carries, with the body as text or base64, so a request can be saved and replayed
 * (`npm run invoke:fc2`).
 */
export type Fc2RequestFile = Omit<Fc2Request, 'body'> & { body: string; isBase64Encoded: boolean };

export function fc2RequestFileOf(request: CallbackRequest, options: SampleEventOptions = {}): Fc2RequestFile {
  return {
    method: request.method,
    url: request.rawQuery === null ? request.rawPath : `${request.rawPath}?${request.rawQuery}`,
    path: decodedPath(request),
    queries: parsedQuery(request.rawQuery),
    clientIP: SOURCE_IP,
    headers: withoutHopByHop(request.headers),
    ...bodyOf(request, options),
  };
}

export function fc2RequestFromFile(file: Fc2RequestFile): Fc2Request {
  const { body, isBase64Encoded, ...fields } = file;
  return { ...fields, body: Buffer.from(body, isBase64Encoded ? 'base64' : 'utf8') };
}
