import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
// @ts-expect-error dynalite ships no types; it is a factory returning a node:http server.
import dynalite from 'dynalite';

export interface LocalDynamoDb {
  /** `http://127.0.0.1:<port>`: a client's endpoint, or AWS_ENDPOINT_URL_DYNAMODB for a process. */
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * dynalite, a DynamoDB in this process, on a free port with tables ready at once (no CREATING
 * delay): for the tests and the bench.
 */
export async function startDynalite(): Promise<LocalDynamoDb> {
  const server = (dynalite as (options: object) => Server)({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
