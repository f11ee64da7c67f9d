import { DynamoDbError, type DynamoDbClient } from './dynamodb-client.js';
import { TABLE, TTL_ATTRIBUTE } from './dynamodb-schema.js';

/** How long `store init` waits for a new table and its indexes to become ACTIVE, and how often it looks. */
const ACTIVE_WITHIN_MS = 300_000;
const POLL_MS = 1_000;

interface TableDescription {
  TableStatus?: string;
  GlobalSecondaryIndexes?: { IndexName: string; IndexStatus?: string }[];
}

/**
 * `store init` for DynamoDB, loaded only by `init`: create the table with its indexes when missing
 * and wait until it is ACTIVE, check the indexes when it exists, and turn on TTL for bindings.
 */
export async function initTable(client: DynamoDbClient, table: string, report: (line: string) => void): Promise<void> {
  const existing = await describe(client, table);
  const indexNames = TABLE.GlobalSecondaryIndexes.map((index) => index.IndexName);
  if (!existing) {
    const { TimeToLiveSpecification: _ttl, ...definition } = TABLE;
    await client.call('CreateTable', { TableName: table, ...definition });
    await untilActive(client, table);
    report(`created table ${table} with indexes ${indexNames.join(', ')}`);
  } else {
    const present = new Set(existing.GlobalSecondaryIndexes?.map((index) => index.IndexName));
    const missing = indexNames.filter((name) => !present.has(name));
    if (missing.length) {
      throw new Error(`table ${table} exists without the index(es) ${missing.join(', ')} that listing needs; add them as lib/store/dynamodb-table.json declares`);
    }
    report(`table ${table} exists with its indexes`);
  }
  report(await enableTtl(client, table));
}

async function describe(client: DynamoDbClient, table: string): Promise<TableDescription | undefined> {
  try {
    return (await client.call<{ Table: TableDescription }>('DescribeTable', { TableName: table })).Table;
  } catch (error) {
    if (error instanceof DynamoDbError && error.code === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function untilActive(client: DynamoDbClient, table: string): Promise<void> {
  const giveUpAt = Date.now() + ACTIVE_WITHIN_MS;
  for (;;) {
    const description = await describe(client, table);
    const indexes = description?.GlobalSecondaryIndexes ?? [];
    if (description?.TableStatus === 'ACTIVE' && indexes.every((index) => index.IndexStatus === 'ACTIVE')) return;
    if (Date.now() > giveUpAt) throw new Error(`table ${table} was not ACTIVE within ${ACTIVE_WITHIN_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function enableTtl(client: DynamoDbClient, table: string): Promise<string> {
  const what = `TTL clean-up of expired ticket bindings on ${TTL_ATTRIBUTE}`;
  try {
    const { TimeToLiveDescription } = await client.call<{ TimeToLiveDescription?: { TimeToLiveStatus?: string } }>('DescribeTimeToLive', { TableName: table });
    const status = TimeToLiveDescription?.TimeToLiveStatus;
    if (status === 'ENABLED' || status === 'ENABLING') return `${what}: ${status.toLowerCase()}`;
    await client.call('UpdateTimeToLive', { TableName: table, TimeToLiveSpecification: TABLE.TimeToLiveSpecification });
    return `${what}: enabled`;
  } catch (error) {
    if (!(error instanceof DynamoDbError) || error.code !== 'UnknownOperationException') throw error;
    return 'note: this endpoint does not support TTL (a local emulator?); expired ticket bindings stay until deleted, which is harmless: no one asks for them again';
  }
}
