import { mapAtMost } from './at-most.js';
import { checkCountQuery } from './count-query.js';
import type { CountQuery, SourceCounts, StoreCallOptions } from './port.js';
import { RECORD_SOURCES } from './record.js';
import { LIST_INDEX, listingFilters } from './tablestore-admin.js';
import { TableStore, type TablestoreSdkClient } from './tablestore-sdk-client.js';

/**
 * Uploads per period by source, as search-index aggregations (loaded only by `count`, never on a
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
  const periods = query.bounds.slice(1).map((to, i) => ({ from: query.bounds[i] as string, to }));
  const bySource: TableStore.GroupBy = {
    name: BY_SOURCE,
    type: TableStore.GroupByType.GROUP_BY_FILTER,
    body: { filters: RECORD_SOURCES.map((source) => ({ queryType: TableStore.QueryType.TERM_QUERY, query: { fieldName: 'source', term: source } })) },
  };
  return mapAtMost(periods, SEARCHES_AT_ONCE, async ({ from, to }) => {
    const inPeriod: TableStore.Query = {
      queryType: TableStore.QueryType.RANGE_QUERY,
      query: { fieldName: 'receivedAt', rangeFrom: from, includeLower: true, rangeTo: to, includeUpper: false },
    };
    const { groupBys } = await client.search(
      {
        tableName: table,
        indexName: LIST_INDEX,
        searchQuery: { limit: 0, getTotalCount: false, query: { queryType: TableStore.QueryType.BOOL_QUERY, query: { filterQueries: [...filters, inPeriod] } }, groupBys: { groupBys: [bySource] } },
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
