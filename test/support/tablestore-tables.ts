import type { DocumentedError } from './tablestore-errors.js';
import {
  ComparatorType,
  FilterType,
  LogicalOperator,
  isInt64,
  readPlainRow,
  readVariant,
  wire,
  writePlainRow,
  type Cell,
  type ConditionMessage,
  type FieldSchemaMessage,
  type FilterMessage,
} from './tablestore-wire.js';

/**
 * The tables behind the test server: rows and their cells, primary-key schemas, table options and
 * search-index schemas, with Tablestore's rules for conditional writes. Every operation runs to the
 * end without awaiting, so one request is atomic against every other, as a row write is in Tablestore.
 */

/** A refusal in Tablestore's terms: HTTP status, error code and message, as the service documents them. */
export class OtsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const invalid = (message: string) => new OtsError(400, 'OTSParameterInvalid', message);

/**
 * What this server answers where Tablestore's documentation says nothing: a status and a code no
 * client could mistake for Tablestore's, so a test that depends on such behaviour fails instead of
 * passing on a guess.
 */
export const undocumented = (what: string) => new OtsError(501, 'NotDocumentedByTablestore', `Tablestore does not document ${what}; this test server does not guess.`);

/** The first `count` rows of one BatchGetRow fail one by one with `error`. */
export interface RowFault {
  count: number;
  error: DocumentedError;
}

/** BatchGetRow takes at most 100 rows (error-code reference: "Rows count exceeds the upper limit"). */
const BATCH_GET_LIMIT = 100;

export interface PrimaryKeyColumn {
  name: string;
  type: number;
}

export interface StoredRow {
  primaryKey: Array<{ name: string; value: Cell }>;
  cells: Map<string, { value: Cell; timestamp: number }>;
  /** When the row was last written, from which its search index entry lags. */
  writtenAt: number;
}

export interface Table {
  name: string;
  primaryKey: PrimaryKeyColumn[];
  timeToLive: number;
  maxVersions: number;
  createdAt: number;
  rows: Map<string, StoredRow>;
  searchIndexes: Map<string, FieldSchemaMessage[]>;
}

/** `PrimaryKeyType` in `tablestore.proto`. */
const PK_TYPE = { INTEGER: 1, STRING: 2, BINARY: 3 } as const;
/** `RowExistenceExpectation` in `tablestore.proto`. */
const ROW_EXISTENCE = { IGNORE: 0, EXPECT_EXIST: 1, EXPECT_NOT_EXIST: 2 } as const;

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

export class Tables {
  readonly #tables = new Map<string, Table>();

