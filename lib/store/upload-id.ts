import { createHash } from 'node:crypto';

export interface UploadIdentity {
  bucket: string;
  object: string;
  etag: string | null;
}

/**
 * The same upload is the same object key in the same bucket with the same ETag, whichever way we hear
 * of it: a callback's `${etag}`, a listing's `ETag` (quoted) or an event's `eTag`. Its id is the
 * SHA-256 of the three, so every store keys it within its limits (Tablestore keys stop at 1 KB).
 * Without an ETag (a template that leaves it out) the upload cannot be matched to a listing, and
 * `fallback` (the callback's reqId, or the fingerprint of its signed bytes) is the id.
 */
export function uploadId({ bucket, object, etag }: UploadIdentity, fallback: string): string {
  const tag = normalEtag(etag);
  if (tag === null) return fallback;
  return createHash('sha256').update(`${bucket}\n${object}\n${tag}`).digest('hex');
}

/** `"5B3C…-3"` and `5b3c…-3` are one ETag: quotes dropped, hex upper-cased as OSS sends it. */
export function normalEtag(etag: string | null): string | null {
  if (etag === null) return null;
  const bare = etag.trim().replace(/^"(.*)"$/, '$1').toUpperCase();
  return bare === '' ? null : bare;
}
