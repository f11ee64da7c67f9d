import { describe, expect, it } from 'vitest';
import { rebuildQuery } from '../../../lib/platforms/query-rebuild.js';

describe('rebuildQuery', () => {
  it('gives null for no parameters, so no `?` is signed', () => {
    expect(rebuildQuery({})).toBeNull();
    expect(rebuildQuery(undefined)).toBeNull();
  });

  it('writes names and values the way encodeURIComponent does, in the order given', () => {
    expect(rebuildQuery({ token: 'a b/c', 'x:y': '中' })).toBe('token=a%20b%2Fc&x%3Ay=%E4%B8%AD');
  });

  it('keeps a comma literal (FC 3.0 joins repeated values with one) and repeats array values', () => {
    expect(rebuildQuery({ a: '1,2' })).toBe('a=1,2');
    expect(rebuildQuery({ a: ['1', '2'], b: '' })).toBe('a=1&a=2&b=');
  });
});
