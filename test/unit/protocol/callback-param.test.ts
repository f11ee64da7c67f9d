import { describe, expect, it } from 'vitest';
import {
  CallbackParamError,
  MESSAGES,
  buildCallbackParam,
  buildCallbackVar,
  parseBodyTemplate,
  parseCallbackParam,
  parseCallbackVar,
} from '../../../lib/protocol/callback-param.js';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');

function refusal(run: () => unknown): { argument: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof CallbackParamError) return { argument: error.argumentName, message: error.message };
    throw error;
  }
  throw new Error('expected a CallbackParamError');
}

describe('parseCallbackParam', () => {
  it('reads the official S1 example verbatim', () => {
    const official =
      'eyJjYWxsYmFja0hvc3QiOiAieW91ci5jYWxsYmFjay5jb20iLCAiY2FsbGJhY2tVcmwiOiAiaHR0cDovL29zcy1kZW1vLmFsaXl1bmNzLmNvbToyMzQ1MCIsICJjYWxsYmFja0JvZHkiOiAiYnVja2V0PSR7YnVja2V0fSZvYmplY3Q9JHtvYmplY3R9JnVpZD0ke3g6dWlkfSZvcmRlcj0ke3g6b3JkZXJfaWR9IiwgImNhbGxiYWNrQm9keVR5cGUiOiAiYXBwbGljYXRpb24veC13d3ctZm9ybS11cmxlbmNvZGVkIiwgImNhbGxiYWNrU05JIjogZmFsc2V9';
    const param = parseCallbackParam(official);
    expect(param.urls).toEqual(['http://oss-demo.aliyuncs.com:23450']);
    expect(param.host).toBe('your.callback.com');
    expect(param.bodyType).toBe('application/x-www-form-urlencoded');
    expect(param.sni).toBe(false);
    expect(param.template).toEqual([
      { kind: 'text', text: 'bucket=' },
      { kind: 'variable', name: 'bucket' },
      { kind: 'text', text: '&object=' },
      { kind: 'variable', name: 'object' },
      { kind: 'text', text: '&uid=' },
      { kind: 'variable', name: 'x:uid' },
      { kind: 'text', text: '&order=' },
      { kind: 'variable', name: 'x:order_id' },
    ]);
  });

  it('accepts scheme-less URLs, up to five, and ignores a trailing separator', () => {
    const param = parseCallbackParam(b64({ callbackUrl: '121.43.113.8:23456/index.html;a.example;b.example;c.example;https://d.example/x;', callbackBody: 'a=1' }));
    expect(param.urls).toHaveLength(5);
    expect(param.bodyType).toBe('application/x-www-form-urlencoded');
  });

  it('treats a blank callbackUrl as "no callback"', () => {
    expect(parseCallbackParam(b64({ callbackUrl: '', callbackBody: 'a=1' })).urls).toEqual([]);
  });

  it.each([
    ['over 5 KB', 'A'.repeat(5 * 1024 + 4), MESSAGES.tooLong],
    ['not base64', 'error argument', MESSAGES.notBase64],
    ['not JSON', b64('error argument'), MESSAGES.notJson],
    ['a JSON array', b64([1]), MESSAGES.notJson],
    ['unescaped quotes in the body', b64('{"callbackUrl":"8.8.8.8:9090","callbackBody":"{"bucket":${bucket}}"}'), MESSAGES.notJson],
    ['no callbackUrl', b64({ callbackBody: 'a=1' }), MESSAGES.badUrl],
    ['a port that is not a number', b64({ callbackUrl: '10.101.166.30:test', callbackBody: 'a=1' }), MESSAGES.badUrl],
    ['an ftp URL', b64({ callbackUrl: 'ftp://example.com/', callbackBody: 'a=1' }), MESSAGES.badUrl],
    ['an IPv6 host', b64({ callbackUrl: 'http://[::1]:8080/', callbackBody: 'a=1' }), MESSAGES.badUrl],
    ['six URLs', b64({ callbackUrl: 'a.cn;b.cn;c.cn;d.cn;e.cn;f.cn', callbackBody: 'a=1' }), MESSAGES.tooManyUrls],
    ['a numeric callbackHost', b64({ callbackUrl: 'a.cn', callbackHost: 1, callbackBody: 'a=1' }), MESSAGES.badHost],
    ['an empty body', b64({ callbackUrl: 'a.cn', callbackBody: '' }), MESSAGES.emptyBody],
    ['no body', b64({ callbackUrl: 'a.cn' }), MESSAGES.emptyBody],
    ['a body that is not a string', b64({ callbackUrl: 'a.cn', callbackBody: { a: 1 } }), MESSAGES.badBody],
    ['an unknown body type', b64({ callbackUrl: 'a.cn', callbackBody: 'a=1', callbackBodyType: 'text/plain' }), MESSAGES.badBodyType],
    ['a null body type', b64({ callbackUrl: 'a.cn', callbackBody: 'a=1', callbackBodyType: null }), MESSAGES.badBodyType],
    ['callbackSNI as a string', b64({ callbackUrl: 'a.cn', callbackBody: 'a=1', callbackSNI: 'true' }), MESSAGES.badSni],
    ['a variable without its brace', b64({ callbackUrl: 'a.cn', callbackBody: 'my_var=$x:my_var}' }), MESSAGES.badBraces],
    ['an unclosed variable', b64({ callbackUrl: 'a.cn', callbackBody: 'a=${bucket' }), MESSAGES.badBody],
    ['an unknown system variable', b64({ callbackUrl: 'a.cn', callbackBody: 'a=${objcet}' }), MESSAGES.badBody],
  ])('refuses %s', (_case, encoded, message) => {
    expect(refusal(() => parseCallbackParam(encoded))).toEqual({ argument: 'callback', message });
  });
});

