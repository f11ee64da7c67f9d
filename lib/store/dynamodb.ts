import { DynamoDbClient, DynamoDbError, type DynamoDbClientConfig, type Item } from './dynamodb-client.js';
import { INDEX, TIME_SHARDS, bindingItem, bindingKey, recordItem, sourceShard, storedUploadOf, text, uploadKey, variableItems, varKey } from './dynamodb-schema.js';
import { checkListQuery, matchesQuery, newestFirst } from './list-query.js';
import type { Binding, CreateOutcome, InitOptions, ListQuery, StoreCallOptions, StoredUpload, UploadStore } from './port.js';
import type { RecordSource, UploadRecord } from './record.js';

export interface DynamoDbStoreOptions {
  /** Where and as whom to connect, over the standard AWS environment (tests point it at dynalite). */
  clientConfig?: DynamoDbClientConfig;
}

/** How long a batch waits before resending the items DynamoDB left unprocessed. */
const UNPROCESSED_PAUSE_MS = 20;

interface QueryInput {
  IndexName: string;
  KeyConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, { S: string }>;
}
interface PutInput {
  Item: Item;
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, { S: string }>;
}
interface QueryOutput {
  Items?: Item[];
  LastEvaluatedKey?: Item;
}

/**
 * `dynamodb:<table>`, with the standard AWS environment (region, credentials, AWS_ENDPOINT_URL_DYNAMODB)
 * through `DynamoDbClient`. A new upload is one conditional PutItem of the finished record, plus one
 * BatchWriteItem of its variable index items when it has custom variables. Every data call carries
 * the deadline and its abort signal; retries are the client's (the AWS SDK's standard mode).
 */
export class DynamoDbStore implements UploadStore {
  readonly description: string;
  readonly #table: string;
  readonly #client: DynamoDbClient;

  constructor(table: string, options: DynamoDbStoreOptions = {}) {
    this.#table = table;
    this.description = `dynamodb:${table}`;
    this.#client = new DynamoDbClient(options.clientConfig);
  }

  async create(upload: StoredUpload, options?: StoreCallOptions): Promise<CreateOutcome> {
    const { record } = upload;
    const existing = await this.#putIfAbsent({ Item: recordItem(upload), ...createCondition(record.source) }, uploadKey(record.id), options);
    if (!existing) {
      await this.#writeAll(variableItems(record), options);
      return { created: true };
    }
    const stored = storedUploadOf(existing);
    // Our own write again (a retry, or OSS redelivering after an answer that never reached it, as when
    // the process died between the two writes): its index items may be missing, and are idempotent.
    if (stored.fingerprint === upload.fingerprint) await this.#writeAll(variableItems(stored.record), options);
    return { created: false, existing: stored };
  }

  async get(id: string, options?: StoreCallOptions): Promise<StoredUpload | undefined> {
    const item = await this.#read(uploadKey(id), options);
    return item && storedUploadOf(item);
  }

  async bind(binding: Binding, options?: StoreCallOptions): Promise<string> {
    const existing = await this.#putIfAbsent({ Item: bindingItem(binding), ConditionExpression: 'attribute_not_exists(pk)' }, bindingKey(binding.key), options);
    return existing ? text(existing, 'value') : binding.value;
  }

