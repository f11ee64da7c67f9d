import { createRequire } from 'node:module';

/**
 * The Tablestore wire formats, through the SDK's own code: its compiled protocol buffers
 * (`lib/protocol/tablestore_compiled_proto.js`, built from the `.proto` files beside it) and its
 * PlainBuffer reader and writer for rows (`lib/protocol/plain_buffer_*.js`). The test server decodes
 * what the SDK sends and encodes what it answers with exactly the definitions the SDK reads them with.
 */

const require = createRequire(import.meta.url);

/** A cell as the SDK's PlainBuffer code reads and writes it: INTEGER cells are int64-buffer's Int64LE. */
export type Cell = string | boolean | number | Buffer | Int64Cell;
export interface Int64Cell {
  toBuffer(): Buffer;
  toString(radix?: number): string;
  toNumber(): number;
}

export interface PlainRow {
  primaryKey: Array<{ name: string; value: Cell }>;
  attributes: Array<{ columnName: string; columnValue: Cell | null; timestamp: Int64Cell | null }>;
}

interface PlainBufferSdk {
  PlainBufferInputStream: new (data: { buffer: Buffer; offset: number; limit: number }) => unknown;
  PlainBufferCodedInputStream: new (stream: unknown) => { readRow(): PlainRow; readSearchVariant(): Cell };
  PlainBufferBuilder: {
    serializeForPutRow(primaryKey: Array<Record<string, Cell>>, columns: Array<Record<string, Cell | number>>): Buffer;
  };
}

const sdk = require('tablestore') as PlainBufferSdk;

interface MessageType<T> {
  decode(bytes: Uint8Array): T;
  encode(message: T): { finish(): Uint8Array };
}
/** Decoders are typed per message below; encoders take plain objects, as protobufjs does. */
type Codec<T> = MessageType<T> & { encode(message: object): { finish(): Uint8Array } };

export interface ConditionMessage {
  rowExistence: number;
  columnCondition: Uint8Array;
}
export interface FilterMessage {
  type: number;
  filter: Uint8Array;
}
export interface QueryMessage {
  type: number;
  query: Uint8Array;
}
export interface SorterMessage {
  fieldSort?: { fieldName: string; order: number } | null;
  pkSort?: { order: number } | null;
}
export interface GroupByMessage {
  name: string;
  type: number;
  body: Uint8Array;
}
export interface FieldSchemaMessage {
  fieldName: string;
  fieldType: number;
  index: boolean;
  docValues: boolean;
  isArray: boolean;
}

const protos = require('tablestore/lib/protocol/tablestore_compiled_proto.js') as {
  main: { proto: Record<string, Codec<never>> };
  filter: { proto: Record<string, Codec<never>> & { FilterType: Record<string, number>; LogicalOperator: Record<string, number>; ComparatorType: Record<string, number> } };
  search: {
    proto: Record<string, Codec<never>> & {
      QueryType: Record<string, number>;
      GroupByType: Record<string, number>;
      FieldType: Record<string, number>;
      ColumnReturnType: Record<string, number>;
      IndexStatusEnum: Record<string, number>;
    };
  };
};

function codec<T>(namespace: Record<string, Codec<never>>, name: string): Codec<T> {
  const type = namespace[name];
  if (!type) throw new Error(`the SDK's compiled protocol has no ${name}`);
  return type as unknown as Codec<T>;
}

const main = protos.main.proto;
const filter = protos.filter.proto;
const search = protos.search.proto;

