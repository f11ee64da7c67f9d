import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { credentialsFromEnvironment, type AwsCredentials, type CredentialProvider } from './aws-credentials.js';
import { signSigV4 } from './aws-sigv4.js';
import { TransientStoreError } from './port.js';

/** The attribute types this store writes and reads: strings, and numbers for TTL. */
export type AttributeValue = { S: string } | { N: string };
export type Item = Record<string, AttributeValue>;

export interface DynamoDbClientConfig {
  /** Default: AWS_ENDPOINT_URL_DYNAMODB, then AWS_ENDPOINT_URL, then the region's public endpoint. */
  endpoint?: string;
  /** Default: AWS_REGION, then AWS_DEFAULT_REGION. */
  region?: string;
  /** Default: `credentialsFromEnvironment()`. */
  credentials?: AwsCredentials | CredentialProvider;
  /** How long opening a connection may take before it counts as a dropped one. Default 1 s. */
  connectTimeoutMs?: number;
}

/** An answer DynamoDB gave that a retry will not change; `name` is its error type. */
export class DynamoDbError extends Error {
  constructor(
    name: string,
    message: string,
    readonly status: number,
    /** The item a failed condition found, when the request asked for ALL_OLD and DynamoDB sent it. */
    readonly item?: Item,
  ) {
    super(message);
    this.name = name;
  }
}

/** Error types a retry may fix: throttling and DynamoDB's own failures (every 5xx counts too). */
const RETRYABLE_TYPES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'InternalServerError',
  'ServiceUnavailable',
]);

/**
 * DynamoDB's JSON protocol over `node:http(s)`, signed with SigV4: the part of the AWS SDK this store
 * uses, at a fraction of its load time. Each call is one request: retries are `callStore`'s, within
 * the callback's deadline. Failures a retry may fix (throttling, 5xx, a dropped or refused
 * connection) are `TransientStoreError`s; an abort rejects with the signal's reason.
 */
export class DynamoDbClient {
  readonly #url: URL;
  readonly #region: string;
  readonly #credentials: CredentialProvider;
  readonly #connectTimeoutMs: number;
  readonly #agent: HttpAgent;
  readonly #request: (url: URL, options: RequestOptions, onResponse: (res: IncomingMessage) => void) => ClientRequest;

  constructor(config: DynamoDbClientConfig = {}, env: NodeJS.ProcessEnv = process.env) {
    const region = config.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION);
    if (!region) throw new Error('DynamoDB needs a region: set AWS_REGION');
    this.#region = region;
    const endpoint = config.endpoint ?? (env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL || publicEndpoint(region));
    this.#url = new URL(endpoint);
    const credentials = config.credentials ?? credentialsFromEnvironment(env);
    this.#credentials = typeof credentials === 'function' ? credentials : () => Promise.resolve(credentials);
    this.#connectTimeoutMs = config.connectTimeoutMs ?? 1_000;
    // Kept-alive connections: a warm instance pays the TLS handshake once, not per callback.
    const https = this.#url.protocol === 'https:';
    this.#agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.#request = https ? httpsRequest : httpRequest;
  }

  async call<Output>(operation: string, input: object, signal?: AbortSignal): Promise<Output> {
    signal?.throwIfAborted();
    const body = JSON.stringify(input);
    const unsigned = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` };
    const headers = signSigV4({ url: this.#url, region: this.#region, service: 'dynamodb', headers: unsigned, body }, await this.#credentials(), new Date());
    const { status, text } = await this.#post(headers, body, operation, signal);
    if (status === 200) return JSON.parse(text) as Output;
    throw failure(operation, status, text);
  }

  destroy(): void {
    this.#agent.destroy();
  }

  #post(headers: Record<string, string>, body: string, operation: string, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      let connecting: NodeJS.Timeout | undefined;
      const dropped = (error: Error) => {
        clearTimeout(connecting);
        if (signal?.aborted) reject(signal.reason);
        else reject(new TransientStoreError(`DynamoDB ${operation}: ${(error as { code?: string }).code ?? error.message}`, { cause: error }));
      };
      const req = this.#request(this.#url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: this.#agent, signal }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', dropped);
      });
      req.once('socket', (socket) => {
        if (!socket.connecting) return;
        connecting = setTimeout(() => req.destroy(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' })), this.#connectTimeoutMs);
        socket.once('connect', () => clearTimeout(connecting));
      });
      req.on('error', dropped);
      req.end(body);
    });
  }
}

function publicEndpoint(region: string): string {
  return `https://dynamodb.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/** DynamoDB answers errors as `{"__type": "com.amazonaws.dynamodb.v20120810#Name", "message": …}`. */
function failure(operation: string, status: number, text: string): Error {
  let answer: { __type?: string; message?: string; Message?: string; Item?: Item } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    // A proxy's or load balancer's page: the status decides.
  }
  const name = answer.__type?.split('#').pop() || `HTTP ${status}`;
  const error = new DynamoDbError(name, answer.message ?? answer.Message ?? '', status, answer.Item);
  if (status >= 500 || RETRYABLE_TYPES.has(name)) return new TransientStoreError(`DynamoDB ${operation}: ${name}`, { cause: error });
  return error;
}
