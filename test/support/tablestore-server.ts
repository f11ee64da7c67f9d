import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AliyunCredentials } from '../../lib/credentials.js';
import { documentedError, type DocumentedError } from './tablestore-errors.js';
import { createSearchIndex, describeSearchIndex, listSearchIndex, searchRows } from './tablestore-search.js';
import { OtsError, Tables, invalid, type RowFault } from './tablestore-tables.js';
import { wire } from './tablestore-wire.js';

/**
 * A local Tablestore for tests: an HTTP server that speaks Tablestore's wire protocol (POST
 * `/<Operation>`, protocol-buffer bodies, PlainBuffer rows, `x-ots-*` headers signed with
 * HMAC-SHA1) for the calls the store makes, so both the official SDK (the CLI's table creation and
 * search) and our own client (PutRow, GetRow, BatchGetRow) talk to it unchanged. It decodes with the
 * SDK's own definitions (`tablestore-wire.ts`), never with the client under test.
 *
 * It checks each request's headers, content MD5, date and signature against the instance and the
 * credentials it was given, evaluates row-existence and column conditions where Tablestore documents
 * what they do (and refuses, with a code no client could take for Tablestore's, where it does not),
 * and answers errors as Tablestore does: the status and the protobuf `Error { code, message }`.
 * Faults: answer the next calls with any documented error, fail rows of the next BatchGetRow, hold
 * the next calls before they are applied, cut the next answer short, run something just before the
 * next call of an operation (another client's write, say), run its clock off ours, or stop listening.
 */

export interface TablestoreServerOptions {
  instance: string;
  /** The key pairs (with their STS token, when they have one) the server accepts. */
  credentials: AliyunCredentials[];
  /** How long a written row takes to show in search results, as Tablestore's indexes lag the table; 0 when absent. */
  indexLagMs?: number;
  /** How far the server's clock is ahead of this process's (negative: behind); 0 when absent. */
  clockOffsetMs?: number;
}

export interface ReceivedCall {
  operation: string;
  accessKeyId: string;
}


