/** The upload record: one per upload, written once, answered to OSS and listed by the CLI. */

/** Where a record came from: OSS's signed callback, a listing of the bucket, or an OSS event. */
export type RecordSource = 'callback' | 'reconcile' | 'event';

export const RECORD_SOURCES: readonly RecordSource[] = ['callback', 'reconcile', 'event'];
export interface ImageInfo {
  width: number;
  height: number;
  format: string;
}

export interface UploadRecord {
  /** The upload's id: see `uploadId` (bucket, object and ETag; without an ETag, `req:<reqId>`, `sig:<fingerprint>` or `facts:<fingerprint>`). */
  id: string;
  source: RecordSource;
  bucket: string;
  object: string;
  etag: string | null;
  size: number | null;
  mimeType: string | null;
  /** CRC-64/ECMA-182 as an exact decimal string: it does not fit a JS number. */
  crc64: string | null;
  contentMd5: string | null;
  operation: string | null;
  reqId: string | null;
  clientIp: string | null;
  vpcId: string | null;
  image: ImageInfo | null;
  /** Every template field that is not a system variable, under the name the template gave it; callbacks only. */
  vars: Record<string, string>;
  /**
   * ISO 8601, when OSS last modified the object: HeadObject's Last-Modified, or an event's time. Null
   * in a callback's record: OSS's callback variables do not carry it.
   */
  lastModified: string | null;
  /** User metadata (`x-oss-meta-<name>`, keyed by `<name>`) from HeadObject or an event; {} for a callback. */
  metadata: Record<string, string>;
  /** Who the upload ticket was issued to, when tickets are required; otherwise null. */
  uploader: string | null;
  /** ISO 8601, when the record was first made (the callback received, the object listed, the event). */
  receivedAt: string;
}
