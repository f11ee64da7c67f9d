import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeValue,
  type DynamoDBClientConfig,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { EntryStatus, TransientStoreError, type ClaimEntry, type ClaimOutcome, type CompleteEntry, type InitOptions, type ListQuery, type StoreCallOptions, type StoredEntry, type UploadStore } from './port.js';
import type { UploadRecord } from './record.js';
import { INDEX, TABLE, TIME_SHARDS, TTL_ATTRIBUTE, timeShard, uploadKey, varItemKey, varKey } from './dynamodb-schema.js';
import { checkListQuery, matchesQuery, newestFirst, sortKey } from './list-query.js';

/** Either a client the caller built (tests add faults to it) or the config for ours, never both. */
export type DynamoDbStoreOptions = { client: DynamoDBClient; clientConfig?: never } | { client?: never; clientConfig?: DynamoDBClientConfig };

/** Throttling and server-side failures worth a retry, by the error names DynamoDB answers with. */
const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TimeoutError',
]);
const RETRYABLE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** How long a batch waits before resending the items DynamoDB left unprocessed. */
const UNPROCESSED_PAUSE_MS = 20;

/**
 * `dynamodb:<table>` through the AWS SDK v3, with the standard AWS environment (region, credentials,
 * AWS_ENDPOINT_URL_DYNAMODB). The SDK's own retries are off: `recordOnce` retries within the
 * receiver's deadline instead, and every call carries the deadline's abort signal.
 */
export class DynamoDbStore implements UploadStore {
  readonly description: string;
  readonly #table: string;
  readonly #client: DynamoDBClient;

  constructor(table: string, options: DynamoDbStoreOptions = {}) {
    this.#table = table;
    this.description = `dynamodb:${table}`;
    this.#client = options.client ?? new DynamoDBClient({ maxAttempts: 1, requestHandler: { connectionTimeout: 1_000 }, ...options.clientConfig });
  }

