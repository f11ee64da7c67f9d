import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import TableStore from 'tablestore';
import protos from 'tablestore/lib/protocol/tablestore_compiled_proto.js';
import type { AliyunCredentials } from '../credentials.js';

/**
 * A thin typed wrapper over the official `tablestore` SDK: only the calls the adapter makes, each
 * taking an AbortSignal, each failing with a `TablestoreError` that carries Tablestore's own code.
 */

/**
 * The SDK assigns to four undeclared variables: `pro` (`lib/filter.js`), `sub`
 * (`lib/protocol/encoder.js`), `key` and `size` (`lib/protocol/plian_buffer_builder.js`). Loaded as
 * CommonJS, sloppy mode turns each into a global on first write; bundled into the functions' ESM
 * (strict) output, the first write throws a ReferenceError. Declaring those globals up front gives
 * the bundled SDK the behaviour it has unbundled.
 */
for (const name of ['pro', 'sub', 'key', 'size']) {
  if (!(name in globalThis)) Reflect.set(globalThis, name, undefined);
}

export type CellValue = TableStore.CellValue;
export type Row = Record<string, CellValue>;
export { TableStore };

export interface CallOptions {
  signal?: AbortSignal;
}

/** A failed Tablestore call: `code` is Tablestore's (`OTSConditionCheckFail`, …) or the SDK's (`NetworkingError`). */
export class TablestoreError extends Error {
  readonly code: string;
  /** The HTTP status Tablestore answered with; undefined when no answer came. */
  readonly status: number | undefined;
  readonly requestId: string | undefined;

  constructor(code: string, message: string, details: { status?: number; requestId?: string; cause?: unknown } = {}) {
    super(message, { cause: details.cause });
    this.name = 'TablestoreError';
    this.code = code;
    this.status = details.status;
    this.requestId = details.requestId;
  }
}

export interface IndexedField {
  fieldName: string;
  /** `TableStore.FieldType`. */
  fieldType: number;
}

export interface StoredRow {
  primaryKey: Row;
  columns: Row;
}

export interface TablestoreClient {
  /** The primary key schema; fails with `OTSObjectNotExist` when there is no such table. */
  describeTable(tableName: string, call?: CallOptions): Promise<{ primaryKey: Array<{ name: string; type: number }> }>;
  createTable(params: TableStore.CreateTableParams, call?: CallOptions): Promise<void>;
  listSearchIndexes(tableName: string, call?: CallOptions): Promise<string[]>;
  createSearchIndex(params: TableStore.CreateSearchIndexParams, call?: CallOptions): Promise<void>;
  /** The name and type of each of the index's fields. */
  describeSearchIndex(tableName: string, indexName: string, call?: CallOptions): Promise<IndexedField[]>;
  putRow(params: { tableName: string; primaryKey: Row; columns: Row; condition: TableStore.Condition }, call?: CallOptions): Promise<void>;
  getRow(params: { tableName: string; primaryKey: Row }, call?: CallOptions): Promise<StoredRow | undefined>;
  /** `groupBys` holds the answer's groups when the search asked for some (`tablestore-stats.ts`). */
  search(params: TableStore.SearchParams, call?: CallOptions): Promise<{ rows: StoredRow[]; nextToken: Buffer | undefined; groupBys?: TableStore.GroupBysResult }>;
}

/** The clients of one endpoint and instance, sharing one keep-alive agent. */
export interface TablestoreClients {
  /** The client for these credentials: the last one built while they stay the same, a new one when they change. */
  clientFor(credentials: AliyunCredentials): TablestoreClient;
  /** Close the pooled connections. */
  close(): void;
}

export function tablestoreClients(endpoint: string, instance: string): TablestoreClients {
  const agent = new URL(endpoint).protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  let current: { credentials: AliyunCredentials; client: TablestoreClient } | undefined;
  return {
    clientFor(credentials) {
      if (!current || !sameCredentials(current.credentials, credentials)) {
        current = { credentials: { ...credentials }, client: createClient(endpoint, instance, credentials, agent) };
      }
      return current.client;
    },
    close() {
      agent.destroy();
    },
  };
}

function sameCredentials(a: AliyunCredentials, b: AliyunCredentials): boolean {
  return a.accessKeyId === b.accessKeyId && a.accessKeySecret === b.accessKeySecret && a.securityToken === b.securityToken;
}

