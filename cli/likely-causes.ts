import type { KeyObject } from 'node:crypto';
import { verifyRsaMd5 } from '../lib/protocol/rsa.js';
import { stringToSign, type SignedParts } from '../lib/protocol/string-to-sign.js';

/** A way the bytes may have changed between OSS and the check, and what OSS would then have signed. */
interface Candidate {
  cause: string;
  signed: SignedParts;
}

/** Query parameters are reordered only up to this many (6! = 720 checks of about 10 µs each). */
const MAX_REORDERED_PARAMETERS = 6;

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/**
 * The usual reasons a correct signature fails to verify (protocol note §4.5, §6), each as the bytes OSS
 * may have signed instead. A cause is named only when the signature holds over its bytes.
 */
const CANDIDATES: ((p: SignedParts) => Candidate[])[] = [
  (p) => {
    if (p.body.at(-1) !== 0x0a) return [];
    const cause = 'a newline was added at the end of the body (an editor or a capture tool?)';
    return [{ cause, signed: { ...p, body: p.body.subarray(0, p.body.at(-2) === 0x0d ? -2 : -1) } }];
  },
  (p) => (p.rawQuery === null ? [] : [{ cause: 'the query was not signed: OSS signed a URL without it', signed: { ...p, rawQuery: null } }]),
  (p) => (p.rawQuery === null ? [{ cause: 'a bare "?" (empty query) was dropped from the URL', signed: { ...p, rawQuery: '' } }] : []),
  (p) => {
    const parameters = p.rawQuery?.split('&') ?? [];
    if (parameters.length < 2 || parameters.length > MAX_REORDERED_PARAMETERS) return [];
    return permutations(parameters)
      .map((order) => order.join('&'))
      .filter((query) => query !== p.rawQuery)
      .map((query) => ({ cause: `the query was reordered on the way: OSS signed "?${query}"`, signed: { ...p, rawQuery: query } }));
  },
  (p) => {
    // A gateway stage or a proxy prefix in front of the path OSS signed: /prod/oss/callback for /oss/callback.
    const segments = p.rawPath.split('/').slice(1);
    return segments.slice(1).map((_, i) => {
      const base = `/${segments.slice(0, i + 1).join('/')}`;
      return { cause: `the base path "${base}" was added in front of the path OSS signed (a gateway stage or a proxy prefix?)`, signed: { ...p, rawPath: p.rawPath.slice(base.length) } };
    });
  },
  (p) => (p.rawPath.includes('%') ? [{ cause: 'the signer signed the path without percent-decoding it', signed: { ...p, rawPath: p.rawPath.replaceAll('%', '%25') } }] : []),
  (p) => (p.rawPath.includes('+') ? [{ cause: 'the signer decoded "+" in the path as a space', signed: { ...p, rawPath: p.rawPath.replaceAll('+', '%20') } }] : []),
];

/** The first usual change under which `signature` holds, said as the likely cause; undefined if none. */
export function confirmedCause(received: SignedParts, key: KeyObject, signature: Buffer): string | undefined {
  for (const candidates of CANDIDATES) {
    const found = candidates(received).find(({ signed }) => verifyRsaMd5(key, stringToSign(signed), signature));
    if (found) return found.cause;
  }
  return undefined;
}

/**
 * Changes the capture cannot be checked against, since the bytes they removed are gone: named as
 * possible when no usual change is confirmed, the likeliest first.
 */
export function possibleCauses(received: SignedParts): string[] {
  const causes = [
    `a proxy or gateway in front stripped a prefix of the path (proxy_pass http://app/; turns /api/oss/callback into /oss/callback): OSS signed the callbackUrl's whole path, so "${received.rawPath}" must be all of it`,
  ];
  if (received.rawQuery === null) causes.push('the URL arrived without a query: if the callbackUrl given to OSS had one, something in front stripped it (OSS signed the query)');
  return causes;
}
