import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Crc64, crc64 } from '../../../sim/crc64.js';
import { reference } from './crc64-reference.js';

describe('crc64 as OSS reports it', () => {
  it('gives the published check value for "123456789"', () => {
    expect(crc64(Buffer.from('123456789'))).toBe('11051210869376104954');
  });

  it('is 0 for no bytes', () => {
    expect(crc64(Buffer.alloc(0))).toBe('0');
  });

  it('matches the bitwise definition on random data, whole or in pieces', () => {
    const data = randomBytes(3001);
    const expected = reference(data);
    expect(crc64(data)).toBe(expected);
    expect(new Crc64().update(data.subarray(0, 7)).update(data.subarray(7, 2000)).update(data.subarray(2000)).digest()).toBe(expected);
  });
});
