import { aliyunCredentialsFromEnv, type AliyunCredentials } from '../credentials.js';
import { checkListQuery } from './list-query.js';
import {
  EntryStatus,
  TransientStoreError,
  type ClaimEntry,
  type ClaimOutcome,
  type CompleteEntry,
  type ListQuery,
  type StoreCallOptions,
  type StoredEntry,
  type UploadStore,
} from './port.js';
import type { UploadRecord } from './record.js';
import { TableStore, TablestoreError, tablestoreClients, type CellValue, type Row, type TablestoreClient, type TablestoreClients } from './tablestore-client.js';

/**
 * `tablestore:<instance>/<table>` — Alibaba Cloud Tablestore through the official SDK.
 *
 * Table: primary key `id` STRING; max versions 1; no TTL (claim expiry is decided in code from
 * `claimExpiresAt`, and records are kept). A claim row holds `status`, `fingerprint`, `claimToken`,
 * `claimExpiresAt` (INTEGER, epoch ms); a complete row holds `status`, `fingerprint` and the record
 * as columns (null fields are absent; `size`, `imageWidth`, `imageHeight` are INTEGER; `crc64`
 * stays a decimal STRING; `vars` is a JSON array of `name=value` terms).
 * Listing uses the search index `LIST_INDEX` (schema in `LIST_INDEX_FIELDS`); a search index is
 * eventually consistent, so a record shows in listings shortly after it is written, not at once.
 */
export const LIST_INDEX = 'upload_listing';

const { RowExistenceExpectation, LogicalOperator, ComparatorType, QueryType, FieldType, SortOrder } = TableStore;

const keyword = (fieldName: string, more: Partial<TableStore.FieldSchema> = {}): TableStore.FieldSchema => ({
  fieldName,
  fieldType: FieldType.KEYWORD,
  index: true,
  enableSortAndAgg: false,
  store: false,
  isAnArray: false,
  ...more,
});

export const LIST_INDEX_FIELDS: TableStore.FieldSchema[] = [
  keyword('status'),
  keyword('bucket'),
  keyword('object'),
  keyword('uploader'),
  keyword('vars', { isAnArray: true }),
  keyword('receivedAt', { enableSortAndAgg: true }),
];

/** `init` waits at most 1 + 2 + … + 9 = 45 × INIT_RETRY_MS for a new table to load. */
const INIT_ATTEMPTS = 10;
const INIT_RETRY_MS = 300;

/** Search returns at most 100 rows a page. */
const PAGE_SIZE = 100;

const NEWEST_FIRST: TableStore.Sorter[] = [
  { fieldSort: { fieldName: 'receivedAt', order: SortOrder.SORT_ORDER_DESC } },
  { primaryKeySort: { order: SortOrder.SORT_ORDER_DESC } },
];

/** Codes a retry can fix: throttling, a busy or briefly unavailable partition, timeouts, no connection. */
const TRANSIENT_CODES = new Set([
  'OTSServerBusy',
  'OTSNotEnoughCapacityUnit',
  'OTSOperationThrottled',
  'OTSPartitionUnavailable',
  'OTSServerUnavailable',
  'OTSTimeout',
  'OTSInternalServerError',
  'OTSTableNotReady',
  'OTSRowOperationConflict',
  'NetworkingError',
  'TimeoutError',
]);

export interface TablestoreStoreOptions {
  /** Per-call credentials, e.g. Function Compute's STS credentials; the environment's when absent or undefined. */
  aliyunCredentials?: () => AliyunCredentials | undefined;
  /** `https://<instance>.<region>.ots.aliyuncs.com`; `TABLESTORE_ENDPOINT` when absent. */
  endpoint?: string;
}

export async function openTablestoreStore(instance: string, table: string, options: TablestoreStoreOptions = {}): Promise<UploadStore> {
  const endpoint = options.endpoint ?? process.env.TABLESTORE_ENDPOINT;
  if (!endpoint) throw new Error('the Tablestore store needs an endpoint: set TABLESTORE_ENDPOINT');
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,254}$/.test(table)) throw new Error(`"${table}" is not a Tablestore table name`);
  const provided = options.aliyunCredentials;
  const credentials = () => provided?.() ?? aliyunCredentialsFromEnv();
  return new TablestoreStore(instance, table, tablestoreClients(endpoint, instance), credentials);
}

