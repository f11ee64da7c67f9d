import { OtsError, compareCells, encodeRow, invalid, type StoredRow, type Table, type Tables } from './tablestore-tables.js';
import {
  ColumnReturnType,
  FieldType,
  GroupByType,
  IndexStatus,
  QueryType,
  isInt64,
  readVariant,
  wire,
  type Cell,
  type FieldSchemaMessage,
  type GroupByMessage,
  type QueryMessage,
  type SorterMessage,
} from './tablestore-wire.js';

/**
 * Search indexes over the test server's tables: ListSearchIndex, CreateSearchIndex,
 * DescribeSearchIndex, and Search with term, terms, prefix, range, bool and match-all queries, field
 * and primary-key sorts, offset/limit and token paging, and GroupByFilter groups (a row count per
 * filter, without sub-aggregations). As Tablestore's indexes trail the table, these
 * show a row only `indexLagMs` after it was written (simpler than Tablestore: until then neither its
 * old nor its new version shows).
 */

/** Tablestore returns at most 100 rows per Search request. */
const MAX_LIMIT = 100;
const DEFAULT_LIMIT = 10;
const SUPPORTED_FIELD_TYPES = new Set([FieldType.KEYWORD, FieldType.LONG]);

export function listSearchIndex(tables: Tables, body: Uint8Array): Uint8Array {
  const { tableName } = wire.ListSearchIndexRequest.decode(body);
  const indices = tables
    .all()
    .filter((table) => !tableName || table.name === tableName)
    .flatMap((table) => [...table.searchIndexes.keys()].map((indexName) => ({ tableName: table.name, indexName })));
  return wire.ListSearchIndexResponse.encode({ indices }).finish();
}

export function createSearchIndex(tables: Tables, body: Uint8Array): Uint8Array {
  const request = wire.CreateSearchIndexRequest.decode(body);
  const table = tables.table(request.tableName);
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(request.indexName)) throw invalid(`Invalid index name: '${request.indexName}'.`);
  if (table.searchIndexes.has(request.indexName)) throw new OtsError(409, 'OTSObjectAlreadyExist', 'The index already exists.');
  // Tablestore syncs a search index only from a table that keeps one version and no TTL (or disallows updates).
  if (table.maxVersions !== 1 || table.timeToLive !== -1) throw invalid('A search index needs max versions 1 and no time to live on the table.');
  if (request.schema?.indexSort) throw invalid('Index presorting is not supported by this test server.');
  const fields = request.schema?.fieldSchemas ?? [];
  const names = new Set<string>();
  for (const field of fields) {
    if (!field.fieldName || names.has(field.fieldName)) throw invalid(`Invalid or duplicate field name: '${field.fieldName}'.`);
    names.add(field.fieldName);
    if (!SUPPORTED_FIELD_TYPES.has(field.fieldType)) throw invalid(`Field type ${field.fieldType} is not supported by this test server.`);
  }
  table.searchIndexes.set(request.indexName, fields);
  return wire.CreateSearchIndexResponse.encode({}).finish();
}

/** The index's schema and a running status (the SDK's decoder needs one): what `init` checks. */
export function describeSearchIndex(tables: Tables, body: Uint8Array): Uint8Array {
  const request = wire.DescribeSearchIndexRequest.decode(body);
  const fieldSchemas = tables.table(request.tableName).searchIndexes.get(request.indexName);
  if (!fieldSchemas) throw new OtsError(404, 'OTSObjectNotExist', `The index '${request.indexName}' does not exist.`);
  return wire.DescribeSearchIndexResponse.encode({ schema: { fieldSchemas }, indexStatus: { status: IndexStatus.RUNNING, statusDescription: '' } }).finish();
}

/** One indexed row: its fields' values (an array field has several) and the row itself. */
interface Document {
  row: StoredRow;
  fields: Map<string, Cell[]>;
}

/** A position in the sort, one part per sorter; JSON so that it can travel in a token. */
type SortKey = Array<string | null>;
interface SortSpec {
  /** Absent for the primary-key sort. */
  field?: { name: string; long: boolean };
  descending: boolean;
}
interface Token {
  sort: SortSpec[];
  after: SortKey;
}