export const wire = {
  Error: codec<{ code: string; message: string }>(main, 'Error'),
  CreateTableRequest: codec<{
    tableMeta: { tableName: string; primaryKey: Array<{ name: string; type: number; option?: number }> };
    reservedThroughput: { capacityUnit: { read?: number; write?: number } };
    tableOptions?: { timeToLive?: number; maxVersions?: number; allowUpdate?: boolean } | null;
    indexMetas: unknown[];
  }>(main, 'CreateTableRequest'),
  CreateTableResponse: codec<object>(main, 'CreateTableResponse'),
  DescribeTableRequest: codec<{ tableName: string }>(main, 'DescribeTableRequest'),
  DescribeTableResponse: codec<object>(main, 'DescribeTableResponse'),
  PutRowRequest: codec<{ tableName: string; row: Uint8Array; condition: ConditionMessage }>(main, 'PutRowRequest'),
  PutRowResponse: codec<object>(main, 'PutRowResponse'),
  GetRowRequest: codec<{
    tableName: string;
    primaryKey: Uint8Array;
    columnsToGet: string[];
    maxVersions: number;
    timeRange?: unknown;
    filter: Uint8Array;
  }>(main, 'GetRowRequest'),
  GetRowResponse: codec<object>(main, 'GetRowResponse'),
  BatchGetRowRequest: codec<{
    tables: Array<{ tableName: string; primaryKey: Uint8Array[]; columnsToGet: string[]; maxVersions: number; timeRange?: unknown; filter: Uint8Array }>;
  }>(main, 'BatchGetRowRequest'),
  BatchGetRowResponse: codec<object>(main, 'BatchGetRowResponse'),
  Filter: codec<FilterMessage>(filter, 'Filter'),
  SingleColumnValueFilter: codec<{ comparator: number; columnName: string; columnValue: Uint8Array; filterIfMissing: boolean; latestVersionOnly: boolean }>(
    filter,
    'SingleColumnValueFilter',
  ),
  CompositeColumnValueFilter: codec<{ combinator: number; subFilters: FilterMessage[] }>(filter, 'CompositeColumnValueFilter'),
  ListSearchIndexRequest: codec<{ tableName: string }>(search, 'ListSearchIndexRequest'),
  ListSearchIndexResponse: codec<object>(search, 'ListSearchIndexResponse'),
  CreateSearchIndexRequest: codec<{ tableName: string; indexName: string; schema?: { fieldSchemas: FieldSchemaMessage[]; indexSort?: unknown } | null }>(
    search,
    'CreateSearchIndexRequest',
  ),
  CreateSearchIndexResponse: codec<object>(search, 'CreateSearchIndexResponse'),
  DescribeSearchIndexRequest: codec<{ tableName: string; indexName: string }>(search, 'DescribeSearchIndexRequest'),
  DescribeSearchIndexResponse: codec<object>(search, 'DescribeSearchIndexResponse'),
  SearchRequest: codec<{ tableName: string; indexName: string; columnsToGet?: { returnType: number; columnNames: string[] } | null; searchQuery: Uint8Array }>(
    search,
    'SearchRequest',
  ),
  SearchQuery: codec<{
    offset: number;
    limit: number;
    query?: QueryMessage | null;
    sort?: { sorter: SorterMessage[] } | null;
    getTotalCount: boolean;
    token: Uint8Array;
    aggs?: unknown;
    groupBys?: { groupBys: GroupByMessage[] } | null;
    collapse?: unknown;
  }>(search, 'SearchQuery'),
  SearchResponse: codec<object>(search, 'SearchResponse'),
  TermQuery: codec<{ fieldName: string; term: Uint8Array }>(search, 'TermQuery'),
  TermsQuery: codec<{ fieldName: string; terms: Uint8Array[] }>(search, 'TermsQuery'),
  PrefixQuery: codec<{ fieldName: string; prefix: string }>(search, 'PrefixQuery'),
  RangeQuery: codec<{ fieldName: string; rangeFrom: Uint8Array; rangeTo: Uint8Array; includeLower: boolean; includeUpper: boolean }>(search, 'RangeQuery'),
  GroupByFilter: codec<{ filters: QueryMessage[]; subAggs?: unknown; subGroupBys?: unknown }>(search, 'GroupByFilter'),
  GroupByFilterResult: codec<object>(search, 'GroupByFilterResult'),
  GroupBysResult: codec<object>(search, 'GroupBysResult'),
  BoolQuery: codec<{ mustQueries: QueryMessage[]; mustNotQueries: QueryMessage[]; filterQueries: QueryMessage[]; shouldQueries: QueryMessage[]; minimumShouldMatch: number }>(
    search,
    'BoolQuery',
  ),
};

export const FilterType = filter.FilterType;
export const LogicalOperator = filter.LogicalOperator;
export const ComparatorType = filter.ComparatorType;
export const QueryType = search.QueryType;
export const GroupByType = search.GroupByType;
export const FieldType = search.FieldType;
export const ColumnReturnType = search.ColumnReturnType;
export const IndexStatus = search.IndexStatusEnum;

function inputStream(bytes: Uint8Array) {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new sdk.PlainBufferCodedInputStream(new sdk.PlainBufferInputStream({ buffer, offset: 0, limit: buffer.length }));
}

/** A PlainBuffer row (PutRow's row, GetRow's primary key), checksums verified by the SDK's reader. */
export function readPlainRow(bytes: Uint8Array): PlainRow {
  return inputStream(bytes).readRow();
}

/** A single serialized value (a column condition's operand, a search term): type byte, then the value. */
export function readVariant(bytes: Uint8Array): Cell {
  return inputStream(bytes).readSearchVariant();
}

/** A row in the PlainBuffer format Tablestore answers with: primary key, then each cell with its timestamp. */
export function writePlainRow(primaryKey: Array<{ name: string; value: Cell }>, cells: Array<{ name: string; value: Cell; timestamp: number }>): Buffer {
  return sdk.PlainBufferBuilder.serializeForPutRow(
    primaryKey.map(({ name, value }) => ({ [name]: value })),
    cells.map(({ name, value, timestamp }) => ({ [name]: value, timestamp })),
  );
}

export function isInt64(value: Cell): value is Int64Cell {
  return typeof value === 'object' && !Buffer.isBuffer(value);
}
