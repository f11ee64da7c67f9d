import { OssError } from './oss-error.js';

/**
 * The bucket's CORS rule, one as `PutBucketCors` would set it: the listed origins (`*` for any) may
 * use every method the simulator serves, with any request header, and read the headers an upload
 * answer carries. A bucket without a matching rule refuses the preflight with 403, as OSS does, so a
 * page that works against the simulator needs the same rule on the real bucket.
 */
const ALLOWED_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
const EXPOSED_HEADERS = 'etag, x-oss-request-id, x-oss-hash-crc64ecma, content-md5';
const MAX_AGE_SECONDS = '600';

function allowed(origins: readonly string[], origin: string | undefined): origin is string {
  return origin !== undefined && (origins.includes('*') || origins.includes(origin));
}

/** Headers for an actual cross-origin request from an allowed origin; none otherwise. */
export function corsHeaders(origins: readonly string[], origin: string | undefined): Record<string, string> {
  if (!allowed(origins, origin)) return {};
  return { 'access-control-allow-origin': origins.includes('*') ? '*' : origin, 'access-control-expose-headers': EXPOSED_HEADERS, vary: 'Origin' };
}

/** The answer to `OPTIONS`: the browser asks whether `method` (with some headers) may come from `origin`. */
export function corsPreflight(origins: readonly string[], headers: Readonly<Record<string, string>>): { status: number; headers: Record<string, string> } {
  const method = headers['access-control-request-method'] ?? '';
  if (!allowed(origins, headers.origin) || !ALLOWED_METHODS.includes(method)) {
    throw new OssError(403, 'AccessForbidden', 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.');
  }
  const requested = headers['access-control-request-headers'];
  return {
    status: 200,
    headers: {
      ...corsHeaders(origins, headers.origin),
      'access-control-allow-methods': method,
      ...(requested ? { 'access-control-allow-headers': requested } : {}),
      'access-control-max-age': MAX_AGE_SECONDS,
    },
  };
}
