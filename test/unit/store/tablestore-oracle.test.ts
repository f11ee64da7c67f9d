import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import TableStore from 'tablestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AliyunCredentials } from '../../../lib/credentials.js';
import { TablestoreClient, type Cell, type Cells, type Condition } from '../../../lib/store/tablestore-client.js';
import { wire, writePlainRow, type Cell as SdkCell } from '../../support/tablestore-wire.js';

/**
 * The official `tablestore` SDK as the oracle for our own client: on generated inputs, both make the
 * same PutRow, GetRow and BatchGetRow against one capturing server, which compares what reached it
 * (path, body bytes, every header, the signature included, both signing at one fixed time), and
 * answers both with the same generated row, which both must decode to the same cells.
 */

interface Captured {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const INSTANCE = 'oracle-instance';
const SIGNED_AT = new Date('2026-03-04T05:06:07.089Z');

/** What the server answers a read with: the row both clients must decode alike. */
let answerRow: { primaryKey: Cells; columns: Cells } | undefined;
const captured: Captured[] = [];
let server: Server;
let endpoint: string;

/** A cell as the SDK writes and reads it: INTEGER as int64-buffer's Int64LE, DOUBLE as a number. */
function toSdk(value: Cell): SdkCell {
  return typeof value === 'bigint' ? (TableStore.Long.fromString(value.toString()) as SdkCell) : value;
}

function fromSdk(value: unknown): Cell {
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) return BigInt((value as { toString(radix: number): string }).toString(10));
  return value as Cell;
}

const sdkColumns = (cells: Cells) => Object.entries(cells).map(([name, value]) => ({ [name]: toSdk(value) }));

function answerFor(path: string, body: Buffer): Uint8Array {
  const row = answerRow
    ? writePlainRow(
        Object.entries(answerRow.primaryKey).map(([name, value]) => ({ name, value: toSdk(value) })),
        Object.entries(answerRow.columns).map(([name, value], index) => ({ name, value: toSdk(value), timestamp: 1_700_000_000_000 + index })),
      )
    : Buffer.alloc(0);
  const consumed = { capacityUnit: { read: 1, write: 0 } };
  if (path === '/PutRow') return wire.PutRowResponse.encode({ consumed }).finish();
  if (path === '/GetRow') return wire.GetRowResponse.encode({ consumed, row }).finish();
  const [table] = wire.BatchGetRowRequest.decode(body).tables;
  const rows = table!.primaryKey.map(() => ({ isOk: true, consumed, row }));
  return wire.BatchGetRowResponse.encode({ tables: [{ tableName: table!.tableName, rows }] }).finish();
}

beforeAll(async () => {
  // The SDK signs with `TableStore.util.date.getDate()` (`lib/event_listeners.js` SIGN).
  (TableStore as unknown as { util: { date: { getDate: () => Date } } }).util.date.getDate = () => SIGNED_AT;
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      captured.push({ path: request.url ?? '', headers: request.headers, body });
      const answer = answerFor(request.url ?? '', body);
      response.writeHead(200, { 'content-length': answer.length });
      response.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/);
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const keyValue: fc.Arbitrary<Cell> = fc.oneof(fc.string({ unit: 'binary' }), int64, fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)));
const columnValue: fc.Arbitrary<Cell> = fc.oneof(keyValue, fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }));
const cells = (value: fc.Arbitrary<Cell>, min: number, max: number) =>
  fc.uniqueArray(fc.tuple(name, value), { minLength: min, maxLength: max, selector: ([key]) => key.toLowerCase() }).map((pairs) => Object.fromEntries(pairs) as Cells);
const secret = fc.stringMatching(/^[A-Za-z0-9+/=.]{1,40}$/);
const credentials: fc.Arbitrary<AliyunCredentials> = fc.record({ accessKeyId: secret, accessKeySecret: secret, securityToken: fc.option(secret, { nil: undefined }) }).map((each) =>
  each.securityToken === undefined ? { accessKeyId: each.accessKeyId, accessKeySecret: each.accessKeySecret } : (each as AliyunCredentials),
);
const condition: fc.Arbitrary<Condition> = fc.record({
  rowExistence: fc.constantFrom(0 as const, 1 as const, 2 as const),
  column: fc.option(
    fc.record({
      column: name,
      comparator: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const, 5 as const, 6 as const),
      value: columnValue,
      passIfMissing: fc.boolean(),
      latestVersionOnly: fc.boolean(),
    }),
    { nil: undefined },
  ),
}).map(({ rowExistence, column }) => (column ? { rowExistence, column } : { rowExistence }));
/** A row's primary key (1 to 4 columns) and attribute columns, the names apart. */
const row = fc
  .tuple(cells(keyValue, 1, 4), cells(columnValue, 0, 8))
  .map(([primaryKey, columns]) => ({ primaryKey, columns: Object.fromEntries(Object.entries(columns).filter(([key]) => !(key in primaryKey))) as Cells }));

function sdkClient(keys: AliyunCredentials) {
  return new TableStore.Client({
    accessKeyId: keys.accessKeyId,
    secretAccessKey: keys.accessKeySecret,
    ...(keys.securityToken ? { stsToken: keys.securityToken } : {}),
    endpoint,
    instancename: INSTANCE,
    maxRetries: 0,
  });
}

