import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstRepeatedKey } from '../../../lib/protocol/json-repeated-key.js';

describe('firstRepeatedKey', () => {
  it('finds no repeat in any JSON text that JSON.stringify writes, however nested or spaced', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 1, '\t'), (value, space) => {
        expect(firstRepeatedKey(JSON.stringify(value, null, space))).toBeUndefined();
      }),
    );
  });

  it('finds a key written twice in one object of any such text', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.nat(), (object, pick) => {
        // Prepare: repeat one of the object's own keys, with the same value, at its end.
        const keys = Object.keys(object);
        const key = keys[pick % keys.length]!;
        const text = `${JSON.stringify(object).slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(object[key])}}`;

        // Act / Assess
        expect(firstRepeatedKey(text)).toBe(key);
      }),
    );
  });
});
