import { mapAtMost } from './at-most.js';
import { checkCountQuery, periodsOf } from './count-query.js';
import { checkListQuery } from './list-query.js';
import type { CountQuery, ListQuery, SourceCounts, StoreCallOptions } from './port.js';
import { RECORD_SOURCES, type UploadRecord } from './record.js';
import { TablestoreError } from './tablestore-client.js';
import { recordFromColumns, varTerm } from './tablestore-layout.js';
import { TableStore, type IndexedField, type TablestoreSdkClient } from './tablestore-sdk-client.js';

/**
 * What only the CLI and the local server do with a Tablestore table, through the official SDK:
 * create it and its search index (`store init`) and list records through that index (`records`, the
 * local server's records page), and count them with aggregations over that index (`stats`).
 * `tablestore.ts` imports this module on the first such call, so a callback, a ticket or an event
 * never loads the SDK.
 *
 * The search index `LIST_INDEX` covers the copies `tablestore-layout.ts` writes beside each record.
 * A search index is eventually consistent: a record shows in listings shortly after it is written.
 */

const { FieldType, QueryType, SortOrder } = TableStore;

export const LIST_INDEX = 'upload_listing';

const keyword = (fieldName: string, more: Partial<TableStore.FieldSchema> = {}): TableStore.FieldSchema => ({
  fieldName,
  fieldType: FieldType.KEYWORD,
  index: true,
  enableSortAndAgg: false,
  store: false,
  isAnArray: false,
  ...more,
});

export const LIST_INDEX_FIELDS: TableStore.FieldSchema[] = [
  keyword('source'),
  keyword('bucket'),
  keyword('object'),
  keyword('uploader'),
  keyword('vars', { isAnArray: true }),
  keyword('receivedAt', { enableSortAndAgg: true }),
];

/**
 * The fields of LIST_INDEX_FIELDS that an existing index lacks or holds as another type, e.g.
 * `source` in an index made before records said where they came from.
 */
function fieldsNotInIndex(existing: IndexedField[]): string[] {
  return LIST_INDEX_FIELDS.filter((wanted) => !existing.some((field) => field.fieldName === wanted.fieldName && field.fieldType === wanted.fieldType)).map(
    (field) => field.fieldName,
  );
}

/** The columns listing reads back: the record alone, for `recordFromColumns`. */
const LISTED_COLUMNS = ['record'];

/** The search filters for `query`; every one of them keeps bindings out, as only records have a source. */
function listingFilters(query: ListQuery): TableStore.Query[] {
  const filters: TableStore.Query[] = [{ queryType: QueryType.TERMS_QUERY, query: { fieldName: 'source', terms: query.source ? [query.source] : [...RECORD_SOURCES] } }];
  if (query.bucket !== undefined) filters.push(term('bucket', query.bucket));
  if (query.prefix !== undefined) filters.push({ queryType: QueryType.PREFIX_QUERY, query: { fieldName: 'object', prefix: query.prefix } });
  if (query.uploader !== undefined) filters.push(term('uploader', query.uploader));
  if (query.variable) filters.push(term('vars', varTerm(query.variable.name, query.variable.value)));
  return filters;
}

function term(fieldName: string, value: string): TableStore.Query {
  return { queryType: QueryType.TERM_QUERY, query: { fieldName, term: value } };
}

/** Search returns at most 100 rows a page. */
const PAGE_SIZE = 100;

const NEWEST_FIRST: TableStore.Sorter[] = [
  { fieldSort: { fieldName: 'receivedAt', order: SortOrder.SORT_ORDER_DESC } },
  { primaryKeySort: { order: SortOrder.SORT_ORDER_DESC } },
];

/** The records `query` names, newest first, page by page until `limit` or the last page. */
export async function listRecords(client: TablestoreSdkClient, tableName: string, query: ListQuery, options?: StoreCallOptions): Promise<UploadRecord[]> {
  checkListQuery(query);
  const filters = listingFilters(query);
  const wanted = query.limit ?? Number.POSITIVE_INFINITY;
  const records: UploadRecord[] = [];
  let token: Buffer | undefined;
  do {
    const searchQuery = {
      limit: Math.min(PAGE_SIZE, wanted - records.length),
      query: { queryType: QueryType.BOOL_QUERY, query: { filterQueries: filters } },
      getTotalCount: false,
      // The token carries the sort of the first page; Tablestore takes one or the other.
      ...(token ? { token } : { sort: { sorters: NEWEST_FIRST } }),
    };
    const columnToGet = { returnType: TableStore.ColumnReturnType.RETURN_SPECIFIED, returnNames: LISTED_COLUMNS };
    const page = await client.search({ tableName, indexName: LIST_INDEX, searchQuery, columnToGet }, options);
    for (const row of page.rows) records.push(recordFromColumns(String(row.primaryKey.id), row.columns));
    token = page.nextToken;
  } while (token && records.length < wanted);
  return records;
}

/** `PrimaryKeyType.STRING` in the protocol (`tablestore.proto`). */
const PRIMARY_KEY_STRING = 2;

