import { isLosslessNumber, parse as parseLosslessJson, stringify as stringifyLosslessJson } from 'lossless-json';
import { CallbackError } from '../errors.js';
import { setOwnField } from '../own-field.js';
import type { ImageInfo, UploadRecord } from '../store/record.js';
import { firstRepeatedKey } from './json-repeated-key.js';
import { percentDecodePath } from './string-to-sign.js';
import { CONTENT_TYPES } from './templates.js';

/**
 * The callback body is a template the uploader chose, so fields are read by the variable names the
 * recommended templates use (protocol note §2); every other field is kept in `vars` under its own
 * name. Only called after the signature holds: the bytes are decoded here, never before.
 */
export type CallbackFields = Omit<UploadRecord, 'id' | 'source' | 'uploader' | 'receivedAt' | 'lastModified' | 'metadata'>;

const TEXT_FIELDS = ['bucket', 'object', 'etag', 'mimeType', 'contentMd5', 'operation', 'reqId', 'clientIp', 'vpcId'] as const;
const IMAGE_FIELDS = { height: 'imageInfo.height', width: 'imageInfo.width', format: 'imageInfo.format' } as const;
const SYSTEM_NAMES = new Set<string>([...TEXT_FIELDS, 'size', 'crc64', ...Object.values(IMAGE_FIELDS)]);
const MAX_UINT64 = (1n << 64n) - 1n;

/** A field as it arrived: text (numbers keep their exact source text) or absent/empty. */
type Raw = Map<string, string | null>;

const malformed = (message: string) => new CallbackError('MalformedBody', message);

export function parseCallbackBody(contentType: string | undefined, body: Buffer): CallbackFields {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  let raw: Raw;
  if (mediaType === CONTENT_TYPES.form) raw = readForm(decodeUtf8(body, 'the body'));
  else if (mediaType === CONTENT_TYPES.json) raw = readJson(decodeUtf8(body, 'the body'));
  else {
    throw new CallbackError(
      'UnsupportedContentType',
      `content type ${JSON.stringify(contentType ?? '')} is not supported; OSS sends ${CONTENT_TYPES.form} or ${CONTENT_TYPES.json}`,
    );
  }
  return toFields(raw);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw malformed(`${what} is not valid UTF-8`);
  }
}

/**
 * The urlencoded parser of the URL standard, except that percent-escapes must decode to UTF-8:
 * URLSearchParams would turn `%FF` into U+FFFD and store text OSS never sent.
 */
function readForm(text: string): Raw {
  const raw: Raw = new Map();
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = formDecode(equals < 0 ? pair : pair.slice(0, equals), 'a field name, percent-decoded,');
    const value = formDecode(equals < 0 ? '' : pair.slice(equals + 1), `the value of field ${JSON.stringify(name)}, percent-decoded,`);
    if (raw.has(name)) throw malformed(`field ${JSON.stringify(name)} appears more than once`);
    raw.set(name, value);
  }
  return raw;
}

/** Percent-decoding is the path's (%XX only, a bad escape kept as it is), once + is a space. */
function formDecode(encoded: string, what: string): string {
  // Most fields are plain text, already valid UTF-8: nothing to decode.
  if (!/[%+]/.test(encoded)) return encoded;
  const spaced = encoded.replaceAll('+', ' ');
  try {
    // Well-formed escapes of valid UTF-8, the usual case: the engine's decoder gives the same text.
    return decodeURIComponent(spaced);
  } catch {
    // A bare or bad escape (kept as it is) or bytes that are not UTF-8 (refused): the careful way.
    return decodeUtf8(percentDecodePath(spaced), what);
  }
}