  createTable(body: Uint8Array): Uint8Array {
    const request = wire.CreateTableRequest.decode(body);
    const { tableName, primaryKey } = request.tableMeta;
    if (!NAME.test(tableName)) throw invalid(`Invalid table name: '${tableName}'.`);
    if (this.#tables.has(tableName)) throw new OtsError(409, 'OTSObjectAlreadyExist', 'Requested table already exists.');
    if (primaryKey.length < 1 || primaryKey.length > 4) throw invalid('The number of primary key columns must be in range: [1, 4].');
    for (const column of primaryKey) {
      if (!NAME.test(column.name)) throw invalid(`Invalid column name: '${column.name}'.`);
      if (!Object.values(PK_TYPE).includes(column.type as never)) throw invalid(`Invalid primary key type of '${column.name}'.`);
    }
    const options = request.tableOptions;
    const timeToLive = options?.timeToLive ?? 0;
    const maxVersions = options?.maxVersions ?? 0;
    if (timeToLive !== -1 && timeToLive < 86_400) throw invalid('TimeToLive must be -1 or at least 86400 seconds.');
    if (maxVersions < 1) throw invalid('MaxVersions must be at least 1.');
    if (request.indexMetas.length > 0) throw invalid('Secondary indexes are not supported by this test server.');
    this.#tables.set(tableName, {
      name: tableName,
      primaryKey: primaryKey.map(({ name, type }) => ({ name, type })),
      timeToLive,
      maxVersions,
      createdAt: Math.floor(Date.now() / 1000),
      rows: new Map(),
      searchIndexes: new Map(),
    });
    return wire.CreateTableResponse.encode({}).finish();
  }

  describeTable(body: Uint8Array): Uint8Array {
    const table = this.table(wire.DescribeTableRequest.decode(body).tableName);
    return wire.DescribeTableResponse.encode({
      tableMeta: { tableName: table.name, primaryKey: table.primaryKey, definedColumn: [] },
      reservedThroughputDetails: { capacityUnit: { read: 0, write: 0 }, lastIncreaseTime: table.createdAt },
      tableOptions: { timeToLive: table.timeToLive, maxVersions: table.maxVersions, deviationCellVersionInSec: 86_400, allowUpdate: true },
      tableStatus: 1, // ACTIVE
      shardSplits: [],
      indexMetas: [],
    }).finish();
  }

  putRow(body: Uint8Array): Uint8Array {
    const request = wire.PutRowRequest.decode(body);
    const table = this.table(request.tableName);
    const row = readPlainRow(request.row);
    const key = primaryKeyOf(table, row.primaryKey);
    checkCondition(request.condition, table.rows.get(key));
    const now = Date.now();
    const cells = new Map<string, { value: Cell; timestamp: number }>();
    for (const { columnName, columnValue, timestamp } of row.attributes) {
      if (!NAME.test(columnName) || table.primaryKey.some((column) => column.name === columnName)) {
        throw invalid(`Invalid column name: '${columnName}'.`);
      }
      if (columnValue === null) throw invalid(`The column '${columnName}' of a PutRow has no value.`);
      cells.set(columnName, { value: columnValue, timestamp: timestamp ? timestamp.toNumber() : now });
    }
    // PutRow replaces the whole row.
    table.rows.set(key, { primaryKey: row.primaryKey, cells, writtenAt: now });
    return wire.PutRowResponse.encode({ consumed: writeCapacity() }).finish();
  }

  getRow(body: Uint8Array): Uint8Array {
    const request = wire.GetRowRequest.decode(body);
    const table = this.table(request.tableName);
    if (!request.maxVersions && !request.timeRange) throw invalid('Neither column max versions nor time range is set.');
    if (request.filter.length > 0) throw invalid('Row filters are not supported by this test server.');
    const stored = table.rows.get(primaryKeyOf(table, readPlainRow(request.primaryKey).primaryKey));
    // No columns to get means all of them.
    const wanted = request.columnsToGet.length > 0 ? new Set(request.columnsToGet) : undefined;
    const row = stored ? encodeRow(stored, wanted) : Buffer.alloc(0);
    return wire.GetRowResponse.encode({ consumed: { capacityUnit: { read: 1, write: 0 } }, row }).finish();
  }

  /**
   * Rows of one table or more, each answered on its own: the row, an empty row when there is none,
   * or a failure injected by `fault`. A request asking for a row twice, for no row, for more than 100
   * rows or naming a table twice is refused whole, as the error-code reference lists.
   */
  batchGetRow(body: Uint8Array, fault: RowFault | undefined): Uint8Array {
    const request = wire.BatchGetRowRequest.decode(body);
    const names = request.tables.map((table) => table.tableName);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined) throw invalid(`Duplicated table name: '${duplicate}'.`);
    const count = request.tables.reduce((sum, table) => sum + table.primaryKey.length, 0);
    if (count === 0) throw invalid('No row specified in the request of BatchGetRow.');
    if (count > BATCH_GET_LIMIT) throw invalid(`Rows count exceeds the upper limit:${BATCH_GET_LIMIT}.`);
    let failing = fault?.count ?? 0;
    const tables = request.tables.map((asked) => {
      const table = this.table(asked.tableName);
      if (!asked.maxVersions && !asked.timeRange) throw invalid('Neither column max versions nor time range is set.');
      if (asked.filter.length > 0) throw invalid('Row filters are not supported by this test server.');
      const keys = asked.primaryKey.map((bytes) => primaryKeyOf(table, readPlainRow(bytes).primaryKey));
      if (new Set(keys).size !== keys.length) throw invalid('Duplicate rows detected in MultiGet.');
      const wanted = asked.columnsToGet.length > 0 ? new Set(asked.columnsToGet) : undefined;
      const rows = keys.map((key) => {
        if (fault && failing > 0) {
          failing--;
          return { isOk: false, error: { code: fault.error.code, message: fault.error.message } };
        }
        const stored = table.rows.get(key);
        return { isOk: true, consumed: { capacityUnit: { read: 1, write: 0 } }, row: stored ? encodeRow(stored, wanted) : Buffer.alloc(0) };
      });
      return { tableName: table.name, rows };
    });
    return wire.BatchGetRowResponse.encode({ tables }).finish();
  }

  /** Delete a row by its primary-key values, as another client could at any moment. */
  removeRow(tableName: string, primaryKey: string[]): void {
    this.table(tableName).rows.delete(rowKey(primaryKey));
  }

  /** The named table, or Tablestore's answer for a table that does not exist. */
  table(name: string): Table {
    const table = this.#tables.get(name);
    if (!table) throw new OtsError(404, 'OTSObjectNotExist', 'Requested table does not exist.');
    return table;
  }

  all(): Table[] {
    return [...this.#tables.values()];
  }
}

/** The primary key and the `wanted` cells (all when undefined) as a PlainBuffer row. */
export function encodeRow(row: StoredRow, wanted?: Set<string>): Buffer {
  const cells = [...row.cells].filter(([name]) => !wanted || wanted.has(name)).map(([name, cell]) => ({ name, ...cell }));
  return writePlainRow(row.primaryKey, cells);
}

function writeCapacity() {
  return { capacityUnit: { read: 0, write: 1 } };
}

