import type { Binding, StoredUpload } from './port.js';
import type { UploadRecord } from './record.js';
import type { Cells } from './tablestore-plainbuffer.js';

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
 * clean-up only). No upload id starts with `binding:` (ids are SHA-256 hex, or for a callback without
 * an ETag its request id or signed bytes' digest), and a binding row has no `source`, which every
 * listing filters on, so bindings are never read as records or listed. The search index over these
 * rows is in `tablestore-admin.ts`.
 */

const BINDING_PREFIX = 'binding:';

/** The row a binding is kept in, apart from every upload id. */
export function bindingRowId(key: string): string {
  return `${BINDING_PREFIX}${key}`;
}

/** An id that names a binding row is never an upload's. */
export function isBindingRowId(id: string): boolean {
  return id.startsWith(BINDING_PREFIX);
}

export function bindingColumns({ value, expiresAt }: Binding): Cells {
  return { boundTo: value, expiresAt: BigInt(expiresAt) };
}

export function boundValue(id: string, columns: Cells): string {
  const value = columns.boundTo;
  if (typeof value !== 'string') throw new Error(`the Tablestore row ${id} is not a binding`);
  return value;
}

export function uploadColumns({ record, fingerprint }: StoredUpload): Cells {
  const columns: Cells = {
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

export function uploadFromColumns(id: string, columns: Cells): StoredUpload {
  const { fingerprint } = columns;
  if (typeof fingerprint !== 'string') throw notARecord(id);
  return { record: recordFromColumns(id, columns), fingerprint };
}

export function recordFromColumns(id: string, columns: Readonly<Record<string, unknown>>): UploadRecord {
  const { record } = columns;
  if (typeof record !== 'string') throw notARecord(id);
  return JSON.parse(record) as UploadRecord;
}

const notARecord = (id: string) => new Error(`the Tablestore row ${id} is not an upload record as this version writes them (record and fingerprint)`);

/** `name=value`, with `%` and `=` in the name escaped so the first `=` always ends it. */
export function varTerm(name: string, value: string): string {
  return `${name.replace(/[%=]/g, (c) => (c === '%' ? '%25' : '%3D'))}=${value}`;
}
