import { describe, expect, it } from 'vitest';
import { parseCallbackBody, type CallbackFields } from '../../../lib/protocol/callback-body.js';
import { APPSERVER_FORM_BODY, APPSERVER_JSON_BODY, DOC_FORM_BODY, NO_OPTIONAL_FIELDS } from '../../vectors/callback-bodies.js';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const parse = (contentType: string | undefined, body: string | Buffer) =>
  parseCallbackBody(contentType, Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));

/** What a body with only bucket=b and object=o yields. */
const BARE: CallbackFields = { ...NO_OPTIONAL_FIELDS, bucket: 'b', object: 'o' };

/** Run `read` and return the CallbackError it throws. */
function refusal(read: () => unknown): { code: string; message: string } {
  try {
    read();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected parseCallbackBody to refuse the body');
}

describe('parseCallbackBody: form bodies', () => {
  it.each([DOC_FORM_BODY, APPSERVER_FORM_BODY])('reads $title', ({ contentType, body, fields }) => {
    // Act
    const result = parse(contentType, body);

    // Assess
    expect(result).toEqual(fields);
  });

  it('decodes percent escapes and + in values as a form decoder does', () => {
    // Act
    const fields = parse(FORM, 'bucket=b&object=users%2F42%2F%E7%8C%AB%20%26%20co%2B.jpg&mimeType=image/jpeg&x:note=a+b');

    // Assess
    expect(fields).toMatchObject({ object: 'users/42/猫 & co+.jpg', mimeType: 'image/jpeg', vars: { 'x:note': 'a b' } });
  });

  it('keeps crc64 above 2^53 exact as a decimal string', () => {
    // Act
    const fields = parse(FORM, 'bucket=b&object=o&crc64=18446744073709551615');

    // Assess
    expect(fields.crc64).toBe('18446744073709551615');
  });

  it('keeps x: variables and any other custom field in vars under their names', () => {
    // Act
    const fields = parse(FORM, 'bucket=b&object=o&x:uid=42&x%3Aalbum=holiday&my_var=a+b&empty=');

    // Assess
    expect(fields.vars).toEqual({ 'x:uid': '42', 'x:album': 'holiday', my_var: 'a b', empty: '' });
  });

  it('keeps a custom field named like an Object.prototype member as an own field', () => {
    // Act
    const fields = parse(FORM, 'bucket=b&object=o&__proto__=p&constructor=c&toString=t');

    // Assess
    expect(Object.entries(fields.vars)).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['toString', 't'],
    ]);
  });

  it('accepts the content type with parameters and in any case', () => {
    // Act
    const fields = parse('Application/X-WWW-Form-Urlencoded; charset=UTF-8', 'bucket=b&object=o');

    // Assess
    expect(fields).toEqual(BARE);
  });

  it('refuses a field that appears twice', () => {
    // Act
    const error = refusal(() => parse(FORM, 'bucket=b&object=o&bucket=c'));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: 'field "bucket" appears more than once' });
  });

  it('refuses a custom field that appears twice', () => {
    // Act
    const error = refusal(() => parse(FORM, 'bucket=b&object=o&x:uid=1&x:uid=2'));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: 'field "x:uid" appears more than once' });
  });

  it('keeps an escape that is not %XX as it is, and skips empty pairs, as a form decoder does', () => {
    // Act
    const fields = parse(FORM, '&bucket=b&&object=100%25%zz&x:flag');

    // Assess
    expect(fields).toMatchObject({ bucket: 'b', object: '100%%zz', vars: { 'x:flag': '' } });
  });
});

