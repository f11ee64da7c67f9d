import { aliyunCredentialsFromEnv, type AliyunCredentials } from '../credentials.js';
import { checkListQuery } from './list-query.js';
import {
  TransientStoreError,
  type Binding,
  type CountQuery,
  type CreateOutcome,
  type InitOptions,
  type ListQuery,
  type SourceCounts,
  type StoreCallOptions,
  type StoredUpload,
  type UploadStore,
} from './port.js';
import type { UploadRecord } from './record.js';
import { TableStore, TablestoreError, tablestoreClients, type Row, type TablestoreClient, type TablestoreClients } from './tablestore-client.js';
import {
  LIST_INDEX,
  LIST_INDEX_FIELDS,
  LISTED_COLUMNS,
  bindingColumns,
  bindingRowId,
  boundValue,
  fieldsNotInIndex,
  isBindingRowId,
  listingFilters,
  recordFromColumns,
  uploadColumns,
  uploadFromColumns,
} from './tablestore-layout.js';


/**
 * `tablestore:<instance>/<table>` — Alibaba Cloud Tablestore through the official SDK. The table's
 * rows are described in `tablestore-layout.ts`. Every write is one conditional PutRow; a refused
 * one is followed by one GetRow that returns what is there. Listing uses the search index
 * `LIST_INDEX` (schema in `LIST_INDEX_FIELDS`); a search index is eventually consistent, so a record
 * shows in listings shortly after it is written, not at once.
 */

const { RowExistenceExpectation, ComparatorType, SortOrder } = TableStore;

/**
 * A callback's record goes in unless a callback's is there. Under IGNORE an absent row is checked
 * too, with every column missing: passIfMissing lets it through, as it does a row without `source`;
 * a listing's or an event's row passes `!=` and PutRow replaces it whole.
 */
