import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CallbackRequest } from '../../../lib/exchange.js';
import { percentDecodePath } from '../../../lib/protocol/string-to-sign.js';
import { verifyCallback } from '../../../lib/protocol/verify.js';
import { signRequest, testResolver } from '../../support/keys.js';

/**
 * Property-based tampering (issue 2, "Tests"): an untouched signed request always verifies, and any
 * single changed character of the path or query, or byte of the body or signature, is refused.
 */
const resolver = testResolver();

const pathPiece = fc.oneof(
  fc.constantFrom(...'abcxyz0189._-~+!$'),
  fc.constantFrom('%20', '%2F', '%2B', '%25', '%E4%B8%8A', '%E5%9B%9E'),
  fc.constantFrom('上', '传', 'é'),
);
const segment = fc.array(pathPiece, { minLength: 1, maxLength: 8 }).map((pieces) => pieces.join(''));
const rawPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join('/')}`);
const rawQuery = fc.option(
  fc.array(fc.oneof(fc.constantFrom(...'abcdefxyz0189=&._-~+/:'), fc.constantFrom('%20', '%E4%B8%8A', '上')), { maxLength: 24 }).map((p) => p.join('')),
  { nil: null },
);
const body = fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => Buffer.from(bytes));
const type = fc.constantFrom('form' as const, 'json' as const);
const signed = fc.record({ rawPath, rawQuery, body, type }).map((parts) => signRequest(parts));

/**
 * Replacements that never make a path decode to the same bytes: no hex letters (`%4a` and `%4A`
 * are one byte) and no `%`. Digits may change an escape, which changes the byte it names.
 */
const PATH_REPLACEMENTS = [...'ghijkmnopqrstuvwxyz0123456789_/~'];

function replaceAt(text: string, index: number, replacement: string): string {
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

/** Pick a replacement different from the character it replaces. */
function otherThan(original: string, choices: readonly string[], pick: number): string {
  const others = choices.filter((choice) => choice !== original);
  return others[pick % others.length]!;
}

async function refusal(request: CallbackRequest) {
  return verifyCallback(request, resolver).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('verifyCallback under tampering (fast-check)', () => {
  it('verifies every untouched signed request', async () => {
    await fc.assert(
      fc.asyncProperty(signed, async (request) => {
        // Act
        const verified = await verifyCallback(request, resolver);

        // Assess
        expect(verified.signed.subarray(-request.body.length)).toEqual(request.body);
      }),
    );
  });

  it('refuses any changed character of the path', async () => {
    await fc.assert(
      fc.asyncProperty(signed, fc.nat(), fc.nat(), async (request, at, pick) => {
        // Prepare
        const index = at % request.rawPath.length;
        const tampered = replaceAt(request.rawPath, index, otherThan(request.rawPath[index]!, PATH_REPLACEMENTS, pick));
        expect(percentDecodePath(tampered)).not.toEqual(percentDecodePath(request.rawPath));

        // Act
        const error = await refusal({ ...request, rawPath: tampered });

        // Assess
        expect(error).toMatchObject({ code: 'SignatureMismatch' });
      }),
    );
  });

  it('refuses any changed character of the query', async () => {
    await fc.assert(
      fc.asyncProperty(
        signed.filter((request) => !!request.rawQuery),
        fc.nat(),
        fc.nat(),
        async (request, at, pick) => {
          // Prepare
          const query = request.rawQuery!;
          const index = at % query.length;
          const tampered = replaceAt(query, index, otherThan(query[index]!, [...'abc=&%+?/ 0'], pick));

          // Act
          const error = await refusal({ ...request, rawQuery: tampered });

          // Assess
          expect(error).toMatchObject({ code: 'SignatureMismatch' });
        },
      ),
    );
  });

  it('refuses any changed byte of the body', async () => {
    await fc.assert(
      fc.asyncProperty(signed, fc.nat(), fc.integer({ min: 1, max: 255 }), async (request, at, mask) => {
        // Prepare
        const tampered = Buffer.from(request.body);
        const index = at % tampered.length;
        tampered[index] = tampered[index]! ^ mask;

        // Act
        const error = await refusal({ ...request, body: tampered });

        // Assess
        expect(error).toMatchObject({ code: 'SignatureMismatch' });
      }),
    );
  });

  it('refuses a body with one byte added or taken away', async () => {
    await fc.assert(
      fc.asyncProperty(signed, fc.boolean(), fc.integer({ min: 0, max: 255 }), async (request, add, byte) => {
        // Prepare
        const tampered = add ? Buffer.concat([request.body, Buffer.from([byte])]) : request.body.subarray(0, -1);

        // Act
        const error = await refusal({ ...request, body: tampered });

        // Assess
        expect(error).toMatchObject({ code: 'SignatureMismatch' });
      }),
    );
  });

  it('refuses any changed byte of the signature', async () => {
    await fc.assert(
      fc.asyncProperty(signed, fc.nat(), fc.integer({ min: 1, max: 255 }), async (request, at, mask) => {
        // Prepare
        const signature = Buffer.from(request.headers.authorization!, 'base64');
        const index = at % signature.length;
        signature[index] = signature[index]! ^ mask;
        const headers = { ...request.headers, authorization: signature.toString('base64') };

        // Act
        const error = await refusal({ ...request, headers });

        // Assess
        expect(error).toMatchObject({ code: 'SignatureMismatch' });
      }),
    );
  });
});