  async claim(claim: ClaimEntry, now: number, options?: StoreCallOptions): Promise<ClaimOutcome> {
    const item = {
      pk: uploadKey(claim.id),
      id: claim.id,
      status: claim.status,
      fingerprint: claim.fingerprint,
      claimToken: claim.claimToken,
      claimExpiresAt: claim.claimExpiresAt,
      // TTL only cleans up abandoned claims, an hour after they expired; expiry is decided in code.
      [TTL_ATTRIBUTE]: Math.ceil(claim.claimExpiresAt / 1000) + 3600,
    };
    const put = new PutItemCommand({
      TableName: this.#table,
      Item: marshall(item),
      ConditionExpression: 'attribute_not_exists(pk) OR (#status = :inprogress AND claimExpiresAt < :now)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: marshall({ ':inprogress': EntryStatus.INPROGRESS, ':now': now }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    try {
      await this.#send(options, (client, http) => client.send(put, http));
      return { claimed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // DynamoDB returns the item that won; emulators may not, so read it then (as Powertools does).
      const existing = error.Item ? toEntry(error.Item) : await this.get(claim.id, options);
      if (!existing) throw new TransientStoreError('the entry changed while claiming; claim again');
      return { claimed: false, existing };
    }
  }

  async complete(entry: CompleteEntry, claimToken: string, options?: StoreCallOptions): Promise<boolean> {
    const { record } = entry;
    const key = sortKey(record);
    // Index items first: once the record is complete, listing by any of its variables must find it.
    const varItems = Object.entries(record.vars).map(([name, value]) => ({
      PutRequest: { Item: marshall({ pk: varItemKey(name, value, entry.id), varKey: varKey(name, value), sortKey: key, recordId: entry.id }) },
    }));
    await this.#writeAll(varItems, options);
    const attributes: Record<string, string> = {
      status: EntryStatus.COMPLETE,
      fingerprint: entry.fingerprint,
      record: JSON.stringify(record),
      bucket: record.bucket,
      objectKey: record.object,
      sortKey: key,
      timeShard: timeShard(entry.id),
    };
    // An index key attribute must be a string when present: no uploader, no attribute, not in byUploader.
    if (record.uploader !== null) attributes.uploader = record.uploader;
    const names = Object.keys(attributes);
    const update = new UpdateItemCommand({
      TableName: this.#table,
      Key: marshall({ pk: uploadKey(entry.id) }),
      ConditionExpression: '#status = :inprogress AND claimToken = :token',
      UpdateExpression: `SET ${names.map((name) => `#${name} = :${name}`).join(', ')} REMOVE claimToken, claimExpiresAt, #ttl`,
      ExpressionAttributeNames: { ...Object.fromEntries(names.map((name) => [`#${name}`, name])), '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: marshall({
        ...Object.fromEntries(names.map((name) => [`:${name}`, attributes[name]])),
        ':inprogress': EntryStatus.INPROGRESS,
        ':token': claimToken,
      }),
    });
    try {
      await this.#send(options, (client, http) => client.send(update, http));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(id: string, claimToken: string, options?: StoreCallOptions): Promise<void> {
    const remove = new DeleteItemCommand({
      TableName: this.#table,
      Key: marshall({ pk: uploadKey(id) }),
      ConditionExpression: '#status = :inprogress AND claimToken = :token',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: marshall({ ':inprogress': EntryStatus.INPROGRESS, ':token': claimToken }),
    });
    try {
      await this.#send(options, (client, http) => client.send(remove, http));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async get(id: string, options?: StoreCallOptions): Promise<StoredEntry | undefined> {
    const read = new GetItemCommand({ TableName: this.#table, Key: marshall({ pk: uploadKey(id) }), ConsistentRead: true });
    const { Item } = await this.#send(options, (client, http) => client.send(read, http));
    return Item && toEntry(Item);
  }

  /**
   * One index per query, chosen by its most selective filter; the other filters are checked in code.
   * Indexes are eventually consistent: a record appears in listings shortly after it is written.
   */
  async list(query: ListQuery, options?: StoreCallOptions): Promise<UploadRecord[]> {
    checkListQuery(query);
    const limit = query.limit ?? Infinity;
    if (query.variable) return this.#listByVariable(query, limit, options);
    if (query.uploader !== undefined) return this.#newest(this.#byKey(INDEX.uploader, 'uploader', query.uploader), query, limit, options);
    if (query.bucket !== undefined && query.prefix) {
      // Key order, not time order: read every match of the prefix, then sort.
      const params = this.#byKey(INDEX.bucketKey, 'bucket', query.bucket);
      params.KeyConditionExpression += ' AND begins_with(objectKey, :prefix)';
      params.ExpressionAttributeValues = { ...params.ExpressionAttributeValues, ':prefix': { S: query.prefix } };
      return (await this.#newest(params, query, Infinity, options)).sort(newestFirst).slice(0, query.limit);
    }
    if (query.bucket !== undefined) return this.#newest(this.#byKey(INDEX.bucketTime, 'bucket', query.bucket), query, limit, options);
    // Each shard's newest `limit` hold the newest `limit` overall.
    const shards = await Promise.all(
      Array.from({ length: TIME_SHARDS }, (_, shard) => this.#newest(this.#byKey(INDEX.time, 'timeShard', String(shard)), query, limit, options)),
    );
    return shards.flat().sort(newestFirst).slice(0, query.limit);
  }

  /** Create the table with its indexes when missing, check them when present, and turn on TTL. */
  async init(options: InitOptions = {}): Promise<void> {
    const report = options.report ?? (() => {});
    const existing = await this.#describe();
    if (!existing) {
      const { TimeToLiveSpecification: _ttl, ...definition } = TABLE;
      await this.#client.send(new CreateTableCommand({ TableName: this.#table, ...definition }));
      await waitUntilTableExists({ client: this.#client, maxWaitTime: 300, minDelay: 1, maxDelay: 5 }, { TableName: this.#table });
      report(`created table ${this.#table} with indexes ${TABLE.GlobalSecondaryIndexes.map((index) => index.IndexName).join(', ')}`);
    } else {
      const present = new Set(existing.map((index) => index.IndexName));
      const missing = TABLE.GlobalSecondaryIndexes.map((index) => index.IndexName as string).filter((name) => !present.has(name));
      if (missing.length) {
        throw new Error(`table ${this.#table} exists without the index(es) ${missing.join(', ')} that listing needs; add them as lib/store/dynamodb-table.json declares`);
      }
      report(`table ${this.#table} exists with its indexes`);
    }
    report(await this.#enableTtl());
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  async #describe() {
    try {
      const { Table } = await this.#client.send(new DescribeTableCommand({ TableName: this.#table }));
      return Table?.GlobalSecondaryIndexes ?? [];
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  async #enableTtl(): Promise<string> {
    const { TimeToLiveDescription } = await this.#client.send(new DescribeTimeToLiveCommand({ TableName: this.#table }));
    const status = TimeToLiveDescription?.TimeToLiveStatus;
    if (status === 'ENABLED' || status === 'ENABLING') return `TTL clean-up of stale claims on ${TTL_ATTRIBUTE}: ${status.toLowerCase()}`;
    try {
      await this.#client.send(new UpdateTimeToLiveCommand({ TableName: this.#table, TimeToLiveSpecification: TABLE.TimeToLiveSpecification }));
      return `TTL clean-up of stale claims on ${TTL_ATTRIBUTE}: enabled`;
    } catch (error) {
      if ((error as Error).name !== 'UnknownOperationException') throw error;
      return `note: this endpoint does not support TTL (a local emulator?); stale claims stay until deleted, which is harmless: they expire in code`;
    }
  }

  #byKey(index: string, attribute: string, value: string): QueryCommandInput {
    return {
      TableName: this.#table,
      IndexName: index,
      KeyConditionExpression: '#key = :key',
      ExpressionAttributeNames: { '#key': attribute },
      ExpressionAttributeValues: { ':key': { S: value } },
      ScanIndexForward: false,
    };
  }

  /** Page through an index newest first, keeping records that match the whole query, up to `limit`. */
  async #newest(params: QueryCommandInput, query: ListQuery, limit: number, options?: StoreCallOptions): Promise<UploadRecord[]> {
    const records: UploadRecord[] = [];
    for await (const items of this.#pages(params, options)) {
      for (const item of items) {
        const record = JSON.parse(item.record?.S as string) as UploadRecord;
        if (matchesQuery(record, query)) records.push(record);
        if (records.length >= limit) return records;
      }
    }
    return records;
  }

  async #listByVariable(query: ListQuery, limit: number, options?: StoreCallOptions): Promise<UploadRecord[]> {
    const { name, value } = query.variable as { name: string; value: string };
    const records = new Map<string, UploadRecord>();
    for await (const items of this.#pages(this.#byKey(INDEX.variable, 'varKey', varKey(name, value)), options)) {
      const ids = [...new Set(items.map((item) => item.recordId?.S as string))].filter((id) => !records.has(id));
      for (const entry of await this.#getMany(ids, options)) {
        if (entry.status === EntryStatus.COMPLETE && matchesQuery(entry.record, query)) records.set(entry.id, entry.record);
      }
      if (records.size >= limit) break;
    }
    return [...records.values()].sort(newestFirst).slice(0, query.limit);
  }

  async *#pages(params: QueryCommandInput, options?: StoreCallOptions): AsyncGenerator<Record<string, AttributeValue>[]> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const query = new QueryCommand({ ...params, ExclusiveStartKey: start });
      const page = await this.#send(options, (client, http) => client.send(query, http));
      yield page.Items ?? [];
      start = page.LastEvaluatedKey;
    } while (start);
  }

  /** Consistent reads of up to 100 upload items a request, resending what DynamoDB left unprocessed. */
  async #getMany(ids: string[], options?: StoreCallOptions): Promise<StoredEntry[]> {
    const entries: StoredEntry[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      let keys: Record<string, AttributeValue>[] = ids.slice(i, i + 100).map((id) => marshall({ pk: uploadKey(id) }));
      while (keys.length) {
        const RequestItems = { [this.#table]: { Keys: keys, ConsistentRead: true } };
        const answer = await this.#send(options, (client, http) => client.send(new BatchGetItemCommand({ RequestItems }), http));
        for (const item of answer.Responses?.[this.#table] ?? []) entries.push(toEntry(item));
        keys = answer.UnprocessedKeys?.[this.#table]?.Keys ?? [];
        if (keys.length) await pause(options);
      }
    }
    return entries;
  }

  /** Writes of up to 25 items a request, resending what DynamoDB left unprocessed. */
  async #writeAll(requests: WriteRequest[], options?: StoreCallOptions): Promise<void> {
    for (let i = 0; i < requests.length; i += 25) {
      let batch: WriteRequest[] = requests.slice(i, i + 25);
      while (batch.length) {
        const RequestItems = { [this.#table]: batch };
        const answer = await this.#send(options, (client, http) => client.send(new BatchWriteItemCommand({ RequestItems }), http));
        batch = answer.UnprocessedItems?.[this.#table] ?? [];
        if (batch.length) await pause(options);
      }
    }
  }

  /** Every data call: the deadline's signal, and failures a retry may fix marked as such. */
  async #send<Output>(options: StoreCallOptions | undefined, call: (client: DynamoDBClient, http: { abortSignal?: AbortSignal }) => Promise<Output>): Promise<Output> {
    try {
      return await call(this.#client, { abortSignal: options?.signal });
    } catch (error) {
      if (isRetryable(error)) throw new TransientStoreError(`${this.description}: ${(error as Error).name}`, { cause: error });
      throw error;
    }
  }
}

function isRetryable(error: unknown): boolean {
  const { name, code, $retryable, $metadata } = error as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  return (
    RETRYABLE.has(name ?? '') ||
    RETRYABLE_NETWORK.has(code ?? '') ||
    Boolean($retryable) ||
    ($metadata?.httpStatusCode ?? 0) >= 500
  );
}

function pause(options?: StoreCallOptions): Promise<void> {
  options?.signal?.throwIfAborted();
  return new Promise((resolve) => setTimeout(resolve, UNPROCESSED_PAUSE_MS));
}

function toEntry(item: Record<string, AttributeValue>): StoredEntry {
  const value = unmarshall(item);
  if (value.status === EntryStatus.COMPLETE) {
    return { id: value.id, status: EntryStatus.COMPLETE, fingerprint: value.fingerprint, record: JSON.parse(value.record) as UploadRecord };
  }
  return { id: value.id, status: EntryStatus.INPROGRESS, fingerprint: value.fingerprint, claimToken: value.claimToken, claimExpiresAt: Number(value.claimExpiresAt) };
}

export function openDynamoDbStore(table: string, options?: DynamoDbStoreOptions): UploadStore {
  return new DynamoDbStore(table, options);
}