export function searchRows(tables: Tables, body: Uint8Array, indexingErrors: string[], indexLagMs: number): Uint8Array {
  const request = wire.SearchRequest.decode(body);
  const table = tables.table(request.tableName);
  const schema = table.searchIndexes.get(request.indexName);
  if (!schema) throw new OtsError(404, 'OTSObjectNotExist', `The index '${request.indexName}' does not exist.`);
  const query = wire.SearchQuery.decode(request.searchQuery);
  if (query.aggs || query.collapse) throw invalid('Aggregations and collapse are not supported by this test server.');

  // An explicit 0 asks for no rows (counts and groups only); an absent limit is the default.
  const limit = Object.hasOwn(query, 'limit') ? query.limit : DEFAULT_LIMIT;
  if (limit < 0 || limit > MAX_LIMIT) throw invalid(`Invalid limit: ${limit}, the limit must be in range [0, ${MAX_LIMIT}].`);
  let token: Token | undefined;
  if (query.token.length > 0) {
    if (query.sort) throw invalid('The sort is carried by the token; a request with a token must not set one.');
    if (query.offset) throw invalid('A request with a token must not set an offset.');
    token = JSON.parse(Buffer.from(query.token).toString()) as Token;
  }
  const sort = token?.sort ?? sortSpecs(query.sort?.sorter ?? [], schema);

  const matches = documents(table, schema, indexingErrors, Date.now() - indexLagMs)
    .filter((document) => !query.query || matchesQuery(query.query, document, schema))
    .map((document) => ({ document, key: sortKey(document, sort) }))
    .sort((a, b) => compareKeys(a.key, b.key, sort));
  const after = token?.after;
  const remaining = after ? matches.filter(({ key }) => compareKeys(key, after, sort) > 0) : matches.slice(query.offset || 0);
  const page = remaining.slice(0, limit);
  const last = page.at(-1);
  const nextToken = last && remaining.length > page.length ? Buffer.from(JSON.stringify({ sort, after: last.key } satisfies Token)) : Buffer.alloc(0);

  const groupBys = query.groupBys?.groupBys ?? [];
  return wire.SearchResponse.encode({
    totalHits: query.getTotalCount ? matches.length : -1,
    rows: page.map(({ document }) => encodeRow(document.row, columnsToGet(request.columnsToGet))),
    isAllSucceeded: true,
    nextToken,
    ...(groupBys.length > 0 && { groupBys: groupByResults(groupBys, matches.map(({ document }) => document), schema) }),
  }).finish();
}

/** Each GroupByFilter's row count per filter, over every matching row (not only the page returned). */
function groupByResults(groupBys: GroupByMessage[], matches: Document[], schema: FieldSchemaMessage[]): Uint8Array {
  const groupByResults = groupBys.map(({ name, type, body }) => {
    if (type !== GroupByType.GROUP_BY_FILTER) throw invalid(`Group-by type ${type} is not supported by this test server.`);
    const { filters, subAggs, subGroupBys } = wire.GroupByFilter.decode(body);
    if (subAggs || subGroupBys) throw invalid('Sub-aggregations are not supported by this test server.');
    const items = filters.map((filter) => ({ rowCount: matches.filter((document) => matchesQuery(filter, document, schema)).length }));
    return { name, type, groupByResult: wire.GroupByFilterResult.encode({ groupByFilterResultItems: items }).finish() };
  });
  return wire.GroupBysResult.encode({ groupByResults }).finish();
}

/**
 * The rows as the index holds them: those written before `syncedUntil`. A row whose cell does not
 * fit its field (a STRING in a LONG field, an array field that is not a JSON array) fails to index,
 * as in Tablestore, and is noted in `indexingErrors` so a test can see it.
 */
function documents(table: Table, schema: FieldSchemaMessage[], indexingErrors: string[], syncedUntil: number): Document[] {
  const indexed: Document[] = [];
  rows: for (const row of table.rows.values()) {
    if (row.writtenAt > syncedUntil) continue;
    const fields = new Map<string, Cell[]>();
    for (const field of schema) {
      const cell = row.cells.get(field.fieldName);
      if (!cell) continue;
      const values = field.isArray ? parseArray(cell.value, field) : [cell.value];
      if (!values || !values.every((value) => fitsField(value, field))) {
        indexingErrors.push(`${table.name}: row ${JSON.stringify(row.primaryKey)} does not fit field ${field.fieldName}`);
        continue rows;
      }
      fields.set(field.fieldName, values);
    }
    indexed.push({ row, fields });
  }
  return indexed;
}

function parseArray(value: Cell, field: FieldSchemaMessage): Cell[] | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const items = JSON.parse(value) as unknown;
    if (!Array.isArray(items)) return undefined;
    // A LONG array holds JSON numbers; the index holds them as 64-bit integers.
    return field.fieldType === FieldType.LONG ? undefined : (items as Cell[]);
  } catch {
    return undefined;
  }
}

function fitsField(value: Cell, field: FieldSchemaMessage): boolean {
  return field.fieldType === FieldType.KEYWORD ? typeof value === 'string' : isInt64(value);
}

function indexedField(schema: FieldSchemaMessage[], name: string): FieldSchemaMessage {
  const field = schema.find((candidate) => candidate.fieldName === name);
  if (!field) throw invalid(`The field '${name}' is not in the index schema.`);
  return field;
}

