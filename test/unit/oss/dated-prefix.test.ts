import { describe, expect, it } from 'vitest';
import { folderAt, foldersBetween, MAX_FOLDERS, parseDatedPrefix } from '../../../lib/oss/dated-prefix.js';

const utc = (text: string) => new Date(`${text}Z`);

describe('dated prefixes', () => {
  it('names the UTC folder of a time, zero-padded', () => {
    expect(folderAt(parseDatedPrefix('photos/{yyyy}/{mm}/{dd}/'), utc('2026-01-02T23:59:59'))).toBe('photos/2026/01/02/');
    expect(folderAt(parseDatedPrefix('logs/{yyyy}-{mm}-{dd}T{hh}/'), new Date('2026-01-02T23:30:00+08:00'))).toBe('logs/2026-01-02T15/');
    expect(folderAt(parseDatedPrefix('plain/'), utc('2026-01-02T00:00:00'))).toBe('plain/');
  });

  it('lists every folder a window touches, in key order, across month and year ends', () => {
    expect(foldersBetween(parseDatedPrefix('p/{yyyy}/{mm}/{dd}/'), utc('2025-12-30T22:00:00'), utc('2026-01-02T01:00:00'))).toEqual([
      'p/2025/12/30/',
      'p/2025/12/31/',
      'p/2026/01/01/',
      'p/2026/01/02/',
    ]);
    expect(foldersBetween(parseDatedPrefix('p/{yyyy}/{mm}/{dd}/{hh}/'), utc('2026-02-28T22:10:00'), utc('2026-03-01T00:00:00'))).toEqual(['p/2026/02/28/22/', 'p/2026/02/28/23/', 'p/2026/03/01/00/']);
    expect(foldersBetween(parseDatedPrefix('p/{yyyy}/{mm}/'), utc('2025-11-15T00:00:00'), utc('2026-01-01T00:00:00'))).toEqual(['p/2025/11/', 'p/2025/12/', 'p/2026/01/']);
    expect(foldersBetween(parseDatedPrefix('p/{yyyy}/'), utc('2025-06-01T00:00:00'), utc('2026-06-01T00:00:00'))).toEqual(['p/2025/', 'p/2026/']);
    expect(foldersBetween(parseDatedPrefix('plain/'), utc('2025-06-01T00:00:00'), utc('2026-06-01T00:00:00'))).toEqual(['plain/']);
  });

  it('refuses a window of more folders than a run should list', () => {
    expect(() => foldersBetween(parseDatedPrefix('p/{yyyy}/{mm}/{dd}/{hh}/'), utc('2020-01-01T00:00:00'), utc('2026-01-01T00:00:00'))).toThrow(`touches more than ${MAX_FOLDERS} folders`);
  });

  it.each([
    ['p/{yyyy}/{dd}/', /from \{yyyy\} down, each once/],
    ['p/{mm}/', /from \{yyyy\} down/],
    ['p/{yyyy}/{yyyy}/', /each once/],
    ['p/{yy}/', /has the field \{yy\}/],
    ['p/{yyyy}/{mm/', /a \{ or \} that is not part of/],
    ['p/}/', /a \{ or \} that is not part of/],
  ])('refuses %j', (template, message) => {
    expect(() => parseDatedPrefix(template)).toThrow(message);
  });
});
