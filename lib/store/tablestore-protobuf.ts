import { encodeVariant, type Cell } from './tablestore-plainbuffer.js';

/**
 * The protocol-buffer messages of PutRow, GetRow and BatchGetRow, written by hand from the SDK's
 * `.proto` files (`tablestore` 5.6.5: `lib/protocol/tablestore.proto`, `tablestore_filter.proto`) and
 * encoded field for field as its compiled encoders (`tablestore_compiled_proto.js`) write them, with
 * the fields its `lib/protocol/encoder.js` sets. Only these calls: the rest of the protocol stays
 * with the SDK, which only the CLI loads.
 */

/** `RowExistenceExpectation`. */
export const RowExistence = { IGNORE: 0, EXPECT_EXIST: 1, EXPECT_NOT_EXIST: 2 } as const;
/** `filter.proto.ComparatorType`. */
export const Comparator = { EQUAL: 1, NOT_EQUAL: 2, GREATER_THAN: 3, GREATER_EQUAL: 4, LESS_THAN: 5, LESS_EQUAL: 6 } as const;

/** `SingleColumnValueFilter` as a condition: `column <comparator> value`. */
export interface ColumnCondition {
  column: string;
  comparator: (typeof Comparator)[keyof typeof Comparator];
  value: Cell;
  /** Whether a row without the column passes (the SDK's default: true). */
  passIfMissing: boolean;
  /** Compare the newest version only (the SDK's default: true). */
  latestVersionOnly: boolean;
}

export interface Condition {
  rowExistence: (typeof RowExistence)[keyof typeof RowExistence];
  column?: ColumnCondition;
}

/** `filter.proto.FilterType.FT_SINGLE_COLUMN_VALUE`. */
const FT_SINGLE_COLUMN_VALUE = 1;
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** One message's fields, in the order they are added. */
class Message {
  readonly #parts: Buffer[] = [];

