/** The upload record: one per upload, written once, answered to OSS and listed by the CLI. */
export interface ImageInfo {
  width: number;
  height: number;
  format: string;
}

export interface UploadRecord {
  /** The OSS request id (`reqId`) when the body carries it, otherwise SHA-256 of the signed bytes. */
  id: string;
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
  /** Every template field that is not a system variable, under the name the template gave it. */
  vars: Record<string, string>;
  /** Who the upload ticket was issued to, when tickets are required; otherwise null. */
  uploader: string | null;
  /** ISO 8601, when the first delivery was received. */
  receivedAt: string;
}