const UNLESS_A_CALLBACK_IS_THERE = new TableStore.Condition(
  RowExistenceExpectation.IGNORE,
  new TableStore.SingleColumnCondition('source', 'callback', ComparatorType.NOT_EQUAL, true, true),
);
/** Any other record, and a binding, goes in only where there is nothing. */
const UNLESS_ANYTHING_IS_THERE = new TableStore.Condition(RowExistenceExpectation.EXPECT_NOT_EXIST, null);

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

  async create(upload: StoredUpload, options?: StoreCallOptions): Promise<CreateOutcome> {
    const { id, source } = upload.record;
    if (isBindingRowId(id)) throw new Error(`"${id}" is not an upload id: it names a ticket binding's row`);
    const condition = source === 'callback' ? UNLESS_A_CALLBACK_IS_THERE : UNLESS_ANYTHING_IS_THERE;
    const existing = await this.#putUnless(id, uploadColumns(upload), condition, options);
    return existing ? { created: false, existing: uploadFromColumns(id, existing) } : { created: true };
  }

  async get(id: string, options?: StoreCallOptions): Promise<StoredUpload | undefined> {
    if (isBindingRowId(id)) return undefined;
    const row = await this.#run((client) => client.getRow({ tableName: this.#table, primaryKey: { id } }, options));
    return row && uploadFromColumns(id, row.columns);
  }

  async bind(binding: Binding, options?: StoreCallOptions): Promise<string> {
    const id = bindingRowId(binding.key);
    const existing = await this.#putUnless(id, bindingColumns(binding), UNLESS_ANYTHING_IS_THERE, options);
    return existing ? boundValue(id, existing) : binding.value;
  }

  async list(query: ListQuery, options?: StoreCallOptions): Promise<UploadRecord[]> {
    checkListQuery(query);
    const filters = listingFilters(query);
    const wanted = query.limit ?? Number.POSITIVE_INFINITY;
    const records: UploadRecord[] = [];
    let token: Buffer | undefined;
    do {
      const searchQuery = {
        limit: Math.min(PAGE_SIZE, wanted - records.length),
        query: { queryType: TableStore.QueryType.BOOL_QUERY, query: { filterQueries: filters } },
        getTotalCount: false,
        // The token carries the sort of the first page; Tablestore takes one or the other.
        ...(token ? { token } : { sort: { sorters: NEWEST_FIRST } }),
      };
      const columnToGet = { returnType: TableStore.ColumnReturnType.RETURN_SPECIFIED, returnNames: LISTED_COLUMNS };
      const page = await this.#run((client) => client.search({ tableName: this.#table, indexName: LIST_INDEX, searchQuery, columnToGet }, options));
      for (const row of page.rows) records.push(recordFromColumns(String(row.primaryKey.id), row.columns));
      token = page.nextToken;
    } while (token && records.length < wanted);
    return records;
  }

  /** One search-index aggregation a period (tablestore-stats.ts, loaded only here). */
  async count(query: CountQuery, options?: StoreCallOptions): Promise<SourceCounts[]> {
    const { countByPeriod } = await import('./tablestore-stats.js');
    return this.#run((client) => countByPeriod(client, this.#table, query, options));
  }

  /**
   * Create the table, then its search index, when missing, and check that an existing index has
   * every field listing needs. A new table takes a few seconds to load, so transient refusals
   * (OTSTableNotReady, throttling) are retried for a while: this runs from the CLI or a deploy step,
   * never within a callback's deadline.
   */
  async init(options: InitOptions = {}): Promise<void> {
    const report = options.report ?? (() => {});
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#run(async (client) => {
          await this.#createTableIfMissing(client, report);
          await this.#createIndexIfMissing(client, report);
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

  async #createTableIfMissing(client: TablestoreClient, report: (line: string) => void): Promise<void> {
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
      report(`created table ${this.#table}`);
    }
  }

  /**
   * Create the listing index, or check the one there: an index made by an earlier version lacks
   * fields, and adding a field to a search index means building it again, which `init` leaves to
   * the user rather than dropping an index on its own.
   */
  async #createIndexIfMissing(client: TablestoreClient, report: (line: string) => void): Promise<void> {
    if (!(await client.listSearchIndexes(this.#table)).includes(LIST_INDEX)) {
      await ignoring('OTSObjectAlreadyExist', client.createSearchIndex({ tableName: this.#table, indexName: LIST_INDEX, schema: { fieldSchemas: LIST_INDEX_FIELDS } }));
      report(`created search index ${LIST_INDEX} on ${this.#table}`);
      return;
    }
    const missing = fieldsNotInIndex(await client.describeSearchIndex(this.#table, LIST_INDEX));
    if (missing.length > 0) {
      throw new Error(
        `the search index ${LIST_INDEX} on ${this.#table} lacks the field(s) ${missing.join(', ')} as listing needs them: it was made by an earlier version. ` +
          'Delete that index (console or DeleteSearchIndex) and run store init again; Tablestore builds the new one from the rows in the table',
      );
    }
    report(`table ${this.#table} exists with its search index ${LIST_INDEX}`);
  }

  /**
   * One conditional PutRow of `columns` under `id`. Undefined when written; when refused, the row that
   * is there, read with one GetRow. A row that vanished in between is a transient failure: the retry
   * writes again.
   */
  async #putUnless(id: string, columns: Row, condition: TableStore.Condition, options?: StoreCallOptions): Promise<Row | undefined> {
    return this.#run(async (client) => {
      try {
        await client.putRow({ tableName: this.#table, primaryKey: { id }, columns, condition }, options);
        return undefined;
      } catch (error) {
        if (!(error instanceof TablestoreError && error.code === 'OTSConditionCheckFail')) throw error;
      }
      const row = await client.getRow({ tableName: this.#table, primaryKey: { id } }, options);
      if (!row) throw new TransientStoreError(`the Tablestore row ${id} refused a write and was gone when read back`);
      return row.columns;
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

async function ignoring(code: string, call: Promise<void>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof TablestoreError && error.code === code)) throw error;
  }
}
