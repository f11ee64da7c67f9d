import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { startDynalite as startLocalDynamoDb, type LocalDynamoDb } from '../../scripts/dynalite.js';

export interface Dynalite extends LocalDynamoDb {
  /** What a DynamoDB client needs to reach it: fake credentials, a region, no SDK retries. */
  clientConfig: DynamoDBClientConfig;
}

/** dynalite in this process (scripts/dynalite.ts), with the client configuration that reaches it. */
export async function startDynalite(): Promise<Dynalite> {
  const local = await startLocalDynamoDb();
  return { ...local, clientConfig: dynamoClientConfig(local.endpoint) };
}

export function dynamoClientConfig(endpoint: string): DynamoDBClientConfig {
  return { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 };
}

let tables = 0;
/** DynamoDB table names need three characters or more; one per test keeps tests apart. */
export function freshTableName(): string {
  return `uploads-${process.pid}-${++tables}`;
}
