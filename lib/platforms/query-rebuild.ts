/**
 * A query string rebuilt from parsed parameters, for doors that never see the raw one (FC 3.0).
 * OSS signs the raw query, so this is a best guess. It is right for the common case: names and values
 * that `encodeURIComponent` writes the way the caller wrote them, in the order the platform kept
 * them. Known losses, none recoverable from a parsed map:
 * - how the caller escaped a character (`%2f` or `%2F`, `+` or `%20`, `~` or `%7E`);
 * - a repeated name (FC 3.0 joins `a=1&a=2` into `a: "1,2"`, which comes back as `a=1,2`);
 * - a name without `=` (`?flag` comes back as `flag=`);
 * - order, for names that look like array indexes (JavaScript lists integer keys first).
 * Commas stay literal, since the platform's own joining means a comma was most likely written raw.
 */
export function rebuildQuery(parameters: Readonly<Record<string, string | readonly string[]>> | null | undefined): string | null {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(parameters ?? {})) {
    for (const one of typeof value === 'string' ? [value] : value) pairs.push(`${encode(name)}=${encode(one)}`);
  }
  return pairs.length ? pairs.join('&') : null;
}

function encode(text: string): string {
  return encodeURIComponent(text).replaceAll('%2C', ',');
}