describe('parseCallbackBody: JSON bodies', () => {
  it(`reads ${APPSERVER_JSON_BODY.title}`, () => {
    // Act
    const fields = parse(APPSERVER_JSON_BODY.contentType, APPSERVER_JSON_BODY.body);

    // Assess
    expect(fields).toEqual(APPSERVER_JSON_BODY.fields);
  });

  it('reads flat imageInfo.* fields', () => {
    // Act
    const fields = parse(JSON_TYPE, '{"bucket":"b","object":"o","imageInfo.height":1,"imageInfo.width":2,"imageInfo.format":"png"}');

    // Assess
    expect(fields.image).toEqual({ width: 2, height: 1, format: 'png' });
  });

  it('keeps a bare crc64 number above 2^53 exact, where JSON.parse would round it', () => {
    // Prepare
    const body = '{"bucket":"b","object":"o","crc64":18446744073709551615}';
    expect(JSON.parse(body).crc64).not.toBe(18446744073709551615n.toString());

    // Act
    const fields = parse(JSON_TYPE, body);

    // Assess
    expect(fields.crc64).toBe('18446744073709551615');
  });

  it('reads crc64 and size sent as strings', () => {
    // Act
    const fields = parse(JSON_TYPE, '{"bucket":"b","object":"o","crc64":"9007199254740993","size":"12"}');

    // Assess
    expect(fields).toMatchObject({ crc64: '9007199254740993', size: 12 });
  });

  it('keeps custom fields in vars as text: strings as they are, numbers exact, booleans and null as text', () => {
    // Act
    const fields = parse(JSON_TYPE, '{"bucket":"b","object":"o","x:uid":"42","x:big":12345678901234567890,"x:flag":true,"x:none":null}');

    // Assess
    expect(fields.vars).toEqual({ 'x:uid': '42', 'x:big': '12345678901234567890', 'x:flag': 'true', 'x:none': '' });
  });

  it('keeps an array or object custom field as its JSON text, numbers inside unquoted', () => {
    // Act
    const fields = parse(JSON_TYPE, '{"bucket":"b","object":"o","x:tags":["a",1],"x:meta":{"n":2}}');

    // Assess
    expect(fields.vars).toEqual({ 'x:tags': '["a",1]', 'x:meta': '{"n":2}' });
  });

  it('refuses a duplicate key', () => {
    // Act
    const error = refusal(() => parse(JSON_TYPE, '{"bucket":"b","object":"o","bucket":"c"}'));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: expect.stringMatching(/^the body is not valid JSON: Duplicate key 'bucket'/) });
  });

  it('takes equal keys in different objects and key-like text in values as they are', () => {
    // Act
    const fields = parse(JSON_TYPE, '{"bucket":"b","object":"o","x:list":[{"a":1},{"a":1}],"x:s":"bucket\\":","x:t":{"a":{"a":2}}}');

    // Assess
    expect(fields.vars).toEqual({ 'x:list': '[{"a":1},{"a":1}]', 'x:s': 'bucket":', 'x:t': '{"a":{"a":2}}' });
  });

  it.each([
    { title: 'a lone high surrogate in the key', body: '{"bucket":"b","object":"a\\ud800"}' },
    { title: 'a lone low surrogate in the key', body: '{"bucket":"b","object":"a\\udfff"}' },
    { title: 'a low surrogate before a high one', body: '{"bucket":"b","object":"\\udc00\\ud800"}' },
    { title: 'a lone surrogate in a custom variable', body: '{"bucket":"b","object":"o","x:uid":"4\\uD83D"}' },
    { title: 'a lone surrogate nested in a custom variable', body: '{"bucket":"b","object":"o","x:t":{"a":["\\udbff"]}}' },
    { title: 'a lone surrogate in a field name', body: '{"bucket":"b","object":"o","x:\\ud800":"1"}' },
  ])('refuses $title: text no store can hold', ({ body }) => {
    // Act
    const error = refusal(() => parse(JSON_TYPE, body));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: expect.stringMatching(/lone surrogate/) });
  });

  it('takes escaped surrogate pairs, U+FFFD and an escaped backslash before "ud800" as the text they are', () => {
    // Act
    const fields = parse(JSON_TYPE, '{"bucket":"b","object":"\\ud83d\\ude00 a\\ufffd","x:s":"\\\\ud800"}');

    // Assess
    expect(fields.object).toBe('😀 a\ufffd');
    expect(fields.vars).toEqual({ 'x:s': '\\ud800' });
  });

  it('refuses a lone surrogate encoded in UTF-8 bytes or percent-escapes, in JSON and in a form', () => {
    // Act
    const raw = Buffer.concat([Buffer.from('{"bucket":"b","object":"a'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);
    const errors = [refusal(() => parseCallbackBody(JSON_TYPE, raw)), refusal(() => parse(FORM, 'bucket=b&object=a%ED%A0%80'))];

    // Assess
    for (const error of errors) expect(error).toMatchObject({ code: 'MalformedBody', message: expect.stringMatching(/not valid UTF-8/) });
  });

  it('refuses an image field given both nested and flat', () => {
    // Act
    const error = refusal(() => parse(JSON_TYPE, '{"bucket":"b","object":"o","imageInfo":{"width":1},"imageInfo.width":2}'));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: 'field "imageInfo.width" appears more than once' });
  });

  it.each([
    { title: 'an array', body: '[{"bucket":"b","object":"o"}]' },
    { title: 'a string', body: '"bucket=b&object=o"' },
    { title: 'a number', body: '42' },
    { title: 'null', body: 'null' },
  ])('refuses $title as the whole body', ({ body }) => {
    // Act
    const error = refusal(() => parse(JSON_TYPE, body));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: 'the JSON body must be an object' });
  });

  it.each([
    { title: 'truncated JSON', body: '{"bucket":"b","object":' },
    { title: 'an empty body', body: '' },
    { title: 'a form body sent as JSON', body: 'bucket=b&object=o' },
    { title: 'trailing garbage', body: '{"bucket":"b","object":"o"} x' },
  ])('refuses $title as not valid JSON', ({ body }) => {
    // Act
    const error = refusal(() => parse(JSON_TYPE, body));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: expect.stringMatching(/^the body is not valid JSON: /) });
  });

  it.each([
    { field: 'bucket', body: '{"bucket":{"name":"b"},"object":"o"}' },
    { field: 'size', body: '{"bucket":"b","object":"o","size":[1]}' },
    { field: 'imageInfo.width', body: '{"bucket":"b","object":"o","imageInfo":{"width":{"px":1}}}' },
  ])('refuses an object or array for the system field $field', ({ field, body }) => {
    // Act
    const error = refusal(() => parse(JSON_TYPE, body));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: `field "${field}" must be a string or a number` });
  });
});

