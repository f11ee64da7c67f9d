import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
// @ts-expect-error dynalite ships no types; it is a factory returning a node:http server.
import dynalite from 'dynalite';
import type { DynamoDbClientConfig } from '../../lib/store/dynamodb-client.js';

export interface Dynalite {
  endpoint: string;
  /** What the store's client needs to reach it: the endpoint, a region and fake credentials. */
  clientConfig: DynamoDbClientConfig;
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

export function dynamoClientConfig(endpoint: string): DynamoDbClientConfig {
  return { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

let tables = 0;
/** DynamoDB table names need three characters or more; one per test keeps tests apart. */
export function freshTableName(): string {
  return `uploads-${process.pid}-${++tables}`;
}
