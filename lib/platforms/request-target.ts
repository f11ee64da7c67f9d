/** Split a request target into the raw path and raw query, keeping both exactly as sent. */
export function splitTarget(target: string): { rawPath: string; rawQuery: string | null } {
  // Absolute-form targets (`POST http://host/path`) are legal HTTP/1.1; the path starts after the host.
  const path = /^https?:\/\//i.test(target) ? target.replace(/^https?:\/\/[^/?]*/i, '') || '/' : target;
  const mark = path.indexOf('?');
  return mark === -1 ? { rawPath: path, rawQuery: null } : { rawPath: path.slice(0, mark), rawQuery: path.slice(mark + 1) };
}
