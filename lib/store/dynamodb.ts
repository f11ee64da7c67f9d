import { abortableSleep } from '../http/retry.js';
import { DynamoDbClient, DynamoDbError, type DynamoDbClientConfig, type Item } from './dynamodb-client.js';
import { INDEX, TIME_SHARDS, bindingItem, bindingKey, sourceShard, storedUploadOf, text, uploadItems, uploadKey, varKey } from './dynamodb-schema.js';
import { checkListQuery, matchesQuery, newestFirst } from './list-query.js';
import { checkCheckpoint, checkGetMany, type Binding, type CountQuery, type CreateOutcome, type InitOptions, type ListQuery, type SourceCounts, type StoreCallOptions, type StoredUpload, type UploadStore } from './port.js';
import type { RecordSource, UploadRecord } from './record.js';

export interface DynamoDbStoreOptions {
  /** Where and as whom to connect, over the standard AWS environment (tests point it at dynalite). */
  clientConfig?: DynamoDbClientConfig;
}

/** How many times a batch resends what DynamoDB left unprocessed before it gives up. */
const UNPROCESSED_ROUNDS = 3;
/** BatchGetItem takes up to 100 keys, BatchWriteItem up to 25 items. */
const BATCH_GET_KEYS = 100;
const BATCH_WRITE_ITEMS = 25;

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
 * through `DynamoDbClient`. A new upload is one conditional PutItem of the finished record, after one
 * BatchWriteItem of variable index items when it has more than one custom variable. Every data call carries
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

  /**
   * One conditional PutItem when the record has one custom variable or none. With more, the index
   * items of the others first, then the record: a record is only ever stored with its index items
   * already there, so a failure between the two writes leaves no record (and index items that list
   * nothing: listing by variable reads each record they point at and drops the ones that are missing
   * or do not match), never a record that `records` lists and `records --var` misses.
   */
  async create(upload: StoredUpload, options?: StoreCallOptions): Promise<CreateOutcome> {
    const { record } = upload;
    const { recordItem, variableItems } = uploadItems(upload);
    await this.#writeAll(variableItems, options);
    const existing = await this.#putIfAbsent({ Item: recordItem, ...createCondition(record.source) }, uploadKey(record.id), options);
    return existing ? { created: false, existing: storedUploadOf(existing) } : { created: true };
  }

  async get(id: string, options?: StoreCallOptions): Promise<StoredUpload | undefined> {
    const item = await this.#read(uploadKey(id), options);
    return item && storedUploadOf(item);
  }

  /** One consistent BatchGetItem for up to 100 ids. */
  async getMany(ids: readonly string[], options?: StoreCallOptions): Promise<Map<string, StoredUpload>> {
    checkGetMany(ids);
    const found = new Map<string, StoredUpload>();
    for (const upload of await this.#readMany([...new Set(ids)], options)) found.set(upload.record.id, upload);
    return found;
  }

  async bind(binding: Binding, options?: StoreCallOptions): Promise<string> {
    const existing = await this.#putIfAbsent({ Item: bindingItem(binding), ConditionExpression: 'attribute_not_exists(pk)' }, bindingKey(binding.key), options);
    return existing ? text(existing, 'value') : binding.value;
  }

  async getCheckpoint(name: string, options?: StoreCallOptions): Promise<string | undefined> {
    checkCheckpoint(name);
    const item = await this.#read(checkpointKey(name), options);
    return item && text(item, 'checkpoint');
  }

  async putCheckpoint(name: string, value: string, options?: StoreCallOptions): Promise<void> {
    checkCheckpoint(name, value);
    await this.#client.call('PutItem', { TableName: this.#table, Item: { ...checkpointKey(name), checkpoint: { S: value } } }, options);
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

  /** Counted with `Select: COUNT` on the listing indexes (dynamodb-count.ts, loaded here only). */
  async count(query: CountQuery, options?: StoreCallOptions): Promise<SourceCounts[]> {
    const { countByPeriod } = await import('./dynamodb-count.js');
    return countByPeriod((operation, input) => this.#client.call(operation, input, options), this.#table, query);
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
    for (let tries = 1; ; tries++) {
      try {
        await this.#client.call('PutItem', { TableName: this.#table, ...put, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }, options);
        return undefined;
      } catch (error) {
        if (!(error instanceof DynamoDbError) || error.code !== 'ConditionalCheckFailedException') throw error;
        const existing = error.item ?? (await this.#read(key, options));
        if (existing) return existing;
        // Only a deletion (by hand, or TTL on a binding) between the two calls gets here: a new put will
        // do, but not forever.
        if (tries >= 3) throw error;
      }
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
      for (const { record } of await this.#readMany(ids, options)) {
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

  /** Consistent reads of up to 100 records a request. */
  async #readMany(ids: string[], options?: StoreCallOptions): Promise<StoredUpload[]> {
    const uploads: StoredUpload[] = [];
    for (let i = 0; i < ids.length; i += BATCH_GET_KEYS) {
      type Answer = { Responses?: Record<string, Item[]>; UnprocessedKeys?: Record<string, { Keys: Item[] }> };
      await this.#untilProcessed(ids.slice(i, i + BATCH_GET_KEYS).map(uploadKey), 'BatchGetItem', options, async (Keys) => {
        const answer = await this.#client.call<Answer>('BatchGetItem', { RequestItems: { [this.#table]: { Keys, ConsistentRead: true } } }, options);
        for (const item of answer.Responses?.[this.#table] ?? []) uploads.push(storedUploadOf(item));
        return answer.UnprocessedKeys?.[this.#table]?.Keys ?? [];
      });
    }
    return uploads;
  }

  /** Puts of up to 25 items a request. */
  async #writeAll(items: Item[], options?: StoreCallOptions): Promise<void> {
    for (let i = 0; i < items.length; i += BATCH_WRITE_ITEMS) {
      type Put = { PutRequest: { Item: Item } };
      await this.#untilProcessed(items.slice(i, i + BATCH_WRITE_ITEMS).map((Item): Put => ({ PutRequest: { Item } })), 'BatchWriteItem', options, async (batch) => {
        const answer = await this.#client.call<{ UnprocessedItems?: Record<string, Put[]> }>('BatchWriteItem', { RequestItems: { [this.#table]: batch } }, options);
        return answer.UnprocessedItems?.[this.#table] ?? [];
      });
    }
  }

  /**
   * Send a batch, then resend what DynamoDB left unprocessed (throttling, mostly) after the client's
   * throttling backoff, as DynamoDB's docs ask, a bounded number of times and never past the deadline.
   */
  async #untilProcessed<T>(batch: T[], operation: string, options: StoreCallOptions | undefined, send: (batch: T[]) => Promise<T[]>): Promise<void> {
    let left = await send(batch);
    for (let round = 0; left.length; round++) {
      const pause = this.#client.unprocessedPauseMs(round);
      if (round >= UNPROCESSED_ROUNDS || (options?.deadline !== undefined && Date.now() + pause >= options.deadline)) {
        const code = operation === 'BatchGetItem' ? 'UnprocessedKeys' : 'UnprocessedItems';
        throw new DynamoDbError(code, `DynamoDB ${operation}: ${left.length} of ${batch.length} left unprocessed after ${round + 1} requests`, 200);
      }
      await abortableSleep(pause, options?.signal);
      left = await send(left);
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

/** A checkpoint is one item, `pk = c#<name>`, with no listing attribute: no index holds it. */
function checkpointKey(name: string): Item {
  return { pk: { S: `c#${name}` } };
}

function byKey(index: string, attribute: string, value: string): QueryInput {
  return {
    IndexName: index,
    KeyConditionExpression: '#key = :key',
    ExpressionAttributeNames: { '#key': attribute },
    ExpressionAttributeValues: { ':key': { S: value } },
  };
}

export function openDynamoDbStore(table: string, options?: DynamoDbStoreOptions): UploadStore {
  return new DynamoDbStore(table, options);
}
