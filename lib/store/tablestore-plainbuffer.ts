import { setOwnField } from '../own-field.js';

/**
 * PlainBuffer, the format Tablestore carries rows in inside its protocol buffers: PutRow's row, the
 * primary key GetRow and BatchGetRow ask for, a column condition's operand, and the rows that come
 * back. Written from the official SDK (`tablestore` 5.6.5: `lib/protocol/plian_buffer_builder.js`,
 * `plain_buffer_coded_stream.js`, `plain_buffer_crc8.js`, `plain_buffer_consts.js`), byte for byte
 * for the cells this product writes; test/unit/store/tablestore-oracle.test.ts compares the two.
 *
 * A row is a 32-bit header, the primary-key cells, the attribute cells, and a row checksum. Each cell
 * is tagged (name, value, optional timestamp) and ends with a CRC-8 of its name and value; the row's
 * CRC-8 runs over the cells' checksums and a delete-marker byte.
 */

/** A cell's value: STRING, INTEGER (int64 as bigint), DOUBLE, BOOLEAN or BINARY. */
export type Cell = string | bigint | number | boolean | Buffer;
/** Named cells in order: a primary key, or a row's attribute columns. */
export type Cells = Record<string, Cell>;

export interface PlainRow {
  primaryKey: Cells;
  columns: Cells;
}

const HEADER = 0x75;
const TAG_ROW_PK = 0x1;
const TAG_ROW_DATA = 0x2;
const TAG_CELL = 0x3;
const TAG_CELL_NAME = 0x4;
const TAG_CELL_VALUE = 0x5;
const TAG_CELL_TYPE = 0x6;
const TAG_CELL_TIMESTAMP = 0x7;
const TAG_DELETE_ROW_MARKER = 0x8;
const TAG_ROW_CHECKSUM = 0x9;
const TAG_CELL_CHECKSUM = 0xa;

const VT_INTEGER = 0x0;
const VT_DOUBLE = 0x1;
const VT_BOOLEAN = 0x2;
const VT_STRING = 0x3;
const VT_BLOB = 0x7;

/** CRC-8 with polynomial 0x07, the table `plain_buffer_crc8.js` spells out. */
const CRC8_TABLE = Uint8Array.from({ length: 256 }, (_, byte) => {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  return crc;
});

function crc8(crc: number, bytes: Uint8Array): number {
  for (const byte of bytes) crc = CRC8_TABLE[(crc ^ byte) & 0xff]!;
  return crc;
}

const crcByte = (crc: number, byte: number) => CRC8_TABLE[(crc ^ byte) & 0xff]!;

/** Column and primary-key names as Tablestore accepts them; the SDK writes a name's length in characters, so only these encode the same. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

/** A value as the bytes after its cell's length: the type byte, then the value (strings and blobs with their own length). */
export function encodeVariant(value: Cell): Buffer {
  if (typeof value === 'string') return withLength(VT_STRING, Buffer.from(value, 'utf8'));
  if (Buffer.isBuffer(value)) return withLength(VT_BLOB, value);
  if (typeof value === 'boolean') return Buffer.from([VT_BOOLEAN, value ? 1 : 0]);
  const bytes = Buffer.alloc(9);
  if (typeof value === 'bigint') {
    bytes[0] = VT_INTEGER;
    bytes.writeBigInt64LE(value, 1);
  } else {
    bytes[0] = VT_DOUBLE;
    bytes.writeDoubleLE(value, 1);
  }
  return bytes;
}

function withLength(type: number, data: Buffer): Buffer {
  const bytes = Buffer.alloc(5 + data.length);
  bytes[0] = type;
  bytes.writeUInt32LE(data.length, 1);
  data.copy(bytes, 5);
  return bytes;
}

/** Bytes written in order, growing as needed. */
class Output {
  #buffer = Buffer.alloc(256);
  #length = 0;

  #room(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return;
    const grown = Buffer.alloc(Math.max(this.#buffer.length * 2, this.#length + bytes));
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }

  byte(value: number): void {
    this.#room(1);
    this.#buffer[this.#length++] = value;
  }

  uint32(value: number): void {
    this.#room(4);
    this.#buffer.writeUInt32LE(value, this.#length);
    this.#length += 4;
  }

  bytes(value: Uint8Array): void {
    this.#room(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
  }

  done(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }
}

/** One cell: name, value, checksum; returns the row checksum with this cell's folded in. */
function writeCell(out: Output, name: string, value: Cell, rowChecksum: number): number {
  if (!NAME.test(name)) throw new TypeError(`"${name}" is not a Tablestore column name`);
  const nameBytes = Buffer.from(name, 'latin1');
  const variant = encodeVariant(value);
  out.byte(TAG_CELL);
  out.byte(TAG_CELL_NAME);
  out.uint32(nameBytes.length);
  out.bytes(nameBytes);
  out.byte(TAG_CELL_VALUE);
  out.uint32(variant.length);
  out.bytes(variant);
  const cellChecksum = crc8(crc8(0, nameBytes), variant);
  out.byte(TAG_CELL_CHECKSUM);
  out.byte(cellChecksum);
  return crcByte(rowChecksum, cellChecksum);
}

/** A row to write (PutRow), or with no columns a primary key to read (GetRow, BatchGetRow). */
export function encodeRow(primaryKey: Cells, columns: Cells = {}): Buffer {
  const out = new Output();
  out.uint32(HEADER);
  out.byte(TAG_ROW_PK);
  let checksum = 0;
  for (const [name, value] of Object.entries(primaryKey)) checksum = writeCell(out, name, value, checksum);
  const attributes = Object.entries(columns);
  if (attributes.length > 0) out.byte(TAG_ROW_DATA);
  for (const [name, value] of attributes) checksum = writeCell(out, name, value, checksum);
  // No delete marker: a 0 goes into the checksum in its place.
  out.byte(TAG_ROW_CHECKSUM);
  out.byte(crcByte(checksum, 0));
  return out.done();
}

/** Tablestore sent a row this reader cannot take: a broken or foreign answer, never retried. */
class PlainBufferError extends Error {
  constructor(message: string) {
    super(`malformed PlainBuffer row: ${message}`);
    this.name = 'PlainBufferError';
  }
}

/** Bytes read in order, every read checked against the end. */
class Input {
  #at = 0;
  #tag = 0;