/**
 * Create the table, then its search index, when missing, and check that an existing index has every
 * field listing needs. An index made by an earlier version lacks fields, and adding a field to a
 * search index means building it again, which `init` leaves to the user rather than dropping an
 * index on its own.
 */
export async function createTableAndIndex(client: TablestoreSdkClient, tableName: string, report: (line: string) => void): Promise<void> {
  try {
    const { primaryKey } = await client.describeTable(tableName);
    const [first, ...more] = primaryKey;
    if (first?.name !== 'id' || first.type !== PRIMARY_KEY_STRING || more.length > 0) {
      throw new Error(`the Tablestore table ${tableName} exists with another primary key; this store needs one STRING column named id`);
    }
  } catch (error) {
    if (!(error instanceof TablestoreError && error.code === 'OTSObjectNotExist')) throw error;
    await ignoring(
      'OTSObjectAlreadyExist',
      client.createTable({
        tableMeta: { tableName, primaryKey: [{ name: 'id', type: 'STRING' }] },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
      }),
    );
    report(`created table ${tableName}`);
  }
  if (!(await client.listSearchIndexes(tableName)).includes(LIST_INDEX)) {
    await ignoring('OTSObjectAlreadyExist', client.createSearchIndex({ tableName, indexName: LIST_INDEX, schema: { fieldSchemas: LIST_INDEX_FIELDS } }));
    report(`created search index ${LIST_INDEX} on ${tableName}`);
    return;
  }
  const missing = fieldsNotInIndex(await client.describeSearchIndex(tableName, LIST_INDEX));
  if (missing.length > 0) {
    throw new Error(
      `the search index ${LIST_INDEX} on ${tableName} lacks the field(s) ${missing.join(', ')} as listing needs them: it was made by an earlier version. ` +
        'Delete that index (console or DeleteSearchIndex) and run store init again; Tablestore builds the new one from the rows in the table',
    );
  }
  report(`table ${tableName} exists with its search index ${LIST_INDEX}`);
}

async function ignoring(code: string, call: Promise<void>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof TablestoreError && error.code === code)) throw error;
  }
}

/**
 * Uploads per period by source, as search-index aggregations (`count`, never a
 * callback): one Search a period over `LIST_INDEX`, filtered to the period with a range query on
 * `receivedAt` (an ISO instant, so text order is time order), returning no rows (`limit: 0`), with a
 * GroupByFilter of one term query per source whose groups count the rows matching each. Only
 * documented features: RangeQuery on a KEYWORD field
 * (https://www.alibabacloud.com/help/en/tablestore/developer-reference/rangequery), GroupByFilter's
 * row count per filter, in the filters' order
 * (https://www.alibabacloud.com/help/en/tablestore/developer-reference/groupbyfilter), and `limit: 0`
 * for counts without rows. `source` needs no sort-and-aggregate setting to be filtered on, so the
 * index `store init` makes serves as it is.
 */

/** Searches in flight at once: a month of hours goes out a few at a time, not as one burst. */
const SEARCHES_AT_ONCE = 4;
const BY_SOURCE = 'bySource';

export async function countByPeriod(client: TablestoreSdkClient, table: string, query: CountQuery, options?: StoreCallOptions): Promise<SourceCounts[]> {
  checkCountQuery(query);
  const filters = listingFilters({ bucket: query.bucket, prefix: query.prefix });
  const bySource: TableStore.GroupBy = {
    name: BY_SOURCE,
    type: TableStore.GroupByType.GROUP_BY_FILTER,
    body: { filters: RECORD_SOURCES.map((source) => term('source', source)) },
  };
  return mapAtMost(periodsOf(query.bounds), SEARCHES_AT_ONCE, async ({ from, to }) => {
    const inPeriod: TableStore.Query = {
      queryType: QueryType.RANGE_QUERY,
      query: { fieldName: 'receivedAt', rangeFrom: from, includeLower: true, rangeTo: to, includeUpper: false },
    };
    const { groupBys } = await client.search(
      {
        tableName: table,
        indexName: LIST_INDEX,
        searchQuery: { limit: 0, getTotalCount: false, query: { queryType: QueryType.BOOL_QUERY, query: { filterQueries: [...filters, inPeriod] } }, groupBys: { groupBys: [bySource] } },
        columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE },
      },
      options,
    );
    const items = groupBys?.groupByResults.find((group) => group.name === BY_SOURCE)?.groupByResult.items;
    if (items?.length !== RECORD_SOURCES.length) throw new Error(`Tablestore answered a count over ${LIST_INDEX} without a group for each source`);
    const counts = {} as SourceCounts;
    RECORD_SOURCES.forEach((source, i) => {
      const { rowCount } = items[i] as { rowCount: number | TableStore.Int64 };
      counts[source] = typeof rowCount === 'number' ? rowCount : rowCount.toNumber();
    });
    return counts;
  });
}

export { tablestoreSdkClients } from './tablestore-sdk-client.js';
