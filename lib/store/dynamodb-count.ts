import { mapAtMost } from './at-most.js';
import { checkCountQuery, countInPeriod, periodsOf, zeroedPeriods } from './count-query.js';
import type { Item } from './dynamodb-client.js';
import { INDEX, TIME_SHARDS, sourceShard, text } from './dynamodb-schema.js';
import type { CountQuery, SourceCounts } from './port.js';
import type { UploadRecord } from './record.js';

/** One DynamoDB call: `DynamoDbClient.call` bound to the store's signal. */
export type DynamoDbCall = <Output>(operation: string, input: object) => Promise<Output>;

/** Queries in flight at once: a week of hours is a couple of thousand small ones. */
const QUERIES_AT_ONCE = 8;
const SHARDS = Array.from({ length: TIME_SHARDS }, (_, shard) => String(shard));
const NON_CALLBACK = ['event', 'reconcile'] as const;

interface QueryInput {
  TableName: string;
  IndexName: string;
  KeyConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, { S: string }>;
  FilterExpression?: string;
}

interface Page {
  Count?: number;
  Items?: Item[];
  LastEvaluatedKey?: Item;
}

/**
 * Uploads per period by source, from the indexes in `dynamodb-schema.ts`, with `Select: COUNT` so
 * DynamoDB sends numbers, not items:
 * - every bucket: per period and time shard, the records in `byTime` and the event and reconcile
 *   ones in `byNonCallbackSource`; callbacks are the rest. 3 × TIME_SHARDS queries a period.
 * - one bucket: per period, its records in `byBucketTime` (one query); the event and reconcile
 *   records of the whole window, read from `byNonCallbackSource` (the few; no index holds their
 *   bucket) and checked in code.
 * - a key prefix in a bucket: no index holds bucket, key and time together, so `byBucketTime` over
 *   the window with a filter on the stored record's key: DynamoDB reads the bucket's records of the
 *   window and sends only those whose JSON holds the prefix, each checked here.
 * A query that reads more than 1 MB continues on another page, so a busy period costs a request
 * per MB of index read.
 */
export async function countByPeriod(call: DynamoDbCall, table: string, query: CountQuery): Promise<SourceCounts[]> {
  checkCountQuery(query);
  const { bounds } = query;
  const periods = periodsOf(bounds);
  const between = (index: string, attribute: string, value: string, from: string, to: string): QueryInput => ({
    TableName: table,
    IndexName: index,
    KeyConditionExpression: '#key = :key AND #sortKey BETWEEN :from AND :to',
    ExpressionAttributeNames: { '#key': attribute, '#sortKey': 'sortKey' },
    // A sortKey is `<receivedAt>#<id>`: at or after `from`, and before `to` for every receivedAt before it.
    ExpressionAttributeValues: { ':key': { S: value }, ':from': { S: from }, ':to': { S: to } },
  });
  const count = async (input: QueryInput) => {
    let total = 0;
    for await (const page of pages(call, { ...input, Select: 'COUNT' })) total += page.Count ?? 0;
    return total;
  };
  const records = async (input: QueryInput) => {
    const found: UploadRecord[] = [];
    const projected = { ...input, ProjectionExpression: '#record', ExpressionAttributeNames: { ...input.ExpressionAttributeNames, '#record': 'record' } };
    for await (const page of pages(call, projected)) for (const item of page.Items ?? []) found.push(JSON.parse(text(item, 'record')) as UploadRecord);
    return found;
  };
  const window = { from: bounds[0] as string, to: bounds.at(-1) as string };

  if (query.bucket === undefined) {
    const tasks = periods.flatMap((period, p) =>
      SHARDS.flatMap((shard) => [
        { p, source: 'total' as const, input: between(INDEX.time, 'timeShard', shard, period.from, period.to) },
        ...NON_CALLBACK.map((source) => ({ p, source, input: between(INDEX.nonCallbackSource, 'sourceShard', sourceShard(source, shard), period.from, period.to) })),
      ]),
    );
    const totals = periods.map(() => ({ total: 0, event: 0, reconcile: 0 }));
    const answers = await mapAtMost(tasks, QUERIES_AT_ONCE, (task) => count(task.input));
    tasks.forEach((task, i) => {
      (totals[task.p] as Record<typeof task.source, number>)[task.source] += answers[i] as number;
    });
    return totals.map(({ total, event, reconcile }) => ({ callback: total - event - reconcile, event, reconcile }));
  }

  const { bucket, prefix } = query;
  const counts = zeroedPeriods(bounds);
  const tally = (record: UploadRecord) => countInPeriod(counts, record, query);

  if (prefix) {
    const input = between(INDEX.bucketTime, 'bucket', bucket, window.from, window.to);
    // The key as the record's JSON spells it (JSON.stringify escapes it the same way), without its
    // closing quote; a user metadata field named "object" may match too, which tally() drops.
    input.FilterExpression = 'contains(#record, :needle)';
    input.ExpressionAttributeValues[':needle'] = { S: `"object":${JSON.stringify(prefix).slice(0, -1)}` };
    (await records(input)).forEach(tally);
    return counts;
  }

  const recovered = SHARDS.flatMap((shard) => NON_CALLBACK.map((source) => between(INDEX.nonCallbackSource, 'sourceShard', sourceShard(source, shard), window.from, window.to)));
  const [totals, lists] = await Promise.all([
    mapAtMost(periods, QUERIES_AT_ONCE, (period) => count(between(INDEX.bucketTime, 'bucket', bucket, period.from, period.to))),
    mapAtMost(recovered, QUERIES_AT_ONCE, records),
  ]);
  lists.flat().forEach(tally);
  return counts.map(({ event, reconcile }, p) => ({ callback: (totals[p] as number) - event - reconcile, event, reconcile }));
}

/** Every page of a Query, following LastEvaluatedKey to the end. */
async function* pages(call: DynamoDbCall, input: object): AsyncGenerator<Page> {
  let start: Item | undefined;
  do {
    const page = await call<Page>('Query', start ? { ...input, ExclusiveStartKey: start } : input);
    yield page;
    start = page.LastEvaluatedKey;
  } while (start);
}
