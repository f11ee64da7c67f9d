import { createHash } from 'node:crypto';
import type { AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement } from '@aws-sdk/client-dynamodb';
import table from './dynamodb-table.json' with { type: 'json' };

/**
 * The DynamoDB table, kept once in `dynamodb-table.json` in CloudFormation's shape, so `store init`
 * (here) and `serverless.yml` (through `${file(./lib/store/dynamodb-table.json):…}`) declare the same.
 *
 * One item per upload id, key `pk = u#<id>`: a claim (status, fingerprint, claimToken,
 * claimExpiresAt, expiresAt for TTL clean-up) or the complete record (status, fingerprint, record as
 * JSON, and the listing attributes bucket, objectKey, sortKey, timeShard, uploader). Claims carry no
 * listing attribute, so every index is sparse and holds complete records only.
 *
 * Custom variables: one small item per variable of a record, key `pk = v#<name>=<value>#<id>`, with
 * varKey and sortKey for the `byVar` index and recordId pointing at the upload. They are written just
 * before the record completes; listing by variable reads the upload items they point at and keeps the
 * complete ones, so an index item left by a failed delivery never shows. This indexes every variable
 * without configuration, at one extra write per variable.
 *
 * Indexes: byTime (timeShard, sortKey) for the unfiltered listing, spread over TIME_SHARDS partitions
 * so no single partition takes every write; byBucketTime (bucket, sortKey) for a bucket, newest first;
 * byBucketKey (bucket, objectKey) for a key prefix (begins_with; the matches are sorted in code);
 * byUploader (uploader, sortKey); byVar (varKey, sortKey). sortKey = `<receivedAt>#<id>`.
 */
export const TABLE = table as {
  BillingMode: BillingMode;
  AttributeDefinitions: AttributeDefinition[];
  KeySchema: KeySchemaElement[];
  GlobalSecondaryIndexes: GlobalSecondaryIndex[];
  TimeToLiveSpecification: { AttributeName: string; Enabled: boolean };
};

export const INDEX = { time: 'byTime', bucketTime: 'byBucketTime', bucketKey: 'byBucketKey', uploader: 'byUploader', variable: 'byVar' } as const;

export const TTL_ATTRIBUTE = TABLE.TimeToLiveSpecification.AttributeName;

export const TIME_SHARDS = 4;

/** Partition keys are capped at 2048 bytes; longer parts are replaced by their SHA-256. */
const MAX_KEY_PART_BYTES = 512;

function keyPart(text: string): string {
  return Buffer.byteLength(text) <= MAX_KEY_PART_BYTES ? text : `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

export function uploadKey(id: string): string {
  return `u#${keyPart(id)}`;
}

export function varKey(name: string, value: string): string {
  return keyPart(`${name}=${value}`);
}

export function varItemKey(name: string, value: string, id: string): string {
  return `v#${varKey(name, value)}#${keyPart(id)}`;
}

export function timeShard(id: string): string {
  return String((createHash('sha256').update(id).digest()[0] as number) % TIME_SHARDS);
}
