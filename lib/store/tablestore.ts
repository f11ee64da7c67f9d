import { aliyunCredentialsFromEnv, type AliyunCredentials } from '../credentials.js';
import { withPeers } from '../peer-package.js';
import { TransientStoreError, checkCheckpoint, checkGetMany, replaces, type Binding, type CountQuery, type CreateOutcome, type InitOptions, type ListQuery, type SourceCounts, type StoreCallOptions, type StoredUpload, type UploadStore } from './port.js';
import type { UploadRecord } from './record.js';
import { Comparator, RowExistence, TablestoreClient, TablestoreError, mayHaveBeenApplied, retryable, type Cells, type Condition } from './tablestore-client.js';
import { bindingColumns, bindingRowId, boundValue, isBindingRowId, uploadColumns, uploadFromColumns } from './tablestore-layout.js';
import type { TablestoreSdkClients } from './tablestore-sdk-client.js';

/**
 * `tablestore:<instance>/<table>`: Alibaba Cloud Tablestore. The table's rows are described in
 * `tablestore-layout.ts`. Records and bindings are written and read by our own client
 * (`tablestore-client.ts`: PutRow, GetRow, BatchGetRow); creating the table and listing through its
 * search index go through the official SDK (`tablestore-admin.ts`), loaded only when `init` or `list`
 * is called, which only the CLI and the local server do.
 *
 * Every write relies on documented conditions only. A new record or binding is one PutRow that
 * expects no row; a refused one is followed by one GetRow that returns what is there. Only a
 * callback finding a listing's or an event's record writes again: a PutRow that expects the row and
 * its `source` not to be `callback`, a column condition over a row that exists.
 */

/** Any record, and a binding, goes in only where there is nothing. */
const WHERE_NOTHING_IS: Condition = { rowExistence: RowExistence.EXPECT_NOT_EXIST };
/** A callback's record replaces the row there as long as that row is not a callback's. */
const OVER_ANOTHER_SOURCE: Condition = {
  rowExistence: RowExistence.EXPECT_EXIST,
  column: { column: 'source', comparator: Comparator.NOT_EQUAL, value: 'callback', passIfMissing: false, latestVersionOnly: true },
};

/**
 * Writes one call makes, each read back when refused: a callback replacing a listing's record needs
 * two; more only while the row changes under it (deleted between a refused write and the read back).
 */
const WRITE_ROUNDS = 4;
/** What `#write`'s `found` answers to write over the row there. */
const OVERWRITE = Symbol('overwrite');

/** `init` waits at most 1 + 2 + … + 9 = 45 × INIT_RETRY_MS for a new table to load. */
const INIT_ATTEMPTS = 10;
const INIT_RETRY_MS = 300;
/**
 * What `init` retries beyond what our client retries for any call: each call it makes reads, or
 * creates what a repeat then finds there, so also what the SDK retries for its repeatable calls (a
 * lost connection, the SDK's or `send`'s time limit, Tablestore's timeout), and any 5xx.
 */
const INIT_TRANSIENT = new Set(['NetworkingError', 'TimeoutError', 'TotalTimeout', 'OTSTimeout', 'OTSInternalServerError', 'OTSServerUnavailable']);

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
  return new TablestoreStore(endpoint, instance, table, () => provided?.() ?? aliyunCredentialsFromEnv());
}

/** The SDK side, loaded on first use by `init` and `list`. */
const loadAdmin = () => withPeers(['tablestore'], 'creating or listing a tablestore: table', () => import('./tablestore-admin.js'));

class TablestoreStore implements UploadStore {
  readonly description: string;
  readonly #endpoint: string;
  readonly #instance: string;
  readonly #table: string;
  readonly #credentials: () => AliyunCredentials | undefined;
  readonly #client: TablestoreClient;
  #sdk: TablestoreSdkClients | undefined;

  constructor(endpoint: string, instance: string, table: string, credentials: () => AliyunCredentials | undefined) {
    this.description = `tablestore:${instance}/${table}`;
    this.#endpoint = endpoint;
    this.#instance = instance;
    this.#table = table;
    this.#credentials = credentials;
    this.#client = new TablestoreClient({ endpoint, instance, credentials: () => this.#signingCredentials() });
  }

