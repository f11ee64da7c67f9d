import { describe, expect, it } from 'vitest';
import { percentDecodePath, stringToSign } from '../../../lib/protocol/string-to-sign.js';
import { OSS_DOC_VECTOR } from '../../vectors/signature-vectors.js';

describe('percentDecodePath', () => {
  const cases: { title: string; rawPath: string; decoded: Buffer }[] = [
    { title: 'a path with no escapes is taken as it is', rawPath: '/index.php', decoded: Buffer.from('/index.php') },
    { title: '%XX becomes the byte it names', rawPath: '/a%20b%2Fc', decoded: Buffer.from('/a b/c') },
    { title: 'lower-case hex is decoded too', rawPath: '/%e4%b8%8a', decoded: Buffer.from('/上') },
    { title: 'a + stays a + (path semantics, not form semantics)', rawPath: '/a+b', decoded: Buffer.from('/a+b') },
    { title: '%2B becomes a +', rawPath: '/a%2Bb', decoded: Buffer.from('/a+b') },
    { title: 'an invalid escape %zz is kept literally', rawPath: '/a%zzb', decoded: Buffer.from('/a%zzb') },
    { title: 'a lone % at the end is kept', rawPath: '/a%', decoded: Buffer.from('/a%') },
    { title: 'a % with one hex digit at the end is kept', rawPath: '/a%4', decoded: Buffer.from('/a%4') },
    { title: 'a literal % followed by an escape keeps the % and decodes the escape', rawPath: '/%%41', decoded: Buffer.from('/%A') },
    { title: 'raw non-ASCII is taken as UTF-8', rawPath: '/上传', decoded: Buffer.from('/上传') },
    {
      title: 'escaped and raw non-ASCII mix into one UTF-8 string',
      rawPath: '/上传/%E5%9B%9E%E8%B0%83',
      decoded: Buffer.from('/上传/回调'),
    },
    {
      title: 'escapes that are not valid UTF-8 stay raw bytes',
      rawPath: '/%FF%00',
      decoded: Buffer.from([0x2f, 0xff, 0x00]),
    },
  ];

  it.each(cases)('$title', ({ rawPath, decoded }) => {
    // Act
    const result = percentDecodePath(rawPath);

    // Assess
    expect(result.toString('hex')).toBe(decoded.toString('hex'));
  });
});

describe('stringToSign', () => {
  it('builds the §7.2 string to sign byte for byte', () => {
    // Prepare
    const parts = { rawPath: OSS_DOC_VECTOR.rawPath, rawQuery: OSS_DOC_VECTOR.rawQuery, body: Buffer.from(OSS_DOC_VECTOR.body) };

    // Act
    const signed = stringToSign(parts);

    // Assess
    expect(signed.toString('hex')).toBe(OSS_DOC_VECTOR.stringToSignHex);
  });

  it('omits the ? when the URL has no query', () => {
    // Act
    const signed = stringToSign({ rawPath: '/cb', rawQuery: null, body: Buffer.from('a=1') });

    // Assess
    expect(signed.toString('utf8')).toBe('/cb\na=1');
  });

  it('keeps a bare ? when the URL has an empty query', () => {
    // Act
    const signed = stringToSign({ rawPath: '/cb', rawQuery: '', body: Buffer.from('a=1') });

    // Assess
    expect(signed.toString('utf8')).toBe('/cb?\na=1');
  });

  it('keeps the query raw: escapes and + are not decoded', () => {
    // Act
    const signed = stringToSign({ rawPath: '/cb', rawQuery: 'q=a+b%20c&x=%E4%B8%8A', body: Buffer.alloc(0) });

    // Assess
    expect(signed.toString('utf8')).toBe('/cb?q=a+b%20c&x=%E4%B8%8A\n');
  });

  it('appends the body bytes as they are, even when they are not UTF-8', () => {
    // Prepare
    const body = Buffer.from([0xff, 0xfe, 0x0a, 0x00]);

    // Act
    const signed = stringToSign({ rawPath: '/cb', rawQuery: null, body });

    // Assess
    expect(signed.toString('hex')).toBe(Buffer.concat([Buffer.from('/cb\n'), body]).toString('hex'));
  });
});
