import type { Binding, ListQuery, StoredUpload } from './port.js';
import { RECORD_SOURCES, type UploadRecord } from './record.js';
import { TableStore, type IndexedField, type Row } from './tablestore-client.js';

/**
 * What the Tablestore table holds: primary key `id` STRING, one version, no TTL (a search index
 * needs both), and two kinds of row.
 *
 * A record row, under the upload id, keeps the record whole as JSON in `record` (so a new record field
 * needs no change here, and `crc64` stays the exact decimal string it is) with `fingerprint`, plus
 * copies of what listing filters and sorts on: `source`, `bucket`, `object`, `uploader` (absent when
 * null), `vars` (a JSON array of `name=value` terms) and `receivedAt`. Only the JSON is read back.
 *
 * A binding row, under `binding:<key>`, holds `boundTo` and `expiresAt` (INTEGER, epoch ms, for
 * clean-up only). Upload ids never contain `:` (hex digests and OSS request ids), and a binding row
 * has no `source`, which every listing filters on, so bindings are never read as records or listed.
 */

const { FieldType, QueryType } = TableStore;

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
export function fieldsNotInIndex(existing: IndexedField[]): string[] {
  return LIST_INDEX_FIELDS.filter((wanted) => !existing.some((field) => field.fieldName === wanted.fieldName && field.fieldType === wanted.fieldType)).map(
    (field) => field.fieldName,
  );
}

const BINDING_PREFIX = 'binding:';

/** The row a binding is kept in, apart from every upload id. */
export function bindingRowId(key: string): string {
  return `${BINDING_PREFIX}${key}`;
}

/** An id that names a binding row is never an upload's. */
export function isBindingRowId(id: string): boolean {
  return id.startsWith(BINDING_PREFIX);
}

export function bindingColumns({ value, expiresAt }: Binding): Row {
  return { boundTo: value, expiresAt: TableStore.Long.fromNumber(expiresAt) };
}

export function boundValue(id: string, columns: Row): string {
  const value = columns.boundTo;
  if (typeof value !== 'string') throw new Error(`the Tablestore row ${id} is not a binding`);
  return value;
}

export function uploadColumns({ record, fingerprint }: StoredUpload): Row {
  const columns: Row = {
    record: JSON.stringify(record),
    fingerprint,
    source: record.source,
    bucket: record.bucket,
    object: record.object,
    vars: JSON.stringify(Object.entries(record.vars).map(([name, value]) => varTerm(name, value))),
    receivedAt: record.receivedAt,
  };
  if (record.uploader !== null) columns.uploader = record.uploader;
  return columns;
}

export function uploadFromColumns(id: string, columns: Row): StoredUpload {
  const { fingerprint } = columns;
  if (typeof fingerprint !== 'string') throw notARecord(id);
  return { record: recordFromColumns(id, columns), fingerprint };
}

export function recordFromColumns(id: string, columns: Row): UploadRecord {
  const { record } = columns;
  if (typeof record !== 'string') throw notARecord(id);
  return JSON.parse(record) as UploadRecord;
}

const notARecord = (id: string) => new Error(`the Tablestore row ${id} is not an upload record as this version writes them (record and fingerprint)`);

/** The columns listing reads back: the record alone, for `recordFromColumns`. */
export const LISTED_COLUMNS = ['record'];

/** The search filters for `query`; every one of them keeps bindings out, as only records have a source. */
export function listingFilters(query: ListQuery): TableStore.Query[] {
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

/** `name=value`, with `%` and `=` in the name escaped so the first `=` always ends it. */
function varTerm(name: string, value: string): string {
  return `${name.replace(/[%=]/g, (c) => (c === '%' ? '%25' : '%3D'))}=${value}`;
}