  constructor(readonly bytes: Buffer) {}

  #take(length: number): Buffer {
    if (length < 0 || this.#at + length > this.bytes.length) throw new PlainBufferError('it ends too soon');
    const taken = this.bytes.subarray(this.#at, this.#at + length);
    this.#at += length;
    return taken;
  }

  byte(): number {
    return this.#take(1)[0]!;
  }

  uint32(): number {
    return this.#take(4).readUInt32LE(0);
  }

  bytesOf(length: number): Buffer {
    return this.#take(length);
  }

  nextTag(): number {
    this.#tag = this.#at < this.bytes.length ? this.byte() : 0;
    return this.#tag;
  }

  /** The tag just read; 0 at the end. */
  tag(): number {
    return this.#tag;
  }

  expect(tag: number, what: string): void {
    if (this.#tag !== tag) throw new PlainBufferError(`expected ${what}, found tag ${this.#tag}`);
  }

  get atEnd(): boolean {
    return this.#at === this.bytes.length;
  }
}

/** A cell's value from its bytes after the length: type byte first. */
function decodeVariant(variant: Buffer): Cell {
  const type = variant[0];
  const data = variant.subarray(1);
  const sized = () => {
    if (data.length < 4 || data.readUInt32LE(0) !== data.length - 4) throw new PlainBufferError('a value has the wrong length');
    return data.subarray(4);
  };
  const fixed = (length: number) => {
    if (data.length !== length) throw new PlainBufferError('a value has the wrong length');
    return data;
  };
  switch (type) {
    case VT_STRING:
      return sized().toString('utf8');
    case VT_BLOB:
      return Buffer.from(sized());
    case VT_INTEGER:
      return fixed(8).readBigInt64LE(0);
    case VT_DOUBLE:
      return fixed(8).readDoubleLE(0);
    case VT_BOOLEAN:
      return fixed(1)[0] !== 0;
  }
  throw new PlainBufferError(`unknown value type ${type}`);
}

/** One cell, its checksum verified; the timestamp, when there is one, is checked and dropped. */
function readCell(input: Input, rowChecksum: number, key: boolean): { name: string; value: Cell | undefined; rowChecksum: number } {
  input.nextTag();
  input.expect(TAG_CELL_NAME, 'a cell name');
  const nameBytes = input.bytesOf(input.uint32());
  let checksum = crc8(0, nameBytes);
  let value: Cell | undefined;
  if (input.nextTag() === TAG_CELL_VALUE) {
    const variant = input.bytesOf(input.uint32());
    value = decodeVariant(variant);
    checksum = crc8(checksum, variant);
    input.nextTag();
  } else if (key) {
    throw new PlainBufferError('a primary-key cell has no value');
  }
  if (input.tag() === TAG_CELL_TYPE) {
    checksum = crcByte(checksum, input.byte());
    input.nextTag();
  }
  if (input.tag() === TAG_CELL_TIMESTAMP) {
    checksum = crc8(checksum, input.bytesOf(8));
    input.nextTag();
  }
  input.expect(TAG_CELL_CHECKSUM, 'a cell checksum');
  if (input.byte() !== checksum) throw new PlainBufferError('a cell checksum does not match');
  input.nextTag();
  return { name: nameBytes.toString('utf8'), value, rowChecksum: crcByte(rowChecksum, checksum) };
}

/** The row a PlainBuffer holds (GetRow's, a BatchGetRow row's), checksums verified. No row comes as no bytes at all, which the caller tells apart. */
export function decodeRow(bytes: Buffer): PlainRow {
  const input = new Input(bytes);
  if (bytes.length < 4 || input.uint32() !== HEADER) throw new PlainBufferError('no PlainBuffer header');
  input.nextTag();
  const row: PlainRow = { primaryKey: {}, columns: {} };
  let checksum = 0;
  if (input.tag() === TAG_ROW_PK) {
    input.nextTag();
    while (input.tag() === TAG_CELL) {
      const cell = readCell(input, checksum, true);
      setOwnField(row.primaryKey, cell.name, cell.value as Cell);
      checksum = cell.rowChecksum;
    }
  }
  if (input.tag() === TAG_ROW_DATA) {
    input.nextTag();
    while (input.tag() === TAG_CELL) {
      const cell = readCell(input, checksum, false);
      // One version is asked for; a repeated name would be an older version, and the first is the newest.
      if (cell.value !== undefined && !Object.hasOwn(row.columns, cell.name)) setOwnField(row.columns, cell.name, cell.value);
      checksum = cell.rowChecksum;
    }
  }
  const deleted = input.tag() === TAG_DELETE_ROW_MARKER;
  if (deleted) input.nextTag();
  checksum = crcByte(checksum, deleted ? 1 : 0);
  input.expect(TAG_ROW_CHECKSUM, 'the row checksum');
  if (input.byte() !== checksum) throw new PlainBufferError('the row checksum does not match');
  if (!input.atEnd) throw new PlainBufferError('bytes follow the row');
  return row;
}
