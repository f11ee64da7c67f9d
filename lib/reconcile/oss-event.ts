import { isoDate } from '../oss/head-object.js';
import { setOwnField } from '../own-field.js';
import { normalEtag } from '../store/upload-id.js';
import type { UploadFacts } from './records.js';

/**
 * OSS event notifications as a Function Compute OSS trigger hands them to a function: a JSON document
 * `{"events": [...]}` (a Buffer, like every FC 3.0 event), documented in "Trigger event format"
 * (https://www.alibabacloud.com/help/en/functioncompute/fc/formats-of-event-for-different-triggers-1):
 *
 *   { "eventName": "ObjectCreated:PutObject", "eventSource": "acs:oss", "eventTime": "2022-08-13T06:45:43.000Z",
 *     "eventVersion": "1.0", "region": "cn-hangzhou",
 *     "oss": { "bucket": { "arn": "acs:oss:cn-hangzhou:123456789:testbucket", "name": "testbucket", "ownerIdentity": "…" },
 *              "object": { "deltaSize": 122539, "eTag": "688A7BF4F233DC9C88A80BF985AB****", "key": "source/a.png", "size": 122539,
 *                          "objectMeta": { "mimeType": "…", "userMeta": { "x-oss-meta-…": "…" } } },
 *              "ossSchemaVersion": "1.0", "ruleId": "…" },
 *     "requestParameters": { "sourceIPAddress": "140.205.XX.XX" },
 *     "responseElements": { "requestId": "58F9FF2D3DF792092E12044C" },
 *     "userIdentity": { "principalId": "…" } }
 *
 * `objectMeta` appears only in the newer samples. `responseElements.requestId` is the upload's OSS
 * request id, the `${reqId}` of its callback. The samples show `eventName` without the `oss:` the
 * trigger configuration uses (`oss:ObjectCreated:*`); both spellings are read. The samples show keys
 * as stored, not URL-encoded; that is assumed.
 */
export interface OssEventEntry {
  eventName?: string;
  eventSource?: string;
  eventTime?: string;
  eventVersion?: string;
  region?: string;
  oss?: {
    bucket?: { name?: string; arn?: string; ownerIdentity?: string };
    object?: { key?: string; eTag?: string; size?: number; deltaSize?: number; objectMeta?: { mimeType?: string; userMeta?: Record<string, string> } };
    ossSchemaVersion?: string;
    ruleId?: string;
  };
  requestParameters?: { sourceIPAddress?: string };
  responseElements?: { requestId?: string };
  userIdentity?: { principalId?: string };
}

export interface OssEventDocument {
  events: OssEventEntry[];
}

/** The operations that leave a new object, as an upload or a copy; the rest of ObjectCreated (a part, a symlink) do not. */
const OBJECT_WRITES = new Set(['PutObject', 'PostObject', 'CompleteMultipartUpload', 'CopyObject', 'AppendObject']);

export function isOssEventDocument(event: unknown): event is OssEventDocument {
  return typeof event === 'object' && event !== null && Array.isArray((event as OssEventDocument).events);
}

/** The event's operation when it wrote an object (`PutObject`), or undefined for any other event. */
export function objectWrite(entry: OssEventEntry): string | undefined {
  const match = /^(?:oss:)?ObjectCreated:(\w+)$/.exec(entry.eventName ?? '');
  return match && OBJECT_WRITES.has(match[1]!) ? match[1] : undefined;
}

/** What the event says of the object it wrote; throws when an ObjectCreated event lacks a bucket, key, ETag or size. */
export function factsOfEvent(entry: OssEventEntry, operation: string): UploadFacts {
  const bucket = entry.oss?.bucket?.name;
  const object = entry.oss?.object;
  const etag = normalEtag(typeof object?.eTag === 'string' ? object.eTag : null);
  if (!bucket || typeof object?.key !== 'string' || object.key === '' || etag === null || !Number.isSafeInteger(object.size)) {
    throw new Error(`the ${entry.eventName} event has no bucket name, object key, eTag or size`);
  }
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(object.objectMeta?.userMeta ?? {})) {
    if (typeof value === 'string') setOwnField(metadata, name.replace(/^x-oss-meta-/i, ''), value);
  }
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  return {
    bucket,
    key: object.key,
    etag,
    size: object.size as number,
    contentType: text(object.objectMeta?.mimeType),
    contentMd5: null,
    crc64: null,
    lastModified: typeof entry.eventTime === 'string' ? isoDate(entry.eventTime) : null,
    metadata,
    operation,
    reqId: text(entry.responseElements?.requestId),
    clientIp: text(entry.requestParameters?.sourceIPAddress),
  };
}
