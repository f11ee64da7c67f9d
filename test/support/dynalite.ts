import type { DynamoDbClientConfig } from '../../lib/store/dynamodb-client.js';
import { startDynalite as startLocalDynamoDb, type LocalDynamoDb } from '../../scripts/dynalite.js';

export interface Dynalite extends LocalDynamoDb {
  /** What a DynamoDB client needs to reach it: fake credentials, a region, and a region. */
  clientConfig: DynamoDbClientConfig;
}

/** dynalite in this process (scripts/dynalite.ts), with the client configuration that reaches it. */
export async function startDynalite(): Promise<Dynalite> {
  const local = await startLocalDynamoDb();
  return { ...local, clientConfig: dynamoClientConfig(local.endpoint) };
}

export function dynamoClientConfig(endpoint: string): DynamoDbClientConfig {
  return { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

let tables = 0;
/** DynamoDB table names need three characters or more; one per test keeps tests apart. */
export function freshTableName(): string {
  return `uploads-${process.pid}-${++tables}`;
}
