import { createHash } from 'node:crypto';

export interface UploadIdentity {
  bucket: string;
  object: string;
  etag: string | null;
}

/**
 * What names an upload that has no ETag. Each kind is a namespace of its own, marked by a prefix with
 * a colon, so no such id can ever equal an upload's (bucket, key, ETag) id, which is bare hex, nor
 * an id of another kind:
 * - `req:<reqId>`: a callback's reqId. The body is a template the uploader writes, so this is a value
 *   the uploader may choose: it can only ever name other `req:` records.
 * - `sig:<sha256>`: the fingerprint of a callback's signed bytes, when it has no reqId either.
 * - `facts:<sha256>`: the fingerprint of what an OSS event reported, when it carried no ETag.
 */
export type IdFallback = { reqId: string } | { signed: string } | { facts: string };

/**
 * The same upload is the same object key in the same bucket with the same ETag, whichever way we hear
 * of it: a callback's `${etag}`, a listing's `ETag` (quoted) or an event's `eTag`. Its id is the
 * SHA-256 of the three in lower-case hex, so every store keys it within its limits (Tablestore keys
 * stop at 1 KB). Without an ETag (a template that leaves it out) the upload cannot be matched to a
 * listing, and the id comes from `fallback`, in a namespace of its own.
 */
export function uploadId({ bucket, object, etag }: UploadIdentity, fallback: IdFallback): string {
  const tag = normalEtag(etag);
  if (tag !== null) return createHash('sha256').update(`${bucket}\n${object}\n${tag}`).digest('hex');
  if ('reqId' in fallback) return `req:${fallback.reqId}`;
  if ('signed' in fallback) return `sig:${fallback.signed}`;
  return `facts:${fallback.facts}`;
}

/** `"5B3C…-3"` and `5b3c…-3` are one ETag: quotes dropped, hex upper-cased as OSS sends it. */
export function normalEtag(etag: string | null): string | null {
  if (etag === null) return null;
  const bare = etag.trim().replace(/^"(.*)"$/, '$1').toUpperCase();
  return bare === '' ? null : bare;
}
