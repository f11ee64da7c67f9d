/**
 * The part of the official `tablestore` SDK (5.6.x, plain JavaScript, no types of its own) that
 * `tablestore-sdk-client.ts` uses, typed from the SDK's source (`lib/client.js`, `lib/filter.js`,
 * `lib/search.js`, `lib/protocol/encoder.js`). Only that wrapper imports the SDK; PutRow, GetRow and
 * BatchGetRow are typed for the tests that hold our own client to the SDK's requests.
 */
declare module 'tablestore' {
  import type { Agent } from 'node:http';

  namespace TableStore {
    /** `int64-buffer`'s Int64LE, which the SDK uses for every INTEGER cell. */
    interface Int64 {
      toNumber(): number;
      toString(radix?: number): string;
      toBuffer(): Buffer;
    }

    type CellValue = string | Int64 | number | boolean | Buffer;
    /** `[{ name: value }, …]`: one single-key object per column, in order. */
    type Columns = Array<Record<string, CellValue>>;

    interface ClientConfig {
      accessKeyId: string;
      secretAccessKey: string;
      stsToken?: string;
      endpoint: string;
      instancename: string;
      /** Copied into the process-wide retry policy by every request (`lib/request.js`). */
      maxRetries: number;
      /** `timeout`: ms a socket may stay silent before the call fails with TimeoutError (`lib/http/node.js`). */
      httpOptions?: { agent?: Agent; timeout?: number };
    }

    /** What `makeRequest` hands to a callback: `resp.httpResponse` as `lib/event_listeners.js` fills it. */
    interface SdkResponse {
      request: { operation: string };
      httpResponse: { statusCode: number; headers: Record<string, string | undefined>; body: Buffer };
      error: unknown;
    }

    /** The request object a callback-style call returns; `stream` is the ClientRequest once sent. */
    interface SdkRequest {
      httpRequest: { stream?: { destroy(): void } };
    }

    type Callback = (error: unknown, data: unknown) => void;

    class Client {
      constructor(config: ClientConfig);
      /** Instance-level override point: `setupRequestListeners` reads `this.extractError` per request. */
      extractError: (response: SdkResponse) => void;
      describeTable(params: { tableName: string }, callback: Callback): SdkRequest;
      createTable(params: CreateTableParams, callback: Callback): SdkRequest;
      listSearchIndex(params: { tableName: string }, callback: Callback): SdkRequest;
      createSearchIndex(params: CreateSearchIndexParams, callback: Callback): SdkRequest;
      describeSearchIndex(params: { tableName: string; indexName: string }, callback: Callback): SdkRequest;
      putRow(params: { tableName: string; primaryKey: Columns; attributeColumns: Columns; condition: Condition }, callback: Callback): SdkRequest;
      getRow(params: { tableName: string; primaryKey: Columns; maxVersions?: number; columnsToGet?: string[] }, callback: Callback): SdkRequest;
      batchGetRow(
        params: { tables: Array<{ tableName: string; primaryKey: Columns[]; maxVersions?: number; columnsToGet?: string[] }> },
        callback: Callback,
      ): SdkRequest;
      search(params: SearchParams, callback: Callback): SdkRequest;
    }

    interface CreateTableParams {
      tableMeta: { tableName: string; primaryKey: Array<{ name: string; type: 'STRING' | 'INTEGER' | 'BINARY' }> };
      reservedThroughput: { capacityUnit: { read: number; write: number } };
      tableOptions: { timeToLive: number; maxVersions: number };
    }

    interface FieldSchema {
      fieldName: string;
      fieldType: number;
      index: boolean;
      enableSortAndAgg: boolean;
      store: boolean;
      isAnArray: boolean;
    }

    interface CreateSearchIndexParams {
      tableName: string;
      indexName: string;
      schema: { fieldSchemas: FieldSchema[] };
    }

    type Query =
      | { queryType: 3; query: { fieldName: string; term: string } }
      | { queryType: 4; query: { fieldName: string; rangeFrom?: string; includeLower?: boolean; rangeTo?: string; includeUpper?: boolean } }
      | { queryType: 5; query: { fieldName: string; prefix: string } }
      | { queryType: 15; query: { fieldName: string; terms: string[] } }
      | { queryType: 6; query: { filterQueries: Query[] } };

    type Sorter = { fieldSort: { fieldName: string; order: number } } | { primaryKeySort: { order: number } };

    /** A GroupByFilter (`lib/protocol/encoder.js` _constructGroupByParam): one group per filter, in order. */
    interface GroupBy {
      name: string;
      type: 3;
      body: { filters: Query[] };
    }

    interface SearchParams {
      tableName: string;
      indexName: string;
      searchQuery: { offset?: number; limit: number; query: Query; sort?: { sorters: Sorter[] }; token?: Buffer; getTotalCount: boolean; groupBys?: { groupBys: GroupBy[] } };
      columnToGet: { returnType: 2; returnNames: string[] } | { returnType: 3 };
    }

    /** A Search answer's groups as `lib/protocol/decoder.js` _parseGroupBys decodes them; counts are int64. */
    interface GroupBysResult {
      groupByResults: Array<{ name: string; type: number; groupByResult: { items: Array<{ rowCount: number | Int64 }> } }>;
    }

    class Condition {
      constructor(rowExistenceExpectation: number, columnCondition: ColumnCondition | null);
    }
    abstract class ColumnCondition {}
    class SingleColumnCondition extends ColumnCondition {
      constructor(columnName: string, columnValue: CellValue, comparator: number, passIfMissing?: boolean, latestVersionOnly?: boolean);
    }

    const RowExistenceExpectation: { IGNORE: 0; EXPECT_EXIST: 1; EXPECT_NOT_EXIST: 2 };
    const ComparatorType: { EQUAL: 1; NOT_EQUAL: 2; GREATER_THAN: 3; GREATER_EQUAL: 4; LESS_THAN: 5; LESS_EQUAL: 6 };
    const QueryType: { TERM_QUERY: 3; RANGE_QUERY: 4; PREFIX_QUERY: 5; BOOL_QUERY: 6; TERMS_QUERY: 15 };
    const GroupByType: { GROUP_BY_FILTER: 3 };
    const FieldType: { LONG: 1; KEYWORD: 4 };
    const SortOrder: { SORT_ORDER_ASC: 0; SORT_ORDER_DESC: 1 };
    const ColumnReturnType: { RETURN_SPECIFIED: 2; RETURN_NONE: 3 };
    const Long: { fromNumber(value: number): Int64; fromString(value: string): Int64 };
  }

  export default TableStore;
}
