import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatRawRequest, parseRawRequest, RawRequestError } from '../../../cli/raw-request.js';
import { signRequest } from '../../support/keys.js';
import { OSS_DOC_CAPTURE_FILE, OSS_DOC_VECTOR } from '../../vectors/signature-vectors.js';

const capture = readFileSync(OSS_DOC_CAPTURE_FILE, 'latin1');
const parse = (text: string) => parseRawRequest(Buffer.from(text, 'latin1'));

describe('parseRawRequest', () => {
  it('reads the §7.2 capture: method, raw path and query, lower-case headers, the 18-byte body', () => {
    // Act
    const request = parse(capture);

    // Assess
    expect(request).toMatchObject({ method: 'POST', rawPath: OSS_DOC_VECTOR.rawPath, rawQuery: OSS_DOC_VECTOR.rawQuery, trailing: 0 });
    expect(request.body.toString()).toBe(OSS_DOC_VECTOR.body);
    expect(request.headers).toMatchObject({ authorization: OSS_DOC_VECTOR.authorization, 'content-length': '18', host: '121.43.113.8' });
  });

  it('accepts LF-only line endings', () => {
    // Act
    const request = parse(capture.replaceAll('\r\n', '\n'));

    // Assess
    expect(request.body.toString()).toBe(OSS_DOC_VECTOR.body);
    expect(request.headers['x-oss-pub-key-url']).toBe(Buffer.from(OSS_DOC_VECTOR.keyUrl).toString('base64'));
  });

  it('stops the body at Content-Length and counts what follows', () => {
    // Act
    const request = parse(`${capture}\r\n`);

    // Assess
    expect(request.body.toString()).toBe(OSS_DOC_VECTOR.body);
    expect(request.trailing).toBe(2);
  });

  it('takes the rest of the capture as the body when there is no Content-Length', () => {
    // Act
    const request = parse(capture.replace('Content-Length: 18\r\n', ''));

    // Assess
    expect(request.body.toString()).toBe(OSS_DOC_VECTOR.body);
  });

  it('keeps raw UTF-8 bytes of the request target as UTF-8', () => {
    // Prepare
    const bytes = Buffer.concat([Buffer.from('POST /上传/%E5%9B%9E?q=猫 HTTP/1.1\r\nContent-Length: 0\r\n\r\n', 'utf8')]);

    // Act
    const request = parseRawRequest(bytes);

    // Assess
    expect(request).toMatchObject({ rawPath: '/上传/%E5%9B%9E', rawQuery: 'q=猫' });
  });

  it('reads an absolute-form request target', () => {
    // Act
    const request = parse('POST http://example.com/cb?x=1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n');

    // Assess
    expect(request).toMatchObject({ rawPath: '/cb', rawQuery: 'x=1' });
  });

  it('keeps a bare ? as an empty query', () => {
    // Act
    const request = parse('POST /cb? HTTP/1.1\r\nContent-Length: 0\r\n\r\n');

    // Assess
    expect(request).toMatchObject({ rawPath: '/cb', rawQuery: '' });
  });

  it('joins repeated headers with a comma', () => {
    // Act
    const request = parse('POST /cb HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\n');

    // Assess
    expect(request.headers['x-a']).toBe('1, 2');
  });

  it.each([
    {
      title: 'a body shorter than Content-Length',
      text: capture.slice(0, -7),
      message: 'the body is truncated: Content-Length says 18 bytes, the capture has 11',
    },
    {
      title: 'headers with no blank line after them (as the doc prints the request)',
      text: capture.replace('\r\n\r\n', '\r\n'),
      message: 'no blank line ends the headers; a raw request is a request line, headers, a blank line, then the body',
    },
    { title: 'a request line that is not HTTP/1.x', text: 'POST /cb HTTP/2\r\n\r\n', message: 'the first line is not an HTTP/1.x request line: "POST /cb HTTP/2"' },
    { title: 'a header line without a colon', text: 'POST /cb HTTP/1.1\r\nbroken\r\n\r\n', message: 'not a header line: "broken"' },
    { title: 'a Content-Length that is not a length', text: 'POST /cb HTTP/1.1\r\nContent-Length: -1\r\n\r\n', message: 'Content-Length "-1" is not a length' },
    {
      title: 'a chunked body',
      text: 'POST /cb HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      message: 'chunked bodies are not supported; OSS sends callbacks with Content-Length',
    },
  ])('refuses $title', ({ text, message }) => {
    // Act
    const read = () => parse(text);

    // Assess
    expect(read).toThrow(new RawRequestError(message));
  });
});

describe('formatRawRequest', () => {
  it('writes a request that parseRawRequest reads back byte for byte', () => {
    // Prepare
    const request = signRequest({ rawPath: '/上传/%E5%9B%9E', rawQuery: 'a=1&b=%20', body: Buffer.from([0x00, 0x0a, 0xff]) });

    // Act
    const bytes = formatRawRequest(request);

    // Assess
    const { trailing, ...back } = parseRawRequest(bytes);
    expect(back).toEqual(request);
    expect(trailing).toBe(0);
  });

  it('spells header names as OSS does', () => {
    // Act
    const text = formatRawRequest(signRequest()).toString('utf8');

    // Assess
    expect(text).toMatch(/^POST \/oss\/callback HTTP\/1\.1\r\nHost: callback\.test\.invalid\r\nConnection: close\r\nContent-Length: \d+\r\nAuthorization: /);
    expect(text).toContain('\r\nx-oss-pub-key-url: ');
  });
});
