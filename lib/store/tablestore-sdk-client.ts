import type { Agent as HttpAgent } from 'node:http';
import type TableStoreSdk from 'tablestore';
import type { AliyunCredentials } from '../credentials.js';
import { KeepAliveAgents } from '../http/exchange.js';
import { TABLESTORE_LIMITS, TablestoreError, errorFromAnswer } from './tablestore-client.js';
import { importTablestoreSdk } from './import-tablestore-sdk.js';

/**
 * A thin typed wrapper over the official `tablestore` SDK for what only the CLI and the local server
 * do: create and describe the table and its search index, and search it (`store init`, `records`).
 * Nothing a callback, a ticket or an event runs reaches this module; `tablestore.ts` imports it on
 * first use. Each call takes an AbortSignal and fails with a `TablestoreError` carrying Tablestore's code.
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

/**
 * The SDK itself, imported when this module loads (on the first init or listing) through
 * importTablestoreSdk: a static import would make webpack and Turbopack (next build) fail every app
 * that has not installed the SDK, whatever store it uses. Its types keep the SDK's names.
 */
export const TableStore: typeof TableStoreSdk = (await importTablestoreSdk()).default;
// eslint-disable-next-line @typescript-eslint/no-namespace -- the SDK's types under the name of its value, as the SDK exports them
export declare namespace TableStore {
  export type CellValue = TableStoreSdk.CellValue;
  export type Callback = TableStoreSdk.Callback;
  export type CreateSearchIndexParams = TableStoreSdk.CreateSearchIndexParams;
  export type CreateTableParams = TableStoreSdk.CreateTableParams;
  export type FieldSchema = TableStoreSdk.FieldSchema;
  export type Query = TableStoreSdk.Query;
  export type SdkRequest = TableStoreSdk.SdkRequest;
  export type SdkResponse = TableStoreSdk.SdkResponse;
  export type SearchParams = TableStoreSdk.SearchParams;
  export type Sorter = TableStoreSdk.Sorter;
  export type GroupBy = TableStoreSdk.GroupBy;
  export type GroupBysResult = TableStoreSdk.GroupBysResult;
  export type Int64 = TableStoreSdk.Int64;
}

type CellValue = TableStore.CellValue;
type Row = Record<string, CellValue>;

interface CallOptions {
  signal?: AbortSignal | undefined;
}

export interface IndexedField {
  fieldName: string;
  /** `TableStore.FieldType`. */
  fieldType: number;
}

interface StoredRow {
  primaryKey: Row;
  columns: Row;
}

export interface TablestoreSdkClient {
  /** The primary key schema; fails with `OTSObjectNotExist` when there is no such table. */
  describeTable(tableName: string, call?: CallOptions): Promise<{ primaryKey: Array<{ name: string; type: number }> }>;
  createTable(params: TableStore.CreateTableParams, call?: CallOptions): Promise<void>;
  listSearchIndexes(tableName: string, call?: CallOptions): Promise<string[]>;
  createSearchIndex(params: TableStore.CreateSearchIndexParams, call?: CallOptions): Promise<void>;
  /** The name and type of each of the index's fields. */
  describeSearchIndex(tableName: string, indexName: string, call?: CallOptions): Promise<IndexedField[]>;
  /** `groupBys` holds the answer's groups when the search asked for some (counts, `tablestore-admin.ts`). */
  search(params: TableStore.SearchParams, call?: CallOptions): Promise<{ rows: StoredRow[]; nextToken: Buffer | undefined; groupBys?: TableStore.GroupBysResult }>;
}

/** The clients of one endpoint and instance, sharing one keep-alive agent. */
export interface TablestoreSdkClients {
  /** The client for these credentials: the last one built while they stay the same, a new one when they change. */
  clientFor(credentials: AliyunCredentials): TablestoreSdkClient;
  /** Close the pooled connections. */
  close(): void;
}

/** How long a socket may stay silent (connecting or waiting for the answer), and how long one call may take in all. */
export interface SdkLimits {
  silenceMs: number;
  totalMs: number;
}

/** Our own client's first-byte and total limits. */
const DEFAULT_LIMITS: SdkLimits = { silenceMs: TABLESTORE_LIMITS.firstByteMs, totalMs: TABLESTORE_LIMITS.totalMs };

export function tablestoreSdkClients(endpoint: string, instance: string, limits: SdkLimits = DEFAULT_LIMITS): TablestoreSdkClients {
  const agents = new KeepAliveAgents();
  const agent = agents.for(new URL(endpoint));
  let current: { credentials: AliyunCredentials; client: TablestoreSdkClient } | undefined;
  return {
    clientFor(credentials) {
      if (!current || !sameCredentials(current.credentials, credentials)) {
        current = { credentials: { ...credentials }, client: createClient(endpoint, instance, credentials, agent, limits) };
      }
      return current.client;
    },
    close() {
      agents.destroy();
    },
  };
}