export interface TablestoreServer {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint`. */
  readonly endpoint: string;
  /** Every authenticated call, in arrival order. */
  readonly calls: ReceivedCall[];
  /** Rows that failed to index, as Tablestore would skip them; a test expects none. */
  readonly indexingErrors: string[];
  /** Refuse the next `count` calls (Infinity: all) with `error` (default OTSServerBusy), applying nothing. */
  failNext(count: number, error?: DocumentedError): void;
  /** Fail the first `count` rows of the next BatchGetRow one by one with `error`; the other rows are read. */
  failRowsNext(count: number, error: DocumentedError): void;
  /** Hold the next `count` calls for `ms` before applying them: a client that gives up first never learns the outcome. */
  delayNext(count: number, ms: number): void;
  /** Apply the next call, then drop the connection halfway through its 200 answer. */
  cutNextAnswer(): void;
  /** Run `action` when the next `operation` call arrives, before it is applied. */
  beforeNext(operation: string, action: () => void): void;
  /** Delete a row of a table keyed by one column, as another client could at any moment. */
  deleteRow(tableName: string, id: string): void;
  /** Forget the faults not yet used, so a failed test leaves none to the next. */
  clearFaults(): void;
  /** Stop listening and drop open connections: the store is down. */
  stop(): Promise<void>;
  /** Listen again on the same port, with the same tables. */
  start(): Promise<void>;
  close(): Promise<void>;
}

type Operation = (body: Uint8Array) => Uint8Array;

/** Tablestore refuses a request whose `x-ots-date` is further than this from its clock. */
const MAX_CLOCK_SKEW_MS = 15 * 60_000;
const API_VERSION = '2015-12-31';
const REQUIRED_HEADERS = ['x-ots-date', 'x-ots-apiversion', 'x-ots-accesskeyid', 'x-ots-contentmd5', 'x-ots-signature', 'x-ots-instancename'];

export async function startTablestoreServer(options: TablestoreServerOptions): Promise<TablestoreServer> {
  const tables = new Tables();
  const calls: ReceivedCall[] = [];
  const indexingErrors: string[] = [];
  const keys = new Map(options.credentials.map((credentials) => [credentials.accessKeyId, credentials]));
  const busy = documentedError('OTSServerBusy');
  let failing = { count: 0, error: busy };
  let delay = { count: 0, ms: 0 };
  let cut = false;
  const rowFaults: RowFault[] = [];
  const now = () => Date.now() + (options.clockOffsetMs ?? 0);
  const before = new Map<string, () => void>();

  const operations: Record<string, Operation> = {
    CreateTable: (body) => tables.createTable(body),
    DescribeTable: (body) => tables.describeTable(body),
    PutRow: (body) => tables.putRow(body),
    GetRow: (body) => tables.getRow(body),
    BatchGetRow: (body) => tables.batchGetRow(body, rowFaults.shift()),
    ListSearchIndex: (body) => listSearchIndex(tables, body),
    CreateSearchIndex: (body) => createSearchIndex(tables, body),
    DescribeSearchIndex: (body) => describeSearchIndex(tables, body),
    Search: (body) => searchRows(tables, body, indexingErrors, options.indexLagMs ?? 0),
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    let answer: Uint8Array;
    try {
      if (request.method !== 'POST') throw new OtsError(405, 'OTSMethodNotAllowed', 'Only POST method for requests is supported.');
      const name = (request.url ?? '').slice(1);
      const operation = operations[name];
      if (!operation) throw invalid(`Unsupported operation: '${name}'.`);
      const accessKeyId = authenticate(request, name, body);
      calls.push({ operation: name, accessKeyId });
      if (failing.count > 0) {
        failing.count--;
        throw new OtsError(failing.error.status, failing.error.code, failing.error.message);
      }
      if (delay.count > 0) {
        delay.count--;
        await new Promise((resolve) => setTimeout(resolve, delay.ms));
      }
      const action = before.get(name);
      before.delete(name);
      action?.();
      answer = decodeFailuresAsInvalid(() => operation(body));
    } catch (error) {
      if (!(error instanceof OtsError)) throw error;
      return reply(response, error.status, wire.Error.encode({ code: error.code, message: error.message }).finish(), now());
    }
    if (cut) {
      cut = false;
      response.writeHead(200, { 'content-length': answer.length });
      response.write(answer.subarray(0, answer.length >> 1));
      return void setImmediate(() => response.destroy());
    }
    reply(response, 200, answer, now());
  }

  function authenticate(request: IncomingMessage, operation: string, body: Buffer): string {
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(',') : value;
    };
    for (const name of REQUIRED_HEADERS) {
      if (header(name) === undefined) throw invalid(`Missing header: '${name}'.`);
    }
    if (header('x-ots-apiversion') !== API_VERSION) throw invalid(`Unsupported API version: '${header('x-ots-apiversion')}'.`);
    const credentials = keys.get(header('x-ots-accesskeyid') ?? '');
    if (!credentials) throw authFailed('The AccessKeyID does not exist.');
    if (header('x-ots-instancename') !== options.instance) throw authFailed('The instance is not found.');
    if (header('x-ots-ststoken') !== credentials.securityToken) throw authFailed('The security token is invalid.');
    if (header('x-ots-contentmd5') !== createHash('md5').update(body).digest('base64')) {
      throw authFailed('Mismatch between MD5 value of request body and x-ots-contentmd5 in header.');
    }
    const date = Date.parse(header('x-ots-date') ?? '');
    if (Number.isNaN(date)) throw invalid(`Invalid date format: ${header('x-ots-date')}.`);
    if (Math.abs(now() - date) > MAX_CLOCK_SKEW_MS) throw authFailed(`Mismatch between system time and x-ots-date: ${header('x-ots-date')}.`);
    // The string to sign (SDK `lib/signer.js`): path, method, an empty line, then every x-ots-*
    // header but the signature, lower-cased and sorted, one `name:value` a line.
    const signed = Object.keys(request.headers)
      .filter((name) => name.startsWith('x-ots-') && name !== 'x-ots-signature')
      .sort()
      .map((name) => `${name}:${header(name)}`);
    const stringToSign = `/${operation}\nPOST\n\n${signed.join('\n')}\n`;
    const expected = createHmac('sha1', credentials.accessKeySecret).update(stringToSign).digest();
    const given = Buffer.from(header('x-ots-signature') ?? '', 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw authFailed('Signature mismatch.');
    return credentials.accessKeyId;
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await listen(server, 0);
  const { port } = server.address() as AddressInfo;
  const stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    indexingErrors,
    failNext(count, error = busy) {
      failing = { count, error };
    },
    failRowsNext(count, error) {
      rowFaults.push({ count, error });
    },
    delayNext(count, ms) {
      delay = { count, ms };
    },
    cutNextAnswer() {
      cut = true;
    },
    beforeNext(operation, action) {
      before.set(operation, action);
    },
    deleteRow(tableName, id) {
      tables.removeRow(tableName, [id]);
    },
    clearFaults() {
      failing = { count: 0, error: busy };
      delay = { count: 0, ms: 0 };
      cut = false;
      rowFaults.length = 0;
      before.clear();
    },
    stop,
    async start() {
      await listen(server, port);
    },
    async close() {
      if (server.listening) await stop();
    },
  };
}

const authFailed = (message: string) => new OtsError(403, 'OTSAuthFailed', message);

/** A body the SDK's protocol buffers cannot decode (a missing required field, say) is a bad parameter. */
function decodeFailuresAsInvalid(run: () => Uint8Array): Uint8Array {
  try {
    return run();
  } catch (error) {
    if (error instanceof OtsError) throw error;
    throw invalid(`Invalid request: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** An answer with Tablestore's headers; the dates are the server's clock. */
function reply(response: ServerResponse, status: number, body: Uint8Array, now: number): void {
  if (response.destroyed) return;
  response.writeHead(status, {
    'content-length': body.length,
    date: new Date(now).toUTCString(),
    'x-ots-requestid': randomUUID(),
    'x-ots-contenttype': 'protocol buffer',
    'x-ots-contentmd5': createHash('md5').update(body).digest('base64'),
    'x-ots-date': new Date(now).toISOString(),
  });
  response.end(body);
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
