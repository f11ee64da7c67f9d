/**
 * The callback body templates we recommend (README, `oss-callback template`). They carry every system
 * variable the upload record needs; custom variables go in as `x:<name>=${x:<name>}`. In JSON mode OSS
 * quotes and escapes values itself, so variables stay unquoted (protocol note §2.1).
 */
export type BodyType = 'form' | 'json';

export const CONTENT_TYPES: Record<BodyType, string> = {
  form: 'application/x-www-form-urlencoded',
  json: 'application/json',
};

/** System variables in the order the templates list them. */
export const SYSTEM_VARIABLES = [
  'bucket',
  'object',
  'etag',
  'size',
  'mimeType',
  'imageInfo.height',
  'imageInfo.width',
  'imageInfo.format',
  'crc64',
  'contentMd5',
  'vpcId',
  'clientIp',
  'reqId',
  'operation',
] as const;

const CUSTOM_NAME = /^[a-z0-9_\-.]+$/;

function customVariables(names: readonly string[]): string[] {
  return names.map((name) => {
    const bare = name.startsWith('x:') ? name.slice(2) : name;
    if (!CUSTOM_NAME.test(bare)) throw new Error(`custom variable "${name}" must be lower-case letters, digits, _ - or .`);
    return `x:${bare}`;
  });
}

export function callbackBodyTemplate(type: BodyType, custom: readonly string[] = []): string {
  const vars = customVariables(custom);
  if (type === 'form') {
    return [...SYSTEM_VARIABLES, ...vars].map((name) => `${name}=\${${name}}`).join('&');
  }
  const flat = SYSTEM_VARIABLES.filter((name) => !name.startsWith('imageInfo.'));
  const fields = flat.map((name) => `"${name}":\${${name}}`);
  fields.splice(
    flat.indexOf('mimeType') + 1,
    0,
    '"imageInfo":{"height":${imageInfo.height},"width":${imageInfo.width},"format":${imageInfo.format}}',
  );
  return `{${[...fields, ...vars.map((name) => `"${name}":\${${name}}`)].join(',')}}`;
}