function matchesQuery(query: QueryMessage, document: Document, schema: FieldSchemaMessage[]): boolean {
  switch (query.type) {
    case QueryType.MATCH_ALL_QUERY:
      return true;
    case QueryType.TERM_QUERY: {
      const { fieldName, term } = wire.TermQuery.decode(query.query);
      return holdsAnyTerm(document, schema, fieldName, [term]);
    }
    case QueryType.TERMS_QUERY: {
      const { fieldName, terms } = wire.TermsQuery.decode(query.query);
      return holdsAnyTerm(document, schema, fieldName, terms);
    }
    case QueryType.PREFIX_QUERY: {
      const prefix = wire.PrefixQuery.decode(query.query);
      const field = indexedField(schema, prefix.fieldName);
      if (field.fieldType !== FieldType.KEYWORD || !field.index) throw invalid(`A prefix query needs an indexed KEYWORD field, not '${prefix.fieldName}'.`);
      return (document.fields.get(prefix.fieldName) ?? []).some((value) => typeof value === 'string' && value.startsWith(prefix.prefix));
    }
    case QueryType.RANGE_QUERY: {
      const range = wire.RangeQuery.decode(query.query);
      if (!indexedField(schema, range.fieldName).index) throw invalid(`The field '${range.fieldName}' is not indexed.`);
      const from = range.rangeFrom.length > 0 ? readVariant(range.rangeFrom) : undefined;
      const to = range.rangeTo.length > 0 ? readVariant(range.rangeTo) : undefined;
      return (document.fields.get(range.fieldName) ?? []).some((value) => {
        const low = from === undefined ? 1 : compareCells(value, from);
        const high = to === undefined ? -1 : compareCells(value, to);
        if (low === undefined || high === undefined) return false;
        return (low > 0 || (low === 0 && range.includeLower)) && (high < 0 || (high === 0 && range.includeUpper));
      });
    }
    case QueryType.BOOL_QUERY: {
      const bool = wire.BoolQuery.decode(query.query);
      const all = [...bool.mustQueries, ...bool.filterQueries];
      const matches = (sub: QueryMessage) => matchesQuery(sub, document, schema);
      if (!all.every(matches) || bool.mustNotQueries.some(matches)) return false;
      if (bool.shouldQueries.length === 0) return true;
      const minimum = bool.minimumShouldMatch || (all.length > 0 ? 0 : 1);
      return bool.shouldQueries.filter(matches).length >= minimum;
    }
  }
  throw invalid(`Query type ${query.type} is not supported by this test server.`);
}

/** A term or terms query: one of the field's values is exactly one of the terms. */
function holdsAnyTerm(document: Document, schema: FieldSchemaMessage[], fieldName: string, terms: Uint8Array[]): boolean {
  if (!indexedField(schema, fieldName).index) throw invalid(`The field '${fieldName}' is not indexed.`);
  const wanted = terms.map((term) => readVariant(term));
  return (document.fields.get(fieldName) ?? []).some((value) => wanted.some((each) => compareCells(value, each) === 0));
}

/** No sort means primary-key order, as in Tablestore. */
function sortSpecs(sorters: SorterMessage[], schema: FieldSchemaMessage[]): SortSpec[] {
  if (sorters.length === 0) return [{ descending: false }];
  return sorters.map((sorter) => {
    if (sorter.fieldSort) {
      const field = indexedField(schema, sorter.fieldSort.fieldName);
      if (!field.docValues) throw invalid(`The field '${field.fieldName}' is not sortable: enable sort and aggregation on it.`);
      if (field.isArray) throw invalid(`Sorting on the array field '${field.fieldName}' is not supported by this test server.`);
      return { field: { name: field.fieldName, long: field.fieldType === FieldType.LONG }, descending: sorter.fieldSort.order === 1 };
    }
    if (sorter.pkSort) return { descending: sorter.pkSort.order === 1 };
    throw invalid('Only field and primary-key sorts are supported by this test server.');
  });
}

function sortKey(document: Document, sort: SortSpec[]): SortKey {
  return sort.map(({ field }) => {
    if (field === undefined) return JSON.stringify(document.row.primaryKey.map(({ value }) => String(value)));
    const value = document.fields.get(field.name)?.[0];
    return value === undefined ? null : isInt64(value) ? value.toString() : String(value);
  });
}

/** Ascending or descending per sorter; a row without the field sorts last either way. */
function compareKeys(a: SortKey, b: SortKey, sort: SortSpec[]): number {
  for (const [index, spec] of sort.entries()) {
    const x = a[index] ?? null;
    const y = b[index] ?? null;
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    const order = spec.field?.long ? Math.sign(Number(BigInt(x) - BigInt(y))) : Buffer.compare(Buffer.from(x), Buffer.from(y));
    if (order !== 0) return spec.descending ? -order : order;
  }
  return 0;
}

/** The cells a Search returns: all of them, the named ones, or none (the primary key only). */
function columnsToGet(wanted: { returnType: number; columnNames: string[] } | null | undefined): Set<string> | undefined {
  switch (wanted?.returnType) {
    case ColumnReturnType.RETURN_ALL:
      return undefined;
    case ColumnReturnType.RETURN_SPECIFIED:
      return new Set(wanted.columnNames);
    case ColumnReturnType.RETURN_NONE:
    case undefined:
      return new Set();
  }
  throw invalid(`Column return type ${wanted?.returnType} is not supported by this test server.`);
}