describe('parseBodyTemplate', () => {
  it('keeps JSON braces as text and finds unquoted variables', () => {
    expect(parseBodyTemplate('{"size":${size},"v":${x:v}}')).toEqual([
      { kind: 'text', text: '{"size":' },
      { kind: 'variable', name: 'size' },
      { kind: 'text', text: ',"v":' },
      { kind: 'variable', name: 'x:v' },
      { kind: 'text', text: '}' },
    ]);
  });
});

describe('parseCallbackVar', () => {
  it('reads the official example', () => {
    expect(parseCallbackVar('eyJ4OnVpZCI6ICIxMjM0NSIsICJ4Om9yZGVyX2lkIjogIjY3ODkwIn0=')).toEqual({ 'x:uid': '12345', 'x:order_id': '67890' });
  });

  it.each([
    ['over 5 KB', 'A'.repeat(5 * 1024 + 4), MESSAGES.varTooLong],
    ['not base64', '{x}', MESSAGES.badVar],
    ['a key without x:', b64({ uid: '1' }), MESSAGES.badVar],
    ['an upper-case key', b64({ 'x:Uid': '1' }), MESSAGES.badVar],
    ['a number value', b64({ 'x:uid': 1 }), MESSAGES.badVar],
  ])('refuses %s', (_case, encoded, message) => {
    expect(refusal(() => parseCallbackVar(encoded))).toEqual({ argument: 'callback-var', message });
  });
});

describe('builders', () => {
  it('build what the parsers read back', () => {
    const encoded = buildCallbackParam({ url: ['https://a.example/cb', 'https://b.example/cb'], body: 'object=${object}', bodyType: 'application/json', sni: true });
    expect(parseCallbackParam(encoded)).toMatchObject({ urls: ['https://a.example/cb', 'https://b.example/cb'], bodyType: 'application/json', sni: true });
    expect(parseCallbackVar(buildCallbackVar({ uid: '7', 'x:order': '9' }))).toEqual({ 'x:uid': '7', 'x:order': '9' });
  });

  it('refuse what OSS would refuse', () => {
    expect(refusal(() => buildCallbackParam({ url: '', body: 'a=1' })).message).toBe(MESSAGES.badUrl);
    expect(refusal(() => buildCallbackParam({ url: 'a.cn', body: 'a=$5' })).message).toBe(MESSAGES.badBraces);
    expect(refusal(() => buildCallbackVar({ Uid: '1' })).message).toBe(MESSAGES.badVar);
  });
});
