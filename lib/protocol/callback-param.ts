/**
 * The client side of the callback: the base64 `callback` / `callback-var` parameters an uploader
 * attaches (protocol note §1), built and validated the way OSS validates them. Pure code: the
 * simulator uses `parse*` to refuse what OSS refuses, the upload-ticket function uses `build*`.
 * Every refusal carries OSS's own message text (from its troubleshooting pages and SDK tests).
 */
import { SYSTEM_VARIABLES } from './templates.js';

export const FORM_BODY_TYPE = 'application/x-www-form-urlencoded';
export const JSON_BODY_TYPE = 'application/json';
export type CallbackBodyType = typeof FORM_BODY_TYPE | typeof JSON_BODY_TYPE;

/** Limits OSS enforces (§1.1, §1.2). */
export const MAX_PARAM_LENGTH = 5 * 1024;
export const MAX_CALLBACK_URLS = 5;

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'variable'; name: string };

export interface CallbackParam {
  /** In the order OSS tries them. Empty when `callbackUrl` is blank: OSS then sends no callback. */
  urls: string[];
  host?: string;
  body: string;
  bodyType: CallbackBodyType;
  sni: boolean;
  template: TemplatePart[];
}

export type CallbackArgument = 'callback' | 'callback-var';

/** What OSS answers as 400 `InvalidArgument`, with the parameter it names in `<ArgumentName>`. */
export class CallbackParamError extends Error {
  readonly argumentName: CallbackArgument;

  constructor(argumentName: CallbackArgument, message: string) {
    super(message);
    this.name = 'CallbackParamError';
    this.argumentName = argumentName;
  }
}

export const MESSAGES = {
  tooLong: 'The length of callback exceed max value.',
  notBase64: 'The callback configuration is not base64 encoded.',
  notJson: 'The callback configuration is not json format.',
  badUrl: 'The callback url configuration is invalid.',
  tooManyUrls: 'The number of callback url exceed max value.',
  badHost: 'The callback host configuration is invalid.',
  emptyBody: 'The callback body is empty.',
  badBody: 'The callback body is invalid.',
  badBraces: 'Left brace must be adjacent to dollar sign.',
  badBodyType: 'The body type of callback is not supported.',
  badSni: 'The callback sni is invalid.',
  varTooLong: 'The length of callback var exceed max value.',
  // OSS's own spelling.
  badVar: 'The callback var is not expecten json.',
} as const;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CUSTOM_VARIABLE = /^x:[a-z0-9_.-]+$/;
const KNOWN_SYSTEM = new Set<string>(SYSTEM_VARIABLES);

function decodeJson(encoded: string, argument: CallbackArgument, notBase64: string, notJson: string): unknown {
  if (!BASE64.test(encoded)) throw new CallbackParamError(argument, notBase64);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
    return JSON.parse(text);
  } catch {
    throw new CallbackParamError(argument, notJson);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A callback URL as OSS accepts it: http or https (no scheme means http), a host that is not an IPv6
 * literal (OSS cannot call IPv6), a numeric port if any.
 */
function checkUrl(url: string): void {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new CallbackParamError('callback', MESSAGES.badUrl);
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname || parsed.hostname.startsWith('[')) {
    throw new CallbackParamError('callback', MESSAGES.badUrl);
  }
}

/** `callbackUrl` is up to five URLs separated by `;`; empty entries (a trailing `;`) do not count. */
export function splitCallbackUrls(callbackUrl: string): string[] {
  const urls = callbackUrl
    .split(';')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  if (urls.length > MAX_CALLBACK_URLS) throw new CallbackParamError('callback', MESSAGES.tooManyUrls);
  urls.forEach(checkUrl);
  return urls;
}

/**
 * Split a `callbackBody` into literal text and `${name}` variables. Every `$` must open a `${`;
 * a variable must be closed and name a system variable or a lower-case `x:` custom one.
 */
export function parseBodyTemplate(body: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '$') {
      text += body[i];
      continue;
    }
    if (body[i + 1] !== '{') throw new CallbackParamError('callback', MESSAGES.badBraces);
    const close = body.indexOf('}', i + 2);
    if (close === -1) throw new CallbackParamError('callback', MESSAGES.badBody);
    const name = body.slice(i + 2, close);
    if (!KNOWN_SYSTEM.has(name) && !CUSTOM_VARIABLE.test(name)) throw new CallbackParamError('callback', MESSAGES.badBody);
    if (text) parts.push({ kind: 'text', text });
    parts.push({ kind: 'variable', name });
    text = '';
    i = close;
  }
  if (text) parts.push({ kind: 'text', text });
  return parts;
}