  async create(upload: StoredUpload, options?: StoreCallOptions): Promise<CreateOutcome> {
    const { id, source } = upload.record;
    if (isBindingRowId(id)) throw new Error(`"${id}" is not an upload id: it names a ticket binding's row`);
    const existing = await this.#write(id, uploadColumns(upload), options, (row) => {
      const stored = uploadFromColumns(id, row);
      return replaces(source, stored.record.source) ? OVERWRITE : stored;
    });
    return existing === undefined ? { created: true } : { created: false, existing };
  }

  async get(id: string, options?: StoreCallOptions): Promise<StoredUpload | undefined> {
    if (isBindingRowId(id)) return undefined;
    const row = await this.#client.getRow({ tableName: this.#table, primaryKey: { id } }, options);
    return row && uploadFromColumns(id, row.columns);
  }

  /** One BatchGetRow for every id asked for (bindings aside), each once, as Tablestore requires. */
  async getMany(ids: readonly string[], options?: StoreCallOptions): Promise<Map<string, StoredUpload>> {
    checkGetMany(ids);
    const wanted = [...new Set(ids)].filter((id) => !isBindingRowId(id));
    const found = new Map<string, StoredUpload>();
    if (wanted.length === 0) return found;
    const rows = await this.#client.batchGetRow({ tableName: this.#table, primaryKeys: wanted.map((id) => ({ id })) }, options);
    rows.forEach((row, index) => {
      const id = wanted[index]!;
      if (row) found.set(id, uploadFromColumns(id, row.columns));
    });
    return found;
  }

  async bind(binding: Binding, options?: StoreCallOptions): Promise<string> {
    const id = bindingRowId(binding.key);
    return (await this.#write(id, bindingColumns(binding), options, (row) => boundValue(id, row))) ?? binding.value;
  }

  async getCheckpoint(name: string, options?: StoreCallOptions): Promise<string | undefined> {
    checkCheckpoint(name);
    const row = await this.#client.getRow({ tableName: this.#table, primaryKey: { id: checkpointRowId(name) } }, options);
    const value = row?.columns.checkpoint;
    return typeof value === 'string' ? value : undefined;
  }

  /** One PutRow whatever is there: the last checkpoint put wins. */
  async putCheckpoint(name: string, value: string, options?: StoreCallOptions): Promise<void> {
    checkCheckpoint(name, value);
    await this.#client.putRow({ tableName: this.#table, primaryKey: { id: checkpointRowId(name) }, columns: { checkpoint: value }, condition: { rowExistence: RowExistence.IGNORE } }, options);
  }

  async list(query: ListQuery, options?: StoreCallOptions): Promise<UploadRecord[]> {
    const { admin, client } = await this.#admin();
    return admin.listRecords(client, this.#table, query, options);
  }

  /** One search-index aggregation a period, through the SDK (`tablestore-admin.ts`). */
  async count(query: CountQuery, options?: StoreCallOptions): Promise<SourceCounts[]> {
    const { admin, client } = await this.#admin();
    return admin.countByPeriod(client, this.#table, query, options);
  }

  /**
   * Create the table, then its search index, when missing. A new table takes a few seconds to load,
   * so refusals a retry can fix (OTSTableNotReady, throttling, a lost connection, a 5xx) are retried
   * for a while: this runs from the CLI or a deploy step, never within a callback's deadline.
   */
  async init(options: InitOptions = {}): Promise<void> {
    const report = options.report ?? (() => {});
    const { admin, client } = await this.#admin();
    for (let attempt = 1; ; attempt++) {
      try {
        return await admin.createTableAndIndex(client, this.#table, report);
      } catch (error) {
        if (!initMayRetry(error) || attempt >= INIT_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, INIT_RETRY_MS * attempt));
      }
    }
  }

  async close(): Promise<void> {
    this.#client.close();
    this.#sdk?.close();
  }

  /**
   * Write `columns` under `id` where there is no row: undefined when written. Where a row is, `found`
   * gives what the caller answers with, or OVERWRITE to write over that row while it is not a
   * callback's. A row gone between a refused write and its read back is written again where nothing
   * is; WRITE_ROUNDS writes in all.
   */
  async #write<T>(id: string, columns: Cells, options: StoreCallOptions | undefined, found: (existing: Cells) => T | typeof OVERWRITE): Promise<T | undefined> {
    let condition = WHERE_NOTHING_IS;
    for (let round = 0; round < WRITE_ROUNDS; round++) {
      const existing = await this.#putOrRead(id, columns, condition, options);
      if (existing === undefined) return undefined;
      if (existing === 'gone') {
        condition = WHERE_NOTHING_IS;
        continue;
      }
      const outcome = found(existing);
      if (outcome !== OVERWRITE) return outcome;
      condition = OVER_ANOTHER_SOURCE;
    }
    throw new TransientStoreError(`the Tablestore row ${id} changed under every write for ${WRITE_ROUNDS} rounds`);
  }

  /**
   * One conditional PutRow of `columns` under `id`: undefined when written. When refused, or when it
   * failed in a way that may have written it, the columns of the row that is there, read with one
   * GetRow ('gone' when there is none, and the caller writes again).
   */
  async #putOrRead(id: string, columns: Cells, condition: Condition, options?: StoreCallOptions): Promise<Cells | 'gone' | undefined> {
    try {
      await this.#client.putRow({ tableName: this.#table, primaryKey: { id }, columns, condition }, options);
      return undefined;
    } catch (error) {
      if (!(error instanceof TablestoreError && (error.code === 'OTSConditionCheckFail' || mayHaveBeenApplied(error)))) throw error;
    }
    const row = await this.#client.getRow({ tableName: this.#table, primaryKey: { id } }, options);
    return row?.columns ?? 'gone';
  }

  #signingCredentials(): AliyunCredentials {
    const credentials = this.#credentials();
    if (!credentials) {
      throw new Error('no Alibaba Cloud credentials: run on Function Compute with a role, or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET');
    }
    return credentials;
  }

  /** The SDK side, loaded on first use, and its client for the current credentials. */
  async #admin() {
    const admin = await loadAdmin();
    this.#sdk ??= admin.tablestoreSdkClients(this.#endpoint, this.#instance);
    return { admin, client: this.#sdk.clientFor(this.#signingCredentials()) };
  }
}

/** Whether `init` may try again after `error`: our client's `retryable`, or INIT_TRANSIENT, or a 5xx. */
function initMayRetry(error: unknown): boolean {
  if (retryable(error) !== undefined) return true;
  return error instanceof TablestoreError && (INIT_TRANSIENT.has(error.code) || (error.status ?? 0) >= 500);
}

/**
 * A checkpoint's row: `checkpoint:<name>`, apart from every upload id (bare hex, or `req:`, `sig:` or
 * `facts:` and a value) and binding row, with one column, `checkpoint`, and no `source`, which every
 * listing filters on, so it is never listed.
 */
function checkpointRowId(name: string): string {
  return `checkpoint:${name}`;
}