  /**
   * One index per query, chosen by its most selective filter; the other filters are checked in code.
   * Indexes are eventually consistent: a record appears in listings shortly after it is written.
   */
  async list(query: ListQuery, options?: StoreCallOptions): Promise<UploadRecord[]> {
    checkListQuery(query);
    const limit = query.limit ?? Infinity;
    if (query.variable) return this.#listByVariable(query, limit, options);
    if (query.uploader !== undefined) return this.#newest(byKey(INDEX.uploader, 'uploader', query.uploader), query, limit, options);
    if (query.bucket !== undefined && query.prefix) {
      // Key order, not time order: read every match of the prefix, then sort.
      const params = byKey(INDEX.bucketKey, 'bucket', query.bucket);
      params.KeyConditionExpression += ' AND begins_with(objectKey, :prefix)';
      params.ExpressionAttributeValues[':prefix'] = { S: query.prefix };
      return (await this.#newest(params, query, Infinity, options)).sort(newestFirst).slice(0, query.limit);
    }
    const source = query.source;
    if (source !== undefined && source !== 'callback') {
      return this.#newestOfShards((shard) => byKey(INDEX.nonCallbackSource, 'sourceShard', sourceShard(source, shard)), query, limit, options);
    }
    if (query.bucket !== undefined) return this.#newest(byKey(INDEX.bucketTime, 'bucket', query.bucket), query, limit, options);
    return this.#newestOfShards((shard) => byKey(INDEX.time, 'timeShard', shard), query, limit, options);
  }

  /** Create the table with its indexes when missing, check them when present, and turn on TTL. */
  async init(options: InitOptions = {}): Promise<void> {
    const { initTable } = await import('./dynamodb-init.js');
    await initTable(this.#client, this.#table, options.report ?? (() => {}));
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  /**
   * One conditional PutItem. When the condition fails, the item that is there: DynamoDB returns it
   * (ALL_OLD), emulators may not, and then one consistent read fetches it. Undefined when written.
   */
  async #putIfAbsent(put: PutInput, key: Item, options?: StoreCallOptions): Promise<Item | undefined> {
    try {
      await this.#client.call('PutItem', { TableName: this.#table, ...put, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }, options);
      return undefined;
    } catch (error) {
      if (!(error instanceof DynamoDbError) || error.code !== 'ConditionalCheckFailedException') throw error;
      const existing = error.item ?? (await this.#read(key, options));
      // Only a deletion (by hand, or TTL on a binding) between the two calls gets here: a new put will do.
      if (!existing) return this.#putIfAbsent(put, key, options);
      return existing;
    }
  }

  async #read(key: Item, options?: StoreCallOptions): Promise<Item | undefined> {
    const { Item } = await this.#client.call<{ Item?: Item }>('GetItem', { TableName: this.#table, Key: key, ConsistentRead: true }, options);
    return Item;
  }

  /** Each shard's newest `limit` hold the newest `limit` overall. */
  async #newestOfShards(shardQuery: (shard: string) => QueryInput, query: ListQuery, limit: number, options?: StoreCallOptions): Promise<UploadRecord[]> {
    const shards = await Promise.all(Array.from({ length: TIME_SHARDS }, (_, shard) => this.#newest(shardQuery(String(shard)), query, limit, options)));
    return shards.flat().sort(newestFirst).slice(0, query.limit);
  }

  /** Page through an index newest first, keeping records that match the whole query, up to `limit`. */
  async #newest(params: QueryInput, query: ListQuery, limit: number, options?: StoreCallOptions): Promise<UploadRecord[]> {
    const records: UploadRecord[] = [];
    for await (const items of this.#pages(params, options)) {
      for (const item of items) {
        const record = JSON.parse(text(item, 'record')) as UploadRecord;
        if (matchesQuery(record, query)) records.push(record);
        if (records.length >= limit) return records;
      }
    }
    return records;
  }

  /** Index items point at record ids; each record is read and checked, so a stale item lists nothing. */
  async #listByVariable(query: ListQuery, limit: number, options?: StoreCallOptions): Promise<UploadRecord[]> {
    const { name, value } = query.variable as { name: string; value: string };
    const records = new Map<string, UploadRecord>();
    for await (const items of this.#pages(byKey(INDEX.variable, 'varKey', varKey(name, value)), options)) {
      const ids = [...new Set(items.map((item) => text(item, 'recordId')))].filter((id) => !records.has(id));
      for (const { record } of await this.#getMany(ids, options)) {
        if (matchesQuery(record, query)) records.set(record.id, record);
      }
      if (records.size >= limit) break;
    }
    return [...records.values()].sort(newestFirst).slice(0, query.limit);
  }

  async *#pages(params: QueryInput, options?: StoreCallOptions): AsyncGenerator<Item[]> {
    let start: Item | undefined;
    do {
      const input = { TableName: this.#table, ScanIndexForward: false, ...params, ...(start && { ExclusiveStartKey: start }) };
      const page = await this.#client.call<QueryOutput>('Query', input, options);
      yield page.Items ?? [];
      start = page.LastEvaluatedKey;
    } while (start);
  }

  /** Consistent reads of up to 100 records a request, resending what DynamoDB left unprocessed. */
  async #getMany(ids: string[], options?: StoreCallOptions): Promise<StoredUpload[]> {
    const uploads: StoredUpload[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      let keys = ids.slice(i, i + 100).map(uploadKey);
      while (keys.length) {
        const RequestItems = { [this.#table]: { Keys: keys, ConsistentRead: true } };
        const answer = await this.#client.call<{ Responses?: Record<string, Item[]>; UnprocessedKeys?: Record<string, { Keys: Item[] }> }>('BatchGetItem', { RequestItems }, options);
        for (const item of answer.Responses?.[this.#table] ?? []) uploads.push(storedUploadOf(item));
        keys = answer.UnprocessedKeys?.[this.#table]?.Keys ?? [];
        if (keys.length) await pause(options);
      }
    }
    return uploads;
  }

  /** Puts of up to 25 items a request, resending what DynamoDB left unprocessed. */
  async #writeAll(items: Item[], options?: StoreCallOptions): Promise<void> {
    for (let i = 0; i < items.length; i += 25) {
      let batch = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      while (batch.length) {
        const RequestItems = { [this.#table]: batch };
        const answer = await this.#client.call<{ UnprocessedItems?: Record<string, typeof batch> }>('BatchWriteItem', { RequestItems }, options);
        batch = answer.UnprocessedItems?.[this.#table] ?? [];
        if (batch.length) await pause(options);
      }
    }
  }
}

/** A callback's record replaces one made from a listing or an event; nothing replaces a callback's. */
function createCondition(source: RecordSource): Pick<PutInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  if (source !== 'callback') return { ConditionExpression: 'attribute_not_exists(pk)' };
  return {
    ConditionExpression: 'attribute_not_exists(pk) OR #source <> :callback',
    ExpressionAttributeNames: { '#source': 'source' },
    ExpressionAttributeValues: { ':callback': { S: 'callback' } },
  };
}

function byKey(index: string, attribute: string, value: string): QueryInput {
  return {
    IndexName: index,
    KeyConditionExpression: '#key = :key',
    ExpressionAttributeNames: { '#key': attribute },
    ExpressionAttributeValues: { ':key': { S: value } },
  };
}

function pause(options?: StoreCallOptions): Promise<void> {
  options?.signal?.throwIfAborted();
  return new Promise((resolve) => setTimeout(resolve, UNPROCESSED_PAUSE_MS));
}

export function openDynamoDbStore(table: string, options?: DynamoDbStoreOptions): UploadStore {
  return new DynamoDbStore(table, options);
}
