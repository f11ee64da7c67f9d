import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
// @ts-expect-error dynalite ships no types; it is a factory returning a node:http server.
import dynalite from 'dynalite';

export interface Dynalite {
  endpoint: string;
  /** What a DynamoDB client needs to reach it: fake credentials, a region, no SDK retries. */
  clientConfig: DynamoDBClientConfig;
  stop(): Promise<void>;
}

/** dynalite in this process, on a free port, with tables ready at once (no CREATING delay). */
export async function startDynalite(): Promise<Dynalite> {
  const server = (dynalite as (options: object) => Server)({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    clientConfig: dynamoClientConfig(endpoint),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function dynamoClientConfig(endpoint: string): DynamoDBClientConfig {
  return { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 };
}

let tables = 0;
/** DynamoDB table names need three characters or more; one per test keeps tests apart. */
export function freshTableName(): string {
  return `uploads-${process.pid}-${++tables}`;
}
