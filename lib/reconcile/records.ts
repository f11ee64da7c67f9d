import { createHash } from 'node:crypto';
import type { ObjectFacts } from '../oss/head-object.js';
import type { StoredUpload } from '../store/port.js';
import type { UploadRecord } from '../store/record.js';
import { uploadId } from '../store/upload-id.js';

/** What a record made without a callback holds: HeadObject's facts, or an event's, and what the event adds. */
export interface UploadFacts extends ObjectFacts {
  operation: string | null;
  reqId: string | null;
  clientIp: string | null;
}

/**
 * The record of an upload heard of from a listing (`reconcile`) or an OSS event (`event`). Its id is
 * the upload's (bucket, key, ETag), the one a callback with `${etag}` gets, so whichever comes first
 * holds the id and a callback's record replaces it. Its fingerprint is the SHA-256 of the facts it was
 * made from. Custom variables and the uploader only a callback can give.
 */
export function recordOf(source: 'reconcile' | 'event', facts: UploadFacts, receivedAt: Date): StoredUpload {
  const fingerprint = createHash('sha256').update(JSON.stringify({ source, ...facts })).digest('hex');
  const record: UploadRecord = {
    id: uploadId({ bucket: facts.bucket, object: facts.key, etag: facts.etag }, { facts: fingerprint }),
    source,
    bucket: facts.bucket,
    object: facts.key,
    etag: facts.etag,
    size: facts.size,
    mimeType: facts.contentType,
    crc64: facts.crc64,
    contentMd5: facts.contentMd5,
    operation: facts.operation,
    reqId: facts.reqId,
    clientIp: facts.clientIp,
    vpcId: null,
    image: null,
    vars: {},
    uploader: null,
    lastModified: facts.lastModified,
    metadata: facts.metadata,
    receivedAt: receivedAt.toISOString(),
  };
  return { record, fingerprint };
}