function ourClient(keys: AliyunCredentials) {
  return new TablestoreClient({ endpoint, instance: INSTANCE, credentials: () => keys, now: () => SIGNED_AT.getTime() });
}

function sdkCall<T>(start: (done: TableStore.Callback) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, data) => (error ? reject(error as Error) : resolve(data as T))));
}

/**
 * The two requests the server received last, SDK's first, as equal as the SDK and Node allow: the
 * SDK sets `Host` without the port (`lib/client.js` populateURI), where Node names it when it is not
 * the protocol's default; every other header, name and value, and the body are compared as sent.
 */
function lastTwo(): [Captured, Captured] {
  const [sdk, ours] = captured.splice(-2) as [Captured, Captured];
  const withoutPort = (each: Captured) => ({ ...each, headers: { ...each.headers, host: each.headers.host?.replace(/:\d+$/, '') } });
  return [withoutPort(sdk), withoutPort(ours)];
}

/** SDK-decoded row (`{ primaryKey: [{ name, value }], attributes: [{ columnName, columnValue }] }`) in our shape. */
function sdkRow(decoded: { primaryKey?: Array<{ name: string; value: unknown }>; attributes?: Array<{ columnName: string; columnValue: unknown }> } | null | undefined) {
  if (!decoded?.primaryKey) return undefined;
  return {
    primaryKey: Object.fromEntries(decoded.primaryKey.map(({ name: key, value }) => [key, fromSdk(value)])),
    columns: Object.fromEntries((decoded.attributes ?? []).map(({ columnName, columnValue }) => [columnName, fromSdk(columnValue)])),
  };
}

const RUNS = { numRuns: 60 };

describe('our Tablestore client against the official SDK on the same calls', () => {
  it('PutRow: the same body (PlainBuffer row, CRC-8 checksums, condition), headers and signature', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,40}$/), row, condition, credentials, async (tableName, { primaryKey, columns }, when, keys) => {
        const sdkCondition = new TableStore.Condition(
          when.rowExistence,
          when.column
            ? new TableStore.SingleColumnCondition(when.column.column, toSdk(when.column.value), when.column.comparator, when.column.passIfMissing, when.column.latestVersionOnly)
            : null,
        );
        await sdkCall((done) => sdkClient(keys).putRow({ tableName, primaryKey: sdkColumns(primaryKey), attributeColumns: sdkColumns(columns), condition: sdkCondition }, done));
        const client = ourClient(keys);
        await client.putRow({ tableName, primaryKey, columns, condition: when });
        client.close();
        const [sdk, ours] = lastTwo();
        expect(ours).toEqual(sdk);
      }),
      RUNS,
    );
  });

  it('GetRow: the same request, and the same cells read from the same answer', async () => {
    await fc.assert(
      fc.asyncProperty(name, row, fc.option(fc.uniqueArray(name, { maxLength: 5 }), { nil: undefined }), credentials, fc.option(row, { nil: undefined }), async (tableName, { primaryKey }, columnsToGet, keys, answer) => {
        answerRow = answer;
        const sdkAnswer = await sdkCall<{ row: Parameters<typeof sdkRow>[0] }>((done) =>
          sdkClient(keys).getRow({ tableName, primaryKey: sdkColumns(primaryKey), ...(columnsToGet ? { columnsToGet } : {}) }, done),
        );
        const client = ourClient(keys);
        const ourAnswer = await client.getRow({ tableName, primaryKey, ...(columnsToGet ? { columnsToGet } : {}) });
        client.close();
        const [sdk, ours] = lastTwo();
        expect(ours).toEqual(sdk);
        expect(ourAnswer).toEqual(sdkRow(sdkAnswer.row));
        expect(ourAnswer).toEqual(answer);
      }),
      RUNS,
    );
  });

  it('BatchGetRow: the same request for up to 100 keys, and the same rows read back', async () => {
    const keys = fc.uniqueArray(cells(keyValue, 1, 2), { minLength: 1, maxLength: 100, selector: (key) => JSON.stringify(Object.entries(key), (_, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value)) });
    await fc.assert(
      fc.asyncProperty(name, keys, fc.option(fc.uniqueArray(name, { maxLength: 5 }), { nil: undefined }), credentials, fc.option(row, { nil: undefined }), async (tableName, primaryKeys, columnsToGet, signing, answer) => {
        answerRow = answer;
        const sdkAnswer = await sdkCall<{ tables: Array<Array<{ isOk: boolean; primaryKey: never; attributes: never }>> }>((done) =>
          sdkClient(signing).batchGetRow({ tables: [{ tableName, primaryKey: primaryKeys.map(sdkColumns), ...(columnsToGet ? { columnsToGet } : {}) }] }, done),
        );
        const client = ourClient(signing);
        const ourAnswer = await client.batchGetRow({ tableName, primaryKeys, ...(columnsToGet ? { columnsToGet } : {}) });
        client.close();
        const [sdk, ours] = lastTwo();
        expect(ours).toEqual(sdk);
        expect(ourAnswer).toEqual(sdkAnswer.tables[0]!.map((each) => sdkRow(each)));
        expect(ourAnswer).toEqual(primaryKeys.map(() => answer));
      }),
      { numRuns: 25 },
    );
  });
});