function createClient(endpoint: string, instance: string, credentials: AliyunCredentials, agent: HttpAgent): TablestoreClient {
  const sdk = new TableStore.Client({
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.accessKeySecret,
    ...(credentials.securityToken ? { stsToken: credentials.securityToken } : {}),
    endpoint,
    instancename: instance,
    // The caller retries within its deadline; the SDK's own policy would retry up to 20 times with
    // waits of up to 3 s. The SDK copies this into its process-wide policy on every request.
    maxRetries: 0,
    httpOptions: { agent },
  });
  // The SDK parses error bodies with an XML parser it does not ship (`lib/client.js` extractError),
  // so every Tablestore error arrives as its bare HTTP status. Tablestore answers errors with the
  // protobuf `Error { code, message }`; decode it with the SDK's own compiled protocol.
  sdk.extractError = (response) => {
    response.error = errorFromResponse(response.httpResponse);
  };

  return {
    async describeTable(tableName, call) {
      const data = (await send(call, (done) => sdk.describeTable({ tableName }, done))) as DescribeTableData;
      return { primaryKey: data.tableMeta.primaryKey.map(({ name, type }) => ({ name, type })) };
    },
    async createTable(params, call) {
      await send(call, (done) => sdk.createTable(params, done));
    },
    async listSearchIndexes(tableName, call) {
      const data = (await send(call, (done) => sdk.listSearchIndex({ tableName }, done))) as { indices: Array<{ indexName: string }> };
      return data.indices.map((index) => index.indexName);
    },
    async createSearchIndex(params, call) {
      await send(call, (done) => sdk.createSearchIndex(params, done));
    },
    async describeSearchIndex(tableName, indexName, call) {
      const data = (await send(call, (done) => sdk.describeSearchIndex({ tableName, indexName }, done))) as { schema: { fieldSchemas: IndexedField[] } };
      return data.schema.fieldSchemas.map(({ fieldName, fieldType }) => ({ fieldName, fieldType }));
    },
    async putRow({ tableName, primaryKey, columns, condition }, call) {
      await send(call, (done) => sdk.putRow({ tableName, primaryKey: toColumns(primaryKey), attributeColumns: toColumns(columns), condition }, done));
    },
    async getRow({ tableName, primaryKey }, call) {
      const data = (await send(call, (done) => sdk.getRow({ tableName, primaryKey: toColumns(primaryKey), maxVersions: 1 }, done))) as { row: SdkRow };
      // The SDK decodes "no such row" (an empty row) as `{}`.
      return data.row.primaryKey ? fromSdkRow(data.row) : undefined;
    },
    async search(params, call) {
      const data = (await send(call, (done) => sdk.search(params, done))) as { rows: SdkRow[]; nextToken?: Uint8Array; groupBys?: TableStore.GroupBysResult };
      const token = data.nextToken && data.nextToken.length > 0 ? Buffer.from(data.nextToken) : undefined;
      return { rows: data.rows.map(fromSdkRow), nextToken: token, groupBys: data.groupBys };
    },
  };
}

interface DescribeTableData {
  tableMeta: { primaryKey: Array<{ name: string; type: number }> };
}

/** A row as the SDK's PlainBuffer decoder returns it (`lib/protocol/plain_buffer_coded_stream.js`). */
interface SdkRow {
  primaryKey?: Array<{ name: string; value: CellValue }>;
  attributes?: Array<{ columnName: string; columnValue: CellValue }>;
}

function fromSdkRow(row: SdkRow): StoredRow {
  const primaryKey: Row = {};
  for (const { name, value } of row.primaryKey ?? []) primaryKey[name] = value;
  const columns: Row = {};
  for (const { columnName, columnValue } of row.attributes ?? []) columns[columnName] = columnValue;
  return { primaryKey, columns };
}

function toColumns(row: Row): TableStore.Columns {
  return Object.entries(row).map(([name, value]) => ({ [name]: value }));
}

function errorFromResponse(response: TableStore.SdkResponse['httpResponse']): TablestoreError {
  const status = response.statusCode;
  const requestId = response.headers['x-ots-requestid'] ?? response.headers['x-ots-request-id'];
  const details = requestId === undefined ? { status } : { status, requestId };
  try {
    const error = protos.main.proto.Error.decode(response.body);
    return new TablestoreError(error.code, error.message || error.code, details);
  } catch {
    // Not a Tablestore answer (a proxy's error page, an empty body): the status is all there is.
    return new TablestoreError(`HTTP${status}`, `Tablestore answered HTTP ${status} without an error body`, details);
  }
}

/**
 * Run one SDK call. The SDK takes no AbortSignal, so the call races the signal: on abort the promise
 * rejects at once with the signal's reason and the HTTP request, if already sent, is destroyed. A
 * write the server received before that may still be applied, as with any timed-out request.
 */
function send(call: CallOptions | undefined, start: (done: TableStore.Callback) => TableStore.SdkRequest): Promise<unknown> {
  const signal = call?.signal;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let request: TableStore.SdkRequest | undefined;
    const onAbort = () => {
      request?.httpRequest.stream?.destroy();
      reject(signal?.reason);
    };
    const settle = (error: unknown, data?: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(asTablestoreError(error));
      else resolve(data);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      request = start(settle);
    } catch (error) {
      settle(error);
    }
  });
}

/** Connection failures and socket timeouts come from the SDK as plain errors with a string `code`. */
function asTablestoreError(error: unknown): unknown {
  if (error instanceof TablestoreError || !(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? new TablestoreError(code, error.message, { cause: error }) : error;
}