/** The row's key in the table's map, after checking it against the table's primary-key schema. */
function primaryKeyOf(table: Table, primaryKey: Array<{ name: string; value: Cell }>): string {
  if (primaryKey.length !== table.primaryKey.length) throw new OtsError(400, 'OTSInvalidPK', 'Validate PK size fail.');
  return rowKey(
    primaryKey.map(({ name, value }, index) => {
      const column = table.primaryKey[index];
      if (column?.name !== name) throw new OtsError(400, 'OTSInvalidPK', 'Validate PK name fail.');
      const fits =
        (column.type === PK_TYPE.STRING && typeof value === 'string') ||
        (column.type === PK_TYPE.INTEGER && isInt64(value)) ||
        (column.type === PK_TYPE.BINARY && Buffer.isBuffer(value));
      if (!fits) throw new OtsError(400, 'OTSInvalidPK', 'Validate PK type fail.');
      return Buffer.isBuffer(value) ? value.toString('hex') : String(value);
    }),
  );
}

/** The key of a row in its table's map: its primary-key values as text (blobs in hex). */
function rowKey(values: string[]): string {
  return JSON.stringify(values);
}

/**
 * As the conditional-update documentation describes it: the row existence condition first (failing
 * it is OTSConditionCheckFail), then the column condition over the cells of the row, where a
 * condition on a missing column passes when it says so (`pass_if_missing`). What a column condition
 * does on a row that does not exist (IGNORE or EXPECT_NOT_EXIST with no row) is documented nowhere:
 * this server answers `undocumented`. Each cell keeps one version here, so `latest_version_only`
 * changes nothing.
 */
function checkCondition(condition: ConditionMessage, row: StoredRow | undefined): void {
  const expected = condition.rowExistence;
  if (!Object.values(ROW_EXISTENCE).includes(expected as never)) throw invalid(`Invalid row-existence expectation: ${expected}.`);
  const existenceHolds =
    expected === ROW_EXISTENCE.IGNORE || (expected === ROW_EXISTENCE.EXPECT_EXIST ? row !== undefined : row === undefined);
  if (!existenceHolds) throw new OtsError(403, 'OTSConditionCheckFail', 'Condition check failed.');
  if (condition.columnCondition.length === 0) return;
  if (!row) throw undocumented('what a column condition does on a row that does not exist');
  if (!passes(wire.Filter.decode(condition.columnCondition), row.cells)) throw new OtsError(403, 'OTSConditionCheckFail', 'Condition check failed.');
}

function passes(filter: FilterMessage, cells: Map<string, { value: Cell }>): boolean {
  if (filter.type === FilterType.FT_SINGLE_COLUMN_VALUE) {
    const single = wire.SingleColumnValueFilter.decode(filter.filter);
    const cell = cells.get(single.columnName);
    // filter_if_missing is the SDK's `!passIfMissing`.
    if (!cell) return !single.filterIfMissing;
    const order = compareCells(cell.value, readVariant(single.columnValue));
    return order !== undefined && holds(single.comparator, order);
  }
  if (filter.type === FilterType.FT_COMPOSITE_COLUMN_VALUE) {
    const composite = wire.CompositeColumnValueFilter.decode(filter.filter);
    const results = composite.subFilters.map((sub) => passes(sub, cells));
    switch (composite.combinator) {
      case LogicalOperator.LO_NOT:
        if (results.length !== 1) throw invalid('A NOT condition takes exactly one sub-condition.');
        return !results[0];
      case LogicalOperator.LO_AND:
        return results.every(Boolean);
      case LogicalOperator.LO_OR:
        return results.some(Boolean);
    }
    throw invalid(`Invalid logical operator: ${composite.combinator}.`);
  }
  throw invalid(`Invalid column condition type: ${filter.type}.`);
}

function holds(comparator: number, order: number): boolean {
  switch (comparator) {
    case ComparatorType.CT_EQUAL:
      return order === 0;
    case ComparatorType.CT_NOT_EQUAL:
      return order !== 0;
    case ComparatorType.CT_GREATER_THAN:
      return order > 0;
    case ComparatorType.CT_GREATER_EQUAL:
      return order >= 0;
    case ComparatorType.CT_LESS_THAN:
      return order < 0;
    case ComparatorType.CT_LESS_EQUAL:
      return order <= 0;
  }
  throw invalid(`Invalid comparator: ${comparator}.`);
}

/**
 * The order of two cells of one type: strings and blobs bytewise, integers as signed 64-bit numbers.
 * Cells of different types do not compare (undefined), so a condition over them fails.
 */
export function compareCells(a: Cell, b: Cell): number | undefined {
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b));
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  if (isInt64(a) && isInt64(b)) return Math.sign(Number(BigInt(a.toString()) - BigInt(b.toString())));
  if (typeof a === 'number' && typeof b === 'number') return Math.sign(a - b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return undefined;
}