/** Decode and validate a `callback` parameter (header, query or form field) as OSS does. */
export function parseCallbackParam(encoded: string): CallbackParam {
  if (encoded.length > MAX_PARAM_LENGTH) throw new CallbackParamError('callback', MESSAGES.tooLong);
  const json = decodeJson(encoded, 'callback', MESSAGES.notBase64, MESSAGES.notJson);
  if (!isObject(json)) throw new CallbackParamError('callback', MESSAGES.notJson);
  const { callbackUrl, callbackHost, callbackBody, callbackBodyType, callbackSNI } = json;
  if (typeof callbackUrl !== 'string') throw new CallbackParamError('callback', MESSAGES.badUrl);
  const urls = splitCallbackUrls(callbackUrl);
  if (callbackHost !== undefined && (typeof callbackHost !== 'string' || /[\s/]/.test(callbackHost))) {
    throw new CallbackParamError('callback', MESSAGES.badHost);
  }
  if (callbackBody === undefined || callbackBody === '') throw new CallbackParamError('callback', MESSAGES.emptyBody);
  if (typeof callbackBody !== 'string') throw new CallbackParamError('callback', MESSAGES.badBody);
  const bodyType = callbackBodyType === undefined ? FORM_BODY_TYPE : callbackBodyType;
  if (bodyType !== FORM_BODY_TYPE && bodyType !== JSON_BODY_TYPE) throw new CallbackParamError('callback', MESSAGES.badBodyType);
  if (callbackSNI !== undefined && typeof callbackSNI !== 'boolean') throw new CallbackParamError('callback', MESSAGES.badSni);
  const param: CallbackParam = {
    urls,
    body: callbackBody,
    bodyType,
    sni: callbackSNI ?? false,
    template: parseBodyTemplate(callbackBody),
  };
  if (callbackHost) param.host = callbackHost;
  return param;
}

/** Decode and validate `callback-var`: a JSON object of lower-case `x:` names to strings. */
export function parseCallbackVar(encoded: string): Record<string, string> {
  if (encoded.length > MAX_PARAM_LENGTH) throw new CallbackParamError('callback-var', MESSAGES.varTooLong);
  const json = decodeJson(encoded, 'callback-var', MESSAGES.badVar, MESSAGES.badVar);
  if (!isObject(json)) throw new CallbackParamError('callback-var', MESSAGES.badVar);
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(json)) {
    if (!CUSTOM_VARIABLE.test(name) || typeof value !== 'string') throw new CallbackParamError('callback-var', MESSAGES.badVar);
    vars[name] = value;
  }
  return vars;
}

export interface CallbackSpec {
  /** One URL or up to five, tried in order. */
  url: string | readonly string[];
  body: string;
  host?: string;
  bodyType?: CallbackBodyType;
  /** Send TLS SNI; wanted for HTTPS callbacks to any shared front door (§1.2). */
  sni?: boolean;
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

/** The base64 `callback` value, refused here with OSS's message if OSS would refuse it. */
export function buildCallbackParam(spec: CallbackSpec): string {
  const json: Record<string, unknown> = {
    callbackUrl: typeof spec.url === 'string' ? spec.url : spec.url.join(';'),
    callbackBody: spec.body,
  };
  if (spec.host !== undefined) json.callbackHost = spec.host;
  if (spec.bodyType !== undefined) json.callbackBodyType = spec.bodyType;
  if (spec.sni !== undefined) json.callbackSNI = spec.sni;
  const encoded = encodeJson(json);
  const parsed = parseCallbackParam(encoded);
  if (parsed.urls.length === 0) throw new CallbackParamError('callback', MESSAGES.badUrl);
  return encoded;
}

/** The base64 `callback-var` value; names may be given with or without their `x:` prefix. */
export function buildCallbackVar(vars: Readonly<Record<string, string>>): string {
  const prefixed = Object.fromEntries(Object.entries(vars).map(([name, value]) => [name.startsWith('x:') ? name : `x:${name}`, value]));
  const encoded = encodeJson(prefixed);
  parseCallbackVar(encoded);
  return encoded;
}
