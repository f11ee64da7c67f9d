import { describe, expect, it } from 'vitest';
import { parseCallbackBody, type CallbackFields } from '../../../lib/protocol/callback-body.js';
import { callbackBodyTemplate, CONTENT_TYPES, SYSTEM_VARIABLES } from '../../../lib/protocol/templates.js';
import { APPSERVER_JSON_BODY } from '../../vectors/callback-bodies.js';

/** The §2.1 upload, with an object key and custom values that need encoding: `/`, space, `&`, `+`, `=`, `"`, `\`, non-ASCII. */
const EXPECTED_FIELDS: CallbackFields = {
  ...APPSERVER_JSON_BODY.fields,
  object: 'users/42/猫 & co+1=2.jpg',
  crc64: '18446744073709551615',
  vpcId: 'vpc-1',
  vars: { 'x:uid': '42', 'x:album': 'holiday "23" \\ ä' },
};

/** The value OSS substitutes for each variable of the template, as text. */
const SAMPLE: Record<string, string> = {
  ...Object.fromEntries(
    Object.entries(EXPECTED_FIELDS).filter(([, value]) => typeof value === 'string' || typeof value === 'number').map(([name, value]) => [name, String(value)]),
  ),
  'imageInfo.height': String(EXPECTED_FIELDS.image!.height),
  'imageInfo.width': String(EXPECTED_FIELDS.image!.width),
  'imageInfo.format': EXPECTED_FIELDS.image!.format,
  ...EXPECTED_FIELDS.vars,
};

/** Numbers OSS emits bare in JSON mode (protocol note §2.1). */
const BARE_IN_JSON = new Set(['size', 'imageInfo.height', 'imageInfo.width', 'crc64']);

/** Fill `${name}` the way OSS does: URL-encoded values in form mode (protocol note §2.1). */
function renderForm(template: string, values: Record<string, string>): string {
  return template.replace(/\$\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? ''));
}

/** Fill `${name}` the way OSS does in JSON mode: strings quoted and escaped, numbers bare, empty as null. */
function renderJson(template: string, values: Record<string, string>): string {
  return template.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name] ?? '';
    if (value === '') return 'null';
    return BARE_IN_JSON.has(name) ? value : JSON.stringify(value);
  });
}

describe('callbackBodyTemplate: form', () => {
  it('names every system variable as name=${name}', () => {
    // Act
    const template = callbackBodyTemplate('form');

    // Assess
    expect(template.split('&')).toEqual(SYSTEM_VARIABLES.map((name) => `${name}=\${${name}}`));
  });

  it('adds custom variables as x:name=${x:name}, with or without the x: prefix given', () => {
    // Act
    const template = callbackBodyTemplate('form', ['uid', 'x:album']);

    // Assess
    expect(template.endsWith('&x:uid=${x:uid}&x:album=${x:album}')).toBe(true);
  });

  it('parses, once OSS fills it in, into every field of the upload record', () => {
    // Prepare
    const body = renderForm(callbackBodyTemplate('form', ['uid', 'album']), SAMPLE);

    // Act
    const fields = parseCallbackBody(CONTENT_TYPES.form, Buffer.from(body));

    // Assess
    expect(fields).toEqual(EXPECTED_FIELDS);
  });

  it('parses into no image and no optional fields for a non-image upload with empty variables', () => {
    // Prepare
    const body = renderForm(callbackBodyTemplate('form'), { bucket: 'b', object: 'notes.txt' });

    // Act
    const fields = parseCallbackBody(CONTENT_TYPES.form, Buffer.from(body));

    // Assess
    expect(fields).toMatchObject({ bucket: 'b', object: 'notes.txt', size: null, crc64: null, image: null, vars: {} });
  });
});

describe('callbackBodyTemplate: JSON', () => {
  it('leaves every variable unquoted and nests imageInfo', () => {
    // Act
    const template = callbackBodyTemplate('json');

    // Assess
    expect(template).toContain('"bucket":${bucket}');
    expect(template).toContain('"imageInfo":{"height":${imageInfo.height},"width":${imageInfo.width},"format":${imageInfo.format}}');
    expect(template).not.toMatch(/"\$\{/);
  });

  it('parses, once OSS fills it in (strings quoted, numbers bare), into every field of the upload record', () => {
    // Prepare
    const body = renderJson(callbackBodyTemplate('json', ['uid', 'album']), SAMPLE);

    // Act
    const fields = parseCallbackBody(CONTENT_TYPES.json, Buffer.from(body));

    // Assess
    expect(fields).toEqual(EXPECTED_FIELDS);
  });

  it('parses into no image when OSS sends null image fields', () => {
    // Prepare
    const body = renderJson(callbackBodyTemplate('json'), { bucket: 'b', object: 'notes.txt', size: '3' });

    // Act
    const fields = parseCallbackBody(CONTENT_TYPES.json, Buffer.from(body));

    // Assess
    expect(fields).toMatchObject({ bucket: 'b', object: 'notes.txt', size: 3, image: null, vpcId: null });
  });
});

describe('callbackBodyTemplate: custom variable names', () => {
  it.each(['Uid', 'x:UID', 'a b', 'a&b', 'a=b', 'a}', '猫', '', 'x:'])('refuses the custom variable %j', (name) => {
    // Act
    const build = () => callbackBodyTemplate('form', [name]);

    // Assess
    expect(build).toThrow(`custom variable "${name}" must be lower-case letters, digits, _ - or .`);
  });

  it.each(['uid', 'order_id', 'a-b', 'v1.2', 'x:uid'])('accepts the custom variable %j', (name) => {
    // Act
    const template = callbackBodyTemplate('json', [name]);

    // Assess
    const bare = name.replace(/^x:/, '');
    expect(template).toContain(`"x:${bare}":\${x:${bare}}`);
  });
});
