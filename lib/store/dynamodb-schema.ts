import { createHash } from 'node:crypto';
import type { Item } from './dynamodb-client.js';
import { sortKey } from './list-query.js';
import type { Binding, StoredUpload } from './port.js';
import type { RecordSource, UploadRecord } from './record.js';
import table from './dynamodb-table.json' with { type: 'json' };

/**
 * The DynamoDB table, kept once in `dynamodb-table.json` in CloudFormation's shape, so `store init`
 * and `serverless.yml` (through `${file(./lib/store/dynamodb-table.json):…}`) declare the same.
 *
 * Records: one item per upload, key `pk = u#<id>`, written whole by one conditional put: fingerprint,
 * source, the record as JSON, and the listing attributes bucket, objectKey, sortKey, timeShard,
 * uploader (when there is one), sourceShard (only when the source is not a callback), and, for a
 * record with custom variables, varKey and recordId of its first variable (by name), so the record
 * item itself is in the `byVar` index.
 *
 * Custom variables beyond the first: one small item each, key `pk = v#<name>=<value>#<id>`, with
 * varKey and sortKey for the `byVar` index and recordId pointing at the upload. They are written just
 * before the record, so a create that fails between the two leaves no record rather than one that
 * listing by variable misses; listing by variable reads the records the index points at and checks
 * each, so an index item whose record changed, never came or belongs to another upload lists nothing.
 * This indexes every variable without configuration, and a record with one variable or none (the
 * common case) is still one conditional put.
 *
 * Ticket bindings: key `pk = t#<key>`, the bound value, and expiresAt for TTL clean-up. They carry no
 * listing attribute, so no index holds them and they are never listed.
 *
 * Indexes (all sparse: only records have their keys): byTime (timeShard, sortKey) for the unfiltered
 * listing, spread over TIME_SHARDS partitions so no single partition takes every write; byBucketTime
 * (bucket, sortKey) for a bucket, newest first; byBucketKey (bucket, objectKey) for a key prefix
 * (begins_with; the matches are sorted in code); byUploader (uploader, sortKey); byNonCallbackSource
 * (sourceShard = `<source>#<timeShard>`, sortKey) for records made from a listing or an event, the
 * few among many callbacks (listing callbacks reads byTime and skips the others in code, so a
 * callback's write pays for no extra index); byVar (varKey, sortKey). sortKey = `<receivedAt>#<id>`.
 */
export const TABLE = table as TableDefinition;

export interface TableDefinition {
  BillingMode: string;
  AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
  KeySchema: KeySchemaElement[];
  GlobalSecondaryIndexes: { IndexName: string; KeySchema: KeySchemaElement[]; Projection: { ProjectionType: string; NonKeyAttributes?: string[] } }[];
  TimeToLiveSpecification: { AttributeName: string; Enabled: boolean };
}

interface KeySchemaElement {
  AttributeName: string;
  KeyType: string;
}

export const INDEX = {
  time: 'byTime',
  bucketTime: 'byBucketTime',
  bucketKey: 'byBucketKey',
  uploader: 'byUploader',
  nonCallbackSource: 'byNonCallbackSource',
  variable: 'byVar',
} as const;

export const TTL_ATTRIBUTE = TABLE.TimeToLiveSpecification.AttributeName;

export const TIME_SHARDS = 4;

/** Partition keys are capped at 2048 bytes; longer parts are replaced by their SHA-256. */
const MAX_KEY_PART_BYTES = 512;

function keyPart(text: string): string {
  return Buffer.byteLength(text) <= MAX_KEY_PART_BYTES ? text : `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

export function uploadKey(id: string): Item {
  return { pk: { S: `u#${keyPart(id)}` } };
}

export function bindingKey(key: string): Item {
  return { pk: { S: `t#${keyPart(key)}` } };
}

export function varKey(name: string, value: string): string {
  return keyPart(`${name}=${value}`);
}

export function timeShard(id: string): string {
  return String((createHash('sha256').update(id).digest()[0] as number) % TIME_SHARDS);
}

export function sourceShard(source: Exclude<RecordSource, 'callback'>, shard: string): string {
  return `${source}#${shard}`;
}

/**
 * What `create` writes: the one item a record is, and one `byVar` index item per custom variable of
 * the record but the first (by name), which the record item carries. Built together so the variables
 * are sorted, and the sort key made, once.
 */
export function uploadItems({ record, fingerprint }: StoredUpload): { recordItem: Item; variableItems: Item[] } {
  const shard = timeShard(record.id);
  const key = sortKey(record);
  const [first, ...others] = Object.entries(record.vars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const recordItem: Item = {
    ...uploadKey(record.id),
    fingerprint: { S: fingerprint },
    source: { S: record.source },
    record: { S: JSON.stringify(record) },
    bucket: { S: record.bucket },
    objectKey: { S: record.object },
    sortKey: { S: key },
    timeShard: { S: shard },
  };
  // An index key attribute must be a string when present: no uploader, no attribute, not in byUploader.
  if (record.uploader !== null) recordItem.uploader = { S: record.uploader };
  if (record.source !== 'callback') recordItem.sourceShard = { S: sourceShard(record.source, shard) };
  if (first) Object.assign(recordItem, { varKey: { S: varKey(...first) }, recordId: { S: record.id } });
  const variableItems = others.map(([name, value]): Item => ({
    pk: { S: `v#${varKey(name, value)}#${keyPart(record.id)}` },
    varKey: { S: varKey(name, value) },
    sortKey: { S: key },
    recordId: { S: record.id },
  }));
  return { recordItem, variableItems };
}

export function storedUploadOf(item: Item): StoredUpload {
  return { record: JSON.parse(text(item, 'record')) as UploadRecord, fingerprint: text(item, 'fingerprint') };
}

export function bindingItem(binding: Binding): Item {
  return {
    ...bindingKey(binding.key),
    value: { S: binding.value },
    // TTL deletes the binding some time after it expired; until then it answers as bound.
    [TTL_ATTRIBUTE]: { N: String(Math.ceil(binding.expiresAt / 1000)) },
  };
}

export function text(item: Item, name: string): string {
  return (item[name] as { S: string }).S;
}
