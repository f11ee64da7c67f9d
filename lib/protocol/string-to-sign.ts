/**
 * What OSS signs (protocol note §4.1): the percent-decoded path, the raw query with its `?` when the
 * URL has one, a line feed, and the raw body. Built from bytes so nothing is re-encoded on the way.
 */
export interface SignedParts {
  rawPath: string;
  rawQuery: string | null;
  body: Buffer;
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * Path semantics: only `%XX` is decoded, a `+` stays a `+`, and a `%` not followed by two hex digits
 * is kept as it is. Other characters are taken as UTF-8.
 */
export function percentDecodePath(rawPath: string): Buffer {
  if (!rawPath.includes('%')) return Buffer.from(rawPath, 'utf8');
  const out: Buffer[] = [];
  let literalStart = 0;
  for (let i = rawPath.indexOf('%'); i !== -1; i = rawPath.indexOf('%', i + 1)) {
    const hex = rawPath.slice(i + 1, i + 3);
    if (!HEX.test(hex)) continue;
    out.push(Buffer.from(rawPath.slice(literalStart, i), 'utf8'), Buffer.from([parseInt(hex, 16)]));
    literalStart = i + 3;
    i += 2;
  }
  out.push(Buffer.from(rawPath.slice(literalStart), 'utf8'));
  return Buffer.concat(out);
}

const LF = Buffer.from('\n');

export function stringToSign({ rawPath, rawQuery, body }: SignedParts): Buffer {
  const query = rawQuery === null ? '' : `?${rawQuery}`;
  return Buffer.concat([percentDecodePath(rawPath), Buffer.from(query, 'utf8'), LF, body]);
}