  #varint(value: number): void {
    const bytes: number[] = [];
    // Enums and int32 fields here are never negative; a negative one would need 10 bytes.
    while (value > 0x7f) {
      bytes.push((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    bytes.push(value);
    this.#parts.push(Buffer.from(bytes));
  }

  int(field: number, value: number): this {
    this.#varint((field << 3) | VARINT);
    this.#varint(value);
    return this;
  }

  bool(field: number, value: boolean): this {
    return this.int(field, value ? 1 : 0);
  }

  bytes(field: number, value: Uint8Array): this {
    this.#varint((field << 3) | LENGTH_DELIMITED);
    this.#varint(value.length);
    this.#parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  finish(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

/** `Filter { type: FT_SINGLE_COLUMN_VALUE, filter: SingleColumnValueFilter }` (SDK `_makeSingleColumnCondition`). */
function encodeColumnCondition({ column, comparator, value, passIfMissing, latestVersionOnly }: ColumnCondition): Buffer {
  const single = new Message().int(1, comparator).string(2, column).bytes(3, encodeVariant(value)).bool(4, !passIfMissing).bool(5, latestVersionOnly).finish();
  return new Message().int(1, FT_SINGLE_COLUMN_VALUE).bytes(2, single).finish();
}

/** `PutRowRequest { table_name, row, condition }`. */
export function encodePutRowRequest(tableName: string, row: Buffer, condition: Condition): Buffer {
  const encoded = new Message().int(1, condition.rowExistence);
  if (condition.column) encoded.bytes(2, encodeColumnCondition(condition.column));
  return new Message().string(1, tableName).bytes(2, row).bytes(3, encoded.finish()).finish();
}

/** `GetRowRequest { table_name, primary_key, columns_to_get, max_versions: 1 }`: the newest version, as the SDK asks by default. */
export function encodeGetRowRequest(tableName: string, primaryKey: Buffer, columnsToGet: readonly string[] = []): Buffer {
  const message = new Message().string(1, tableName).bytes(2, primaryKey);
  for (const column of columnsToGet) message.string(3, column);
  return message.int(5, 1).finish();
}

/** `BatchGetRowRequest { tables: [{ table_name, primary_key…, columns_to_get, max_versions: 1 }] }` for one table. */
export function encodeBatchGetRowRequest(tableName: string, primaryKeys: readonly Buffer[], columnsToGet: readonly string[] = []): Buffer {
  const table = new Message().string(1, tableName);
  for (const key of primaryKeys) table.bytes(2, key);
  for (const column of columnsToGet) table.string(4, column);
  table.int(6, 1);
  return new Message().bytes(1, table.finish()).finish();
}

/** An answer that is not the message it should be. */
class ProtobufError extends Error {
  constructor(message: string) {
    super(`malformed Tablestore answer: ${message}`);
    this.name = 'ProtobufError';
  }
}

type Field = { field: number; value: number } | { field: number; value: Buffer };

/** The fields of one message, in order; unknown fields are kept for the caller to ignore. */
function fieldsOf(bytes: Buffer): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (at >= bytes.length) throw new ProtobufError('a varint runs past the end');
      const byte = bytes[at++]!;
      // Past 2^53 only int64 fields, which none of these messages reads, lose precision.
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw new ProtobufError('a varint is longer than 10 bytes');
  };
  const skip = (length: number) => {
    if (at + length > bytes.length) throw new ProtobufError('a field runs past the end');
    const start = at;
    at += length;
    return bytes.subarray(start, at);
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    switch (key % 8) {
      case VARINT:
        fields.push({ field, value: varint() });
        break;
      case LENGTH_DELIMITED:
        fields.push({ field, value: skip(varint()) });
        break;
      case FIXED64:
        skip(8);
        break;
      case FIXED32:
        skip(4);
        break;
      default:
        throw new ProtobufError(`unsupported wire type ${key % 8}`);
    }
  }
  return fields;
}

/** Every value of a length-delimited field (repeated messages, bytes, strings). */
const repeated = (fields: Field[], field: number): Buffer[] => fields.flatMap((each) => (each.field === field && Buffer.isBuffer(each.value) ? [each.value] : []));

/** The last value of a length-delimited field, as protocol buffers take a repeated singular field. */
const bytesField = (fields: Field[], field: number): Buffer | undefined => repeated(fields, field).at(-1);

/** `Error { code, message }`, the body of every refusal; undefined when the body is not one (a proxy's page). */
export function decodeError(body: Buffer): { code: string; message: string } | undefined {
  try {
    const fields = fieldsOf(body);
    const code = bytesField(fields, 1)?.toString('utf8');
    if (!code || !/^[A-Za-z][A-Za-z0-9]*$/.test(code)) return undefined;
    return { code, message: bytesField(fields, 2)?.toString('utf8') ?? '' };
  } catch {
    return undefined;
  }
}

/** `GetRowResponse.row`: a PlainBuffer row, empty when there is no such row. */
export function decodeGetRowResponse(body: Buffer): Buffer {
  const row = bytesField(fieldsOf(body), 2);
  if (!row) throw new ProtobufError('GetRowResponse has no row');
  return row;
}

type BatchRow = { ok: true; row: Buffer } | { ok: false; error: { code: string; message: string } };

/** `BatchGetRowResponse`: the rows of `tableName`, in the order asked for. */
export function decodeBatchGetRowResponse(body: Buffer, tableName: string): BatchRow[] {
  const table = repeated(fieldsOf(body), 1)
    .map(fieldsOf)
    .find((fields) => bytesField(fields, 1)?.toString('utf8') === tableName);
  if (!table) throw new ProtobufError(`BatchGetRowResponse has no table ${tableName}`);
  return repeated(table, 2).map((bytes) => {
    const row = fieldsOf(bytes);
    const isOk = row.findLast((field) => field.field === 1)?.value;
    if (isOk === 1) return { ok: true, row: bytesField(row, 4) ?? Buffer.alloc(0) };
    if (isOk !== 0) throw new ProtobufError('a BatchGetRow row has no is_ok');
    const error = bytesField(row, 2);
    return { ok: false, error: (error && decodeError(error)) ?? { code: 'UnknownRowError', message: 'BatchGetRow failed this row without saying why' } };
  });
}