describe('parseCallbackBody: values', () => {
  it('takes an OSS request id as reqId', () => {
    expect(parse(FORM, 'bucket=b&object=o&reqId=66399AA50000000003334673EC2').reqId).toBe('66399AA50000000003334673EC2');
  });

  it.each(['ticket:1234', 'a/b', 'x'.repeat(129), 'id with space'])('refuses reqId %j, which could not be an OSS request id', (reqId) => {
    // Act
    const error = refusal(() => parse(FORM, `bucket=b&object=o&reqId=${encodeURIComponent(reqId)}`));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: expect.stringMatching(/^reqId must be letters, digits, _ or -/) });
  });

  it.each([
    { title: 'one above the 64-bit range', crc64: '18446744073709551616' },
    { title: '21 digits', crc64: '100000000000000000000' },
    { title: 'a negative number', crc64: '-1' },
    { title: 'a decimal fraction', crc64: '1.5' },
    { title: 'hex', crc64: '0x10' },
    { title: 'letters', crc64: 'abc' },
  ])('refuses crc64 as $title', ({ crc64 }) => {
    // Act
    const error = refusal(() => parse(FORM, `bucket=b&object=o&crc64=${encodeURIComponent(crc64)}`));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: `crc64 must be an unsigned 64-bit decimal, got ${JSON.stringify(crc64)}` });
  });

  it('refuses a bare JSON crc64 above the 64-bit range', () => {
    // Act
    const error = refusal(() => parse(JSON_TYPE, '{"bucket":"b","object":"o","crc64":18446744073709551616}'));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: 'crc64 must be an unsigned 64-bit decimal, got "18446744073709551616"' });
  });

  it('accepts crc64 0 and the largest 64-bit value', () => {
    // Act
    const low = parse(FORM, 'bucket=b&object=o&crc64=0');
    const high = parse(FORM, 'bucket=b&object=o&crc64=18446744073709551615');

    // Assess
    expect([low.crc64, high.crc64]).toEqual(['0', '18446744073709551615']);
  });

  it.each([
    { value: '5kb' },
    { value: '-5' },
    { value: '1.5' },
    { value: '1e3' },
    { value: '9007199254740993' },
  ])('refuses size $value as not a whole number', ({ value }) => {
    // Act
    const error = refusal(() => parse(FORM, `bucket=b&object=o&size=${encodeURIComponent(value)}`));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: `size must be a whole number, got ${JSON.stringify(value)}` });
  });

  it('treats empty image fields as no image', () => {
    // Act
    const fields = parse(FORM, 'bucket=b&object=o&imageInfo.height=&imageInfo.width=&imageInfo.format=');

    // Assess
    expect(fields.image).toBeNull();
  });

  it('treats JSON null image fields as no image', () => {
    // Act
    const fields = parse(JSON_TYPE, '{"bucket":"b","object":"o","imageInfo":{"height":null,"width":null,"format":null}}');

    // Assess
    expect(fields.image).toBeNull();
  });

  it.each([
    { title: 'a format without dimensions', body: 'bucket=b&object=o&imageInfo.format=jpg' },
    { title: 'dimensions without a format', body: 'bucket=b&object=o&imageInfo.height=1&imageInfo.width=2&imageInfo.format=' },
    { title: 'a height alone', body: 'bucket=b&object=o&imageInfo.height=1' },
  ])('refuses a partial image: $title', ({ body }) => {
    // Act
    const error = refusal(() => parse(FORM, body));

    // Assess
    expect(error).toMatchObject({
      code: 'MalformedBody',
      message: 'imageInfo.height, imageInfo.width and imageInfo.format must be all present or all empty',
    });
  });

  it('refuses an image dimension that is not a whole number', () => {
    // Act
    const error = refusal(() => parse(FORM, 'bucket=b&object=o&imageInfo.height=1&imageInfo.width=wide&imageInfo.format=jpg'));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: 'imageInfo.width must be a whole number, got "wide"' });
  });

  it.each([
    { type: FORM, body: Buffer.concat([Buffer.from('bucket=b&object='), Buffer.from([0xff, 0xfe])]) },
    { type: JSON_TYPE, body: Buffer.concat([Buffer.from('{"bucket":"b","object":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]) },
  ])('refuses a $type body that is not valid UTF-8', ({ type, body }) => {
    // Act
    const error = refusal(() => parse(type, body));

    // Assess
    expect(error).toMatchObject({ code: 'MalformedBody', message: 'the body is not valid UTF-8' });
  });
});

describe('parseCallbackBody: content type, required fields and fields no decoder should pass', () => {
  const missingField = (name: string) => `the body has no ${name}; add ${name}=\${${name}} to the callback body template`;

  it.each([
    { contentType: 'text/plain', shown: '"text/plain"' },
    { contentType: 'multipart/form-data; boundary=x', shown: '"multipart/form-data; boundary=x"' },
    { contentType: 'application/jsonp', shown: '"application/jsonp"' },
    { contentType: '', shown: '""' },
    { contentType: undefined, shown: '""' },
  ])('refuses the content type $shown', ({ contentType, shown }) => {
    // Act
    const error = refusal(() => parse(contentType, 'bucket=b&object=o'));

    // Assess
    expect(error).toMatchObject({
      code: 'UnsupportedContentType',
      message: `content type ${shown} is not supported; OSS sends application/x-www-form-urlencoded or application/json`,
    });
  });

  it.each([
    { title: 'no bucket', type: FORM, body: 'object=o', code: 'MissingField', message: missingField('bucket') },
    { title: 'an empty bucket', type: FORM, body: 'bucket=&object=o', code: 'MissingField', message: missingField('bucket') },
    { title: 'no object', type: FORM, body: 'bucket=b', code: 'MissingField', message: missingField('object') },
    { title: 'a null object', type: JSON_TYPE, body: '{"bucket":"b","object":null}', code: 'MissingField', message: missingField('object') },
    { title: 'an empty JSON object', type: JSON_TYPE, body: '{}', code: 'MissingField', message: missingField('bucket') },
    // What a form decoder or a JSON parser alone would let through.
    { title: 'a form value percent-encoding bytes that are not UTF-8 (URLSearchParams: U+FFFD)', type: FORM, body: 'bucket=b&object=o&x:s=%FF%FE', code: 'MalformedBody', message: 'the value of field "x:s", percent-decoded, is not valid UTF-8' },
    { title: 'a form value ending in half a character', type: FORM, body: 'bucket=b&object=%E7%8C', code: 'MalformedBody', message: 'the value of field "object", percent-decoded, is not valid UTF-8' },
    { title: 'a form name percent-encoding bytes that are not UTF-8', type: FORM, body: 'bucket=b&object=o&x%FF=1', code: 'MalformedBody', message: 'a field name, percent-decoded, is not valid UTF-8' },
    { title: 'a JSON key repeated with the same value', type: JSON_TYPE, body: '{"bucket":"b","object":"o","bucket":"b"}', code: 'MalformedBody', message: 'key "bucket" appears more than once in an object' },
    { title: 'a JSON key repeated, spelled with an escape', type: JSON_TYPE, body: '{"bucket":"b","object":"o","\\u0062ucket":"b"}', code: 'MalformedBody', message: 'key "bucket" appears more than once in an object' },
    { title: 'a JSON key repeated inside a custom variable', type: JSON_TYPE, body: '{"bucket":"b","object":"o","x:m":{"n":1, "n" :1}}', code: 'MalformedBody', message: 'key "n" appears more than once in an object' },
  ])('refuses $title as $code', ({ type, body, code, message }) => {
    // Act
    const error = refusal(() => parse(type, body));

    // Assess
    expect(error).toMatchObject({ code, message });
  });
});