function readJson(text: string): Raw {
  let document: unknown;
  try {
    // Numbers stay as their source text (LosslessNumber): crc64 is a 64-bit value JSON.parse would round.
    document = parseLosslessJson(text);
  } catch (error) {
    throw malformed(`the body is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(document)) throw malformed('the JSON body must be an object');
  // Bytes are valid UTF-8 by now, but a `\ud800` escape still makes a lone surrogate: text no store
  // can hold as UTF-8, which `\ud800`, `\udfff` and U+FFFD would all come out as.
  if (SURROGATE_ESCAPE.test(text)) refuseLoneSurrogates(document);
  // The parser keeps one of two equal values under a repeated key; a repeat is refused as in a form.
  const repeated = firstRepeatedKey(text);
  if (repeated !== undefined) throw malformed(`key ${JSON.stringify(repeated)} appears more than once in an object`);
  const raw: Raw = new Map();
  const put = (name: string, value: unknown) => {
    if (raw.has(name)) throw malformed(`field ${JSON.stringify(name)} appears more than once`);
    raw.set(name, jsonText(name, value));
  };
  for (const [name, value] of Object.entries(document)) {
    if (name === 'imageInfo' && isObject(value)) {
      for (const [part, inner] of Object.entries(value)) put(`imageInfo.${part}`, inner);
    } else {
      put(name, value);
    }
  }
  return raw;
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
const LONE_SURROGATE = /\p{Surrogate}/u;

function refuseLoneSurrogates(value: unknown): void {
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) throw malformed(`${JSON.stringify(value.slice(0, 40))} holds a lone surrogate (\\ud800-\\udfff unpaired): not text`);
  } else if (Array.isArray(value)) {
    for (const item of value) refuseLoneSurrogates(item);
  } else if (isObject(value)) {
    for (const [name, item] of Object.entries(value)) {
      refuseLoneSurrogates(name);
      refuseLoneSurrogates(item);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isLosslessNumber(value);
}

function jsonText(name: string, value: unknown): string | null {
  if (value === null || typeof value === 'string') return value;
  if (isLosslessNumber(value)) return value.value;
  if (typeof value === 'boolean') return String(value);
  if (SYSTEM_NAMES.has(name)) throw malformed(`field ${JSON.stringify(name)} must be a string or a number`);
  return stringifyLosslessJson(value) ?? '';
}

function toFields(raw: Raw): CallbackFields {
  const text = (name: string) => {
    const value = raw.get(name);
    return value === undefined || value === null || value === '' ? null : value;
  };
  const required = (name: 'bucket' | 'object') => {
    const value = text(name);
    if (value === null) throw new CallbackError('MissingField', `the body has no ${name}; add ${name}=\${${name}} to the callback body template`);
    return value;
  };
  const vars: Record<string, string> = {};
  for (const [name, value] of raw) {
    if (!SYSTEM_NAMES.has(name)) setOwnField(vars, name, value ?? '');
  }
  return {
    bucket: required('bucket'),
    object: required('object'),
    etag: text('etag'),
    size: count(text('size'), 'size'),
    mimeType: text('mimeType'),
    crc64: crc64(text('crc64')),
    contentMd5: text('contentMd5'),
    operation: text('operation'),
    reqId: requestId(text('reqId')),
    clientIp: text('clientIp'),
    vpcId: text('vpcId'),
    image: image(text),
    vars,
  };
}

function count(value: string | null, name: string): number | null {
  if (value === null) return null;
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number)) throw malformed(`${name} must be a whole number, got ${JSON.stringify(value)}`);
  return number;
}

/**
 * The reqId becomes the record id, so it must look like an OSS request id (24 hex digits today); a
 * template constant could otherwise pick ids from namespaces the receiver keeps for itself.
 */
function requestId(value: string | null): string | null {
  if (value !== null && !/^[A-Za-z0-9_-]{1,128}$/.test(value)) {
    throw malformed(`reqId must be letters, digits, _ or - (an OSS request id), got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return value;
}

function crc64(value: string | null): string | null {
  if (value === null) return null;
  if (!/^\d{1,20}$/.test(value) || BigInt(value) > MAX_UINT64) {
    throw malformed(`crc64 must be an unsigned 64-bit decimal, got ${JSON.stringify(value)}`);
  }
  return BigInt(value).toString();
}

function image(text: (name: string) => string | null): ImageInfo | null {
  const height = text(IMAGE_FIELDS.height);
  const width = text(IMAGE_FIELDS.width);
  const format = text(IMAGE_FIELDS.format);
  if (height === null && width === null && format === null) return null;
  if (height === null || width === null || format === null) {
    throw malformed('imageInfo.height, imageInfo.width and imageInfo.format must be all present or all empty');
  }
  return { width: count(width, IMAGE_FIELDS.width)!, height: count(height, IMAGE_FIELDS.height)!, format };
}
