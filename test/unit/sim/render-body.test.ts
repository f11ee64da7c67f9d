import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseBodyTemplate } from '../../../lib/protocol/callback-param.js';
import { callbackBodyTemplate } from '../../../lib/protocol/templates.js';
import { renderBody, type UploadFacts } from '../../../sim/render-body.js';

const facts: UploadFacts = {
  bucket: 'callback-test',
  object: 'test.txt',
  etag: 'D8E8FCA2DC0F896FD7CB4CB0031BA249',
  size: 5,
  mimeType: 'text/plain',
  imageInfo: undefined,
  crc64: '18446744073709551615',
  contentMd5: '2Oj8otwPiW/Xy0ywAxuiSQ==',
  clientIp: '100.20.30.40',
  reqId: '674EB5AA2C6E1B3437341888',
  operation: 'PutObject',
};

const render = (template: string, type: 'application/x-www-form-urlencoded' | 'application/json', over: Partial<UploadFacts> = {}, custom = {}) =>
  renderBody(parseBodyTemplate(template), type, { ...facts, ...over }, custom).toString('utf8');

describe('renderBody, form mode', () => {
  it('reproduces the official example body (protocol note §2.1)', () => {
    const template =
      'bucket=${bucket}&object=${object}&etag=${etag}&size=${size}&mimeType=${mimeType}&imageInfo.height=${imageInfo.height}&imageInfo.width=${imageInfo.width}&imageInfo.format=${imageInfo.format}&x:var1=${x:var1}';
    expect(render(template, 'application/x-www-form-urlencoded', {}, { 'x:var1': 'for-callback-test' })).toBe(
      'bucket=callback-test&object=test.txt&etag=D8E8FCA2DC0F896FD7CB4CB0031BA249&size=5&mimeType=text%2Fplain&imageInfo.height=&imageInfo.width=&imageInfo.format=&x:var1=for-callback-test',
    );
  });

  it('reproduces the real 2018 capture byte for byte: its Content-MD5 matches (§7.3)', () => {
    const body = renderBody(
      parseBodyTemplate('filename=${object}&size=${size}&mimeType=${mimeType}&height=${imageInfo.height}&width=${imageInfo.width}'),
      'application/x-www-form-urlencoded',
      { ...facts, object: '.snappython.png', size: 6014, mimeType: 'image/png', imageInfo: { width: 396, height: 221, format: 'png' } },
      {},
    );
    expect(createHash('md5').update(body).digest('base64')).toBe('eiEMyp7lbL8KStPBzMdr9w==');
  });

  it('leaves a custom variable that was not given empty', () => {
    expect(render('a=${x:missing}&b=1', 'application/x-www-form-urlencoded')).toBe('a=&b=1');
  });
});

describe('renderBody, JSON mode', () => {
  it('quotes strings, keeps numbers bare (crc64 unrounded) and writes null for empty values', () => {
    const text = render(callbackBodyTemplate('json', ['note']), 'application/json', { contentMd5: '' }, { 'x:note': 'say "hi"\n' });
    expect(text).toContain('"crc64":18446744073709551615,');
    expect(JSON.parse(text)).toEqual({
      bucket: 'callback-test',
      object: 'test.txt',
      etag: 'D8E8FCA2DC0F896FD7CB4CB0031BA249',
      size: 5,
      mimeType: 'text/plain',
      imageInfo: { height: null, width: null, format: null },
      crc64: 18446744073709552000,
      contentMd5: null,
      vpcId: null,
      clientIp: '100.20.30.40',
      reqId: '674EB5AA2C6E1B3437341888',
      operation: 'PutObject',
      'x:note': 'say "hi"\n',
    });
  });

  it('writes image facts as numbers and the format as a string', () => {
    const text = render('{"w":${imageInfo.width},"h":${imageInfo.height},"f":${imageInfo.format}}', 'application/json', { imageInfo: { width: 257, height: 197, format: 'jpg' } });
    expect(text).toBe('{"w":257,"h":197,"f":"jpg"}');
  });
});