function sameCredentials(a: AliyunCredentials, b: AliyunCredentials): boolean {
  return a.accessKeyId === b.accessKeyId && a.accessKeySecret === b.accessKeySecret && a.securityToken === b.securityToken;
}

function createClient(endpoint: string, instance: string, credentials: AliyunCredentials, agent: HttpAgent, limits: SdkLimits): TablestoreSdkClient {
  const sdk = new TableStore.Client({
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.accessKeySecret,
    ...(credentials.securityToken ? { stsToken: credentials.securityToken } : {}),
    endpoint,
    instancename: instance,
    // `init` retries a table still loading itself; the SDK's own policy would retry up to 20 times
    // with waits of up to 3 s. The SDK copies this into its process-wide policy on every request.
    maxRetries: 0,
    // The SDK's only time limit: a socket silent this long fails the call with TimeoutError; `send`
    // bounds the whole call.
    httpOptions: { agent, timeout: limits.silenceMs },
  });
  // The SDK parses error bodies with an XML parser it does not ship (`lib/client.js` extractError),
  // so every Tablestore error arrives as its bare HTTP status. Tablestore answers errors with the
  // protobuf `Error { code, message }`, read here as our own client reads it.
  sdk.extractError = (response) => {
    const { operation } = response.request;
    const { statusCode, headers, body } = response.httpResponse;
    // The SDK names its calls `describeTable`, Tablestore `DescribeTable`.
    response.error = errorFromAnswer(operation.charAt(0).toUpperCase() + operation.slice(1), statusCode, headers, body);
  };

  return {
    async describeTable(tableName, call) {
      const data = (await send('DescribeTable', limits.totalMs, call, (done) => sdk.describeTable({ tableName }, done))) as DescribeTableData;
      return { primaryKey: data.tableMeta.primaryKey.map(({ name, type }) => ({ name, type })) };
    },
    async createTable(params, call) {
      await send('CreateTable', limits.totalMs, call, (done) => sdk.createTable(params, done));
    },
    async listSearchIndexes(tableName, call) {
      const data = (await send('ListSearchIndex', limits.totalMs, call, (done) => sdk.listSearchIndex({ tableName }, done))) as { indices: Array<{ indexName: string }> };
      return data.indices.map((index) => index.indexName);
    },
    async createSearchIndex(params, call) {
      await send('CreateSearchIndex', limits.totalMs, call, (done) => sdk.createSearchIndex(params, done));
    },
    async describeSearchIndex(tableName, indexName, call) {
      const data = (await send('DescribeSearchIndex', limits.totalMs, call, (done) => sdk.describeSearchIndex({ tableName, indexName }, done))) as { schema: { fieldSchemas: IndexedField[] } };
      return data.schema.fieldSchemas.map(({ fieldName, fieldType }) => ({ fieldName, fieldType }));
    },
    async search(params, call) {
      const data = (await send('Search', limits.totalMs, call, (done) => sdk.search(params, done))) as { rows: SdkRow[]; nextToken?: Uint8Array; groupBys?: TableStore.GroupBysResult };
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

/**
 * Run one SDK call. The SDK takes no AbortSignal, so the call races the signal and a time limit: on
 * either the promise rejects at once (with the signal's reason, or a `TotalTimeout` TablestoreError)
 * and the HTTP request, if already sent, is destroyed. A write the server received before that may
 * still be applied, as with any timed-out request.
 */
function send(operation: string, totalMs: number, call: CallOptions | undefined, start: (done: TableStore.Callback) => TableStore.SdkRequest): Promise<unknown> {
  const signal = call?.signal;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let request: TableStore.SdkRequest | undefined;
    const cleanUp = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const stop = (reason: unknown) => {
      cleanUp();
      request?.httpRequest.stream?.destroy();
      reject(reason);
    };
    const onAbort = () => stop(signal?.reason);
    const timer = setTimeout(() => stop(new TablestoreError('TotalTimeout', `Tablestore ${operation}: no whole answer within ${totalMs} ms`, { operation })), totalMs);
    const settle = (error: unknown, data?: unknown) => {
      cleanUp();
      if (error) reject(asTablestoreError(operation, error));
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
function asTablestoreError(operation: string, error: unknown): unknown {
  if (error instanceof TablestoreError || !(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? new TablestoreError(code, error.message, { operation, cause: error }) : error;
}