class TablestoreStore implements UploadStore {
  readonly description: string;
  readonly #table: string;
  readonly #clients: TablestoreClients;
  readonly #credentials: () => AliyunCredentials | undefined;

  constructor(instance: string, table: string, clients: TablestoreClients, credentials: () => AliyunCredentials | undefined) {
    this.description = `tablestore:${instance}/${table}`;
    this.#table = table;
    this.#clients = clients;
    this.#credentials = credentials;
  }

  async claim(claim: ClaimEntry, now: number, options?: StoreCallOptions): Promise<ClaimOutcome> {
    // Row absent, or a claim that expired before `now`: for an absent row every column is missing
    // and passes, so this is one conditional write. A complete row fails on `status`.
    const takeable = new TableStore.CompositeCondition(LogicalOperator.AND);
    takeable.addSubCondition(new TableStore.SingleColumnCondition('status', EntryStatus.INPROGRESS, ComparatorType.EQUAL, true));
    takeable.addSubCondition(new TableStore.SingleColumnCondition('claimExpiresAt', TableStore.Long.fromNumber(now), ComparatorType.LESS_THAN, true));
    const condition = new TableStore.Condition(RowExistenceExpectation.IGNORE, takeable);
    // A refused claim is read back; if that entry vanished in between (released), claim again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const written = await this.#conditionalWrite(async (client) => {
        await client.putRow({ tableName: this.#table, primaryKey: { id: claim.id }, columns: claimColumns(claim), condition }, options);
      });
      if (written) return { claimed: true };
      const existing = await this.get(claim.id, options);
      if (existing) return { claimed: false, existing };
    }
    throw new TransientStoreError(`the entry for ${claim.id} kept changing while it was being claimed`);
  }

  async complete(entry: CompleteEntry, claimToken: string, options?: StoreCallOptions): Promise<boolean> {
    if (entry.record.id !== entry.id) throw new Error(`the record id ${entry.record.id} differs from the entry id ${entry.id}`);
    return this.#conditionalWrite(async (client) => {
      await client.putRow({ tableName: this.#table, primaryKey: { id: entry.id }, columns: completeColumns(entry), condition: heldClaim(claimToken) }, options);
    });
  }

  async release(id: string, claimToken: string, options?: StoreCallOptions): Promise<void> {
    await this.#conditionalWrite((client) => client.deleteRow({ tableName: this.#table, primaryKey: { id }, condition: heldClaim(claimToken) }, options));
  }

  async get(id: string, options?: StoreCallOptions): Promise<StoredEntry | undefined> {
    const row = await this.#run((client) => client.getRow({ tableName: this.#table, primaryKey: { id } }, options));
    return row && entryFromRow(id, row.columns);
  }

  async list(query: ListQuery, options?: StoreCallOptions): Promise<UploadRecord[]> {
    checkListQuery(query);
    const filters: TableStore.Query[] = [term('status', EntryStatus.COMPLETE)];
    if (query.bucket !== undefined) filters.push(term('bucket', query.bucket));
    if (query.prefix !== undefined) filters.push({ queryType: QueryType.PREFIX_QUERY, query: { fieldName: 'object', prefix: query.prefix } });
    if (query.uploader !== undefined) filters.push(term('uploader', query.uploader));
    if (query.variable) filters.push(term('vars', varTerm(query.variable.name, query.variable.value)));

    const wanted = query.limit ?? Number.POSITIVE_INFINITY;
    const records: UploadRecord[] = [];
    let token: Buffer | undefined;
    do {
      const searchQuery = {
        limit: Math.min(PAGE_SIZE, wanted - records.length),
        query: { queryType: QueryType.BOOL_QUERY, query: { filterQueries: filters } },
        getTotalCount: false,
        // The token carries the sort of the first page; Tablestore takes one or the other.
        ...(token ? { token } : { sort: { sorters: NEWEST_FIRST } }),
      };
      const page = await this.#run((client) =>
        client.search({ tableName: this.#table, indexName: LIST_INDEX, searchQuery, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_ALL } }, options),
      );
      for (const row of page.rows) {
        const entry = entryFromRow(String(row.primaryKey.id), row.columns);
        if (entry.status === EntryStatus.COMPLETE) records.push(entry.record);
      }
      token = page.nextToken;
    } while (token && records.length < wanted);
    return records;
  }

  /**
   * Create the table, then its search index, when missing. A new table takes a few seconds to load,
   * so transient refusals (OTSTableNotReady, throttling) are retried for a while: this runs from the
   * CLI or a deploy step, never within a callback's deadline.
   */
  async init(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#run(async (client) => {
          await this.#createTableIfMissing(client);
          if (!(await client.listSearchIndexes(this.#table)).includes(LIST_INDEX)) {
            await ignoring('OTSObjectAlreadyExist', client.createSearchIndex({ tableName: this.#table, indexName: LIST_INDEX, schema: { fieldSchemas: LIST_INDEX_FIELDS } }));
          }
        });
      } catch (error) {
        if (!(error instanceof TransientStoreError) || attempt >= INIT_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, INIT_RETRY_MS * attempt));
      }
    }
  }

  async close(): Promise<void> {
    this.#clients.close();
  }

  async #createTableIfMissing(client: TablestoreClient): Promise<void> {
    try {
      const { primaryKey } = await client.describeTable(this.#table);
      const [first, ...more] = primaryKey;
      if (first?.name !== 'id' || first.type !== PRIMARY_KEY_STRING || more.length > 0) {
        throw new Error(`the Tablestore table ${this.#table} exists with another primary key; this store needs one STRING column named id`);
      }
    } catch (error) {
      if (!(error instanceof TablestoreError && error.code === 'OTSObjectNotExist')) throw error;
      await ignoring(
        'OTSObjectAlreadyExist',
        client.createTable({
          tableMeta: { tableName: this.#table, primaryKey: [{ name: 'id', type: 'STRING' }] },
          reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
          tableOptions: { timeToLive: -1, maxVersions: 1 },
        }),
      );
    }
  }

  /** A conditional write: true when written, false when Tablestore refused it on its condition. */
  async #conditionalWrite(write: (client: TablestoreClient) => Promise<void>): Promise<boolean> {
    return this.#run(async (client) => {
      try {
        await write(client);
        return true;
      } catch (error) {
        if (error instanceof TablestoreError && error.code === 'OTSConditionCheckFail') return false;
        throw error;
      }
    });
  }

  /** Run with the client for the current credentials; throttling and timeouts become TransientStoreError. */
  async #run<T>(work: (client: TablestoreClient) => Promise<T>): Promise<T> {
    const credentials = this.#credentials();
    if (!credentials) {
      throw new Error('no Alibaba Cloud credentials: run on Function Compute with a role, or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET');
    }
    try {
      return await work(this.#clients.clientFor(credentials));
    } catch (error) {
      if (error instanceof TablestoreError && (TRANSIENT_CODES.has(error.code) || (error.status ?? 0) >= 500)) {
        throw new TransientStoreError(`Tablestore ${error.code}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
}

/** `PrimaryKeyType.STRING` in the protocol (`tablestore.proto`). */
const PRIMARY_KEY_STRING = 2;

/** The claim is still there and still ours. */
function heldClaim(claimToken: string): TableStore.Condition {
  const ours = new TableStore.CompositeCondition(LogicalOperator.AND);
  ours.addSubCondition(new TableStore.SingleColumnCondition('status', EntryStatus.INPROGRESS, ComparatorType.EQUAL, false));
  ours.addSubCondition(new TableStore.SingleColumnCondition('claimToken', claimToken, ComparatorType.EQUAL, false));
  return new TableStore.Condition(RowExistenceExpectation.EXPECT_EXIST, ours);
}

async function ignoring(code: string, call: Promise<void>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof TablestoreError && error.code === code)) throw error;
  }
}

function term(fieldName: string, value: string): TableStore.Query {
  return { queryType: QueryType.TERM_QUERY, query: { fieldName, term: value } };
}

/** `name=value`, with `%` and `=` in the name escaped so the first `=` always ends it. */
function varTerm(name: string, value: string): string {
  return `${name.replace(/[%=]/g, (c) => (c === '%' ? '%25' : '%3D'))}=${value}`;
}

function parseVarTerm(text: string): [string, string] {
  const split = text.indexOf('=');
  if (split < 0) throw new Error(`malformed custom variable ${JSON.stringify(text)} in Tablestore`);
  const name = text.slice(0, split).replace(/%(25|3D)/g, (escape) => (escape === '%25' ? '%' : '='));
  return [name, text.slice(split + 1)];
}

function claimColumns(claim: ClaimEntry): Row {
  return {
    status: claim.status,
    fingerprint: claim.fingerprint,
    claimToken: claim.claimToken,
    claimExpiresAt: TableStore.Long.fromNumber(claim.claimExpiresAt),
  };
}

const OPTIONAL_TEXT = ['etag', 'mimeType', 'crc64', 'contentMd5', 'operation', 'reqId', 'clientIp', 'vpcId', 'uploader'] as const;

function completeColumns({ status, fingerprint, record }: CompleteEntry): Row {
  const columns: Row = {
    status,
    fingerprint,
    bucket: record.bucket,
    object: record.object,
    receivedAt: record.receivedAt,
    vars: JSON.stringify(Object.entries(record.vars).map(([name, value]) => varTerm(name, value))),
  };
  for (const name of OPTIONAL_TEXT) {
    const value = record[name];
    if (value !== null) columns[name] = value;
  }
  if (record.size !== null) columns.size = TableStore.Long.fromNumber(record.size);
  if (record.image) {
    columns.imageWidth = TableStore.Long.fromNumber(record.image.width);
    columns.imageHeight = TableStore.Long.fromNumber(record.image.height);
    columns.imageFormat = record.image.format;
  }
  return columns;
}

function entryFromRow(id: string, columns: Row): StoredEntry {
  const read = columnReader(id, columns);
  const status = read.text('status');
  const fingerprint = read.text('fingerprint');
  if (status === EntryStatus.INPROGRESS) {
    return { id, status, fingerprint, claimToken: read.text('claimToken'), claimExpiresAt: read.integer('claimExpiresAt') };
  }
  if (status !== EntryStatus.COMPLETE) throw new Error(`unknown status ${JSON.stringify(status)} for ${id} in Tablestore`);
  const optionalText = (name: (typeof OPTIONAL_TEXT)[number]) => (columns[name] === undefined ? null : read.text(name));
  const vars = JSON.parse(read.text('vars')) as unknown;
  if (!Array.isArray(vars) || !vars.every((item) => typeof item === 'string')) throw new Error(`malformed vars for ${id} in Tablestore`);
  const record: UploadRecord = {
    id,
    bucket: read.text('bucket'),
    object: read.text('object'),
    etag: optionalText('etag'),
    size: columns.size === undefined ? null : read.integer('size'),
    mimeType: optionalText('mimeType'),
    crc64: optionalText('crc64'),
    contentMd5: optionalText('contentMd5'),
    operation: optionalText('operation'),
    reqId: optionalText('reqId'),
    clientIp: optionalText('clientIp'),
    vpcId: optionalText('vpcId'),
    image: columns.imageFormat === undefined ? null : { width: read.integer('imageWidth'), height: read.integer('imageHeight'), format: read.text('imageFormat') },
    vars: Object.fromEntries(vars.map(parseVarTerm)),
    uploader: optionalText('uploader'),
    receivedAt: read.text('receivedAt'),
  };
  return { id, status, fingerprint, record };
}

function columnReader(id: string, columns: Row) {
  const column = (name: string): CellValue => {
    const value = columns[name];
    if (value === undefined) throw new Error(`the Tablestore row ${id} has no ${name}`);
    return value;
  };
  return {
    text(name: string): string {
      const value = column(name);
      if (typeof value !== 'string') throw new Error(`the Tablestore column ${name} of ${id} is not a STRING`);
      return value;
    },
    integer(name: string): number {
      const value = column(name);
      if (typeof value !== 'object' || Buffer.isBuffer(value)) throw new Error(`the Tablestore column ${name} of ${id} is not an INTEGER`);
      return value.toNumber();
    },
  };
}
