import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AliyunCredentials } from '../../lib/credentials.js';

/**
 * A local Function Compute API (2016-08-15) for tests: InvokeFunction,
 * `POST /2016-08-15/services/<service>[.<qualifier>]/functions/<function>/invocations`, authenticated
 * as Function Compute authenticates what `@alicloud/fc2` sends, so the real SDK talks to it unchanged.
 *
 * It checks the account id, the date, the body's Content-MD5, the STS token and the signature (SDK
 * `lib/client.js` and `lib/helper.js`): `authorization: FC <AccessKeyId>:<signature>`, the base64
 * HMAC-SHA256, keyed with the secret, of the method, Content-MD5, Content-Type, Date, every `x-fc-*`
 * header (lower-cased, sorted, `name:value\n`) and the path. Refusals are FC's: a status and
 * `{ ErrorCode, ErrorMessage }`. The function runs in-process; its result goes back as the body, and
 * what it throws as FC's UnhandledInvocationError.
 */
export interface FcApiServerOptions {
  accountId: string;
  credentials: AliyunCredentials[];
  /** `<service>/<function>` → the function, given the event's bytes. */
  functions: Record<string, (event: Buffer) => Promise<unknown>>;
}

export interface Invocation {
  service: string;
  function: string;
  qualifier: string | undefined;
  accessKeyId: string;
}

export interface FcApiServer {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint`. */
  readonly endpoint: string;
  /** Every authenticated invocation, in arrival order. */
  readonly invocations: Invocation[];
  close(): Promise<void>;
}

const API_VERSION = '2016-08-15';
/** Function Compute refuses a request whose Date is further than this from its clock. */
const MAX_CLOCK_SKEW_MS = 15 * 60_000;

class FcError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startFcApiServer(options: FcApiServerOptions): Promise<FcApiServer> {
  const keys = new Map(options.credentials.map((credentials) => [credentials.accessKeyId, credentials]));
  const invocations: Invocation[] = [];

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    try {
      const path = (request.url ?? '').split('?')[0]!;
      const accessKeyId = authenticate(request, path, body);
      const route = new RegExp(`^/${API_VERSION}/services/([^/.]+)(?:\\.([^/]+))?/functions/([^/]+)/invocations$`).exec(path);
      if (request.method !== 'POST' || !route) throw new FcError(404, 'PathNotSupported', `${request.method} ${path} is not an InvokeFunction path`);
      const [, service, qualifier, name] = route as unknown as [string, string, string | undefined, string];
      const fn = options.functions[`${service}/${name}`];
      if (!fn) throw new FcError(404, 'FunctionNotFound', `function '${name}' does not exist in service '${service}'`);
      invocations.push({ service, function: name, qualifier, accessKeyId });
      let result: unknown;
      try {
        result = await fn(body);
      } catch (error) {
        return reply(response, 200, { errorMessage: (error as Error).message, errorType: 'Error' }, { 'x-fc-error-type': 'UnhandledInvocationError' });
      }
      reply(response, 200, result);
    } catch (error) {
      if (!(error instanceof FcError)) throw error;
      reply(response, error.status, { ErrorCode: error.code, ErrorMessage: error.message }, { 'content-type': 'application/json' });
    }
  }

  function authenticate(request: IncomingMessage, path: string, body: Buffer): string {
    const header = (name: string) => [request.headers[name]].flat()[0];
    if (header('x-fc-account-id') !== options.accountId) throw new FcError(403, 'InvalidAccountID', `account id ${header('x-fc-account-id')} is not this endpoint's`);
    const date = Date.parse(header('date') ?? '');
    if (Number.isNaN(date) || Math.abs(Date.now() - date) > MAX_CLOCK_SKEW_MS) throw new FcError(403, 'RequestTimeTooSkewed', `the date ${header('date')} is not now`);
    // The SDK's Content-MD5 is the base64 of the hex digest, not of the digest.
    const md5 = Buffer.from(createHash('md5').update(body).digest('hex')).toString('base64');
    if (body.length > 0 && header('content-md5') !== md5) throw new FcError(400, 'InvalidArgument', 'the Content-MD5 does not match the body');
    const authorization = /^FC ([^:]+):(.+)$/.exec(header('authorization') ?? '');
    if (!authorization) throw new FcError(401, 'MissingRequiredHeader', 'no FC authorization header');
    const credentials = keys.get(authorization[1]!);
    if (!credentials) throw new FcError(403, 'InvalidAccessKeyID', `access key id ${authorization[1]} does not exist`);
    if (header('x-fc-security-token') !== credentials.securityToken) throw new FcError(403, 'InvalidSecurityToken', 'the security token is not this key\'s');
    const fcHeaders = Object.keys(request.headers)
      .filter((name) => name.startsWith('x-fc-'))
      .sort()
      .map((name) => `${name}:${header(name)}\n`)
      .join('');
    const stringToSign = `${request.method}\n${header('content-md5') ?? ''}\n${header('content-type') ?? ''}\n${header('date')}\n${fcHeaders}${path}`;
    const expected = createHmac('sha256', credentials.accessKeySecret).update(stringToSign, 'utf8').digest();
    const given = Buffer.from(authorization[2]!, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new FcError(403, 'SignatureNotMatch', 'the request signature does not match');
    return credentials.accessKeyId;
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => response.destroy(error instanceof Error ? error : new Error(String(error))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invocations,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** FC passes a function's result through as the body; its error answers are JSON. */
function reply(response: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const body = Buffer.from(JSON.stringify(payload));
  response.writeHead(status, { 'content-type': 'application/octet-stream', 'content-length': body.length, 'x-fc-request-id': randomUUID(), ...headers });
  response.end(body);
}
