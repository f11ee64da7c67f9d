/**
 * Which `x-oss-pub-key-url` values the receiver will act on (design: key policy). A pinned URL uses
 * its pinned key. Otherwise the URL must be the canonical spelling of an http(s) URL on exactly
 * `gosspublic.alicdn.com` with no userinfo, port, query or fragment and a `.pem` path; it is then
 * fetched over https. Anything else is refused before any request is made.
 */
export const OSS_KEY_HOST = 'gosspublic.alicdn.com';

export type KeyUrlDecision =
  | { kind: 'pinned'; url: string }
  | { kind: 'fetch'; url: string; fetchUrl: string }
  | { kind: 'refused'; url: string; reason: string };

export function decideKeyUrl(url: string, isPinned: (url: string) => boolean): KeyUrlDecision {
  if (isPinned(url)) return { kind: 'pinned', url };
  const refuse = (reason: string): KeyUrlDecision => ({ kind: 'refused', url, reason });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse('it is not a URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return refuse(`scheme ${parsed.protocol} is not http(s)`);
  if (parsed.username || parsed.password) return refuse('it carries userinfo');
  if (parsed.hostname !== OSS_KEY_HOST) return refuse(`host ${parsed.hostname} is not ${OSS_KEY_HOST}`);
  if (parsed.port) return refuse('it names a port');
  // A bare `?` or `#` leaves search and hash empty but is still a query or fragment.
  if (parsed.search || parsed.hash || /[?#]/.test(url)) return refuse('it has a query or fragment');
  if (!parsed.pathname.endsWith('.pem')) return refuse('its path does not name a .pem file');
  // Only the canonical spelling: no default ports, case games, escapes or dot segments that a
  // URL parser would quietly normalise.
  if (parsed.href !== url) return refuse('it is not in canonical form');
  parsed.protocol = 'https:';
  return { kind: 'fetch', url, fetchUrl: parsed.href };
}
