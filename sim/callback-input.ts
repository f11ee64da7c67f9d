import { CallbackParamError, parseCallbackParam, parseCallbackVar, type CallbackParam } from '../lib/protocol/callback-param.js';
import { OssError } from './oss-error.js';
import type { QueryParam } from './request-auth.js';

export interface CallbackInput {
  param: CallbackParam;
  vars: Record<string, string>;
}

/** OSS echoes the argument back; decoded when it is readable, which is what a developer needs to see. */
function shown(value: string): string {
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  return /^[\x20-\x7e\s]*$/.test(decoded) && decoded.trim().startsWith('{') ? decoded : value;
}

function invalidArgument(message: string, name: string, value: string): OssError {
  return new OssError(400, 'InvalidArgument', message, [
    ['ArgumentName', name],
    ['ArgumentValue', shown(value)],
  ]);
}

function parse(callback: string | undefined, callbackVar: string | undefined, customFields: Record<string, string> = {}): CallbackInput | undefined {
  if (callback === undefined) return undefined;
  try {
    const vars = { ...customFields, ...(callbackVar === undefined ? {} : parseCallbackVar(callbackVar)) };
    return { param: parseCallbackParam(callback), vars };
  } catch (error) {
    if (!(error instanceof CallbackParamError)) throw error;
    throw invalidArgument(error.message, error.argumentName, (error.argumentName === 'callback' ? callback : callbackVar) ?? '');
  }
}

function oneOf(header: string | undefined, query: string | undefined, name: string): string | undefined {
  if (header !== undefined && query !== undefined) {
    throw invalidArgument(`Either the ${name} query string parameter or the x-oss-${name} header should be specified, not both.`, name, header);
  }
  return header ?? query;
}

/** PutObject and CompleteMultipartUpload: `x-oss-callback[-var]` headers or `callback[-var]` query. */
export function callbackFromRequest(headers: Record<string, string>, query: readonly QueryParam[]): CallbackInput | undefined {
  const fromQuery = (name: string) => {
    const found = query.find(([key]) => key === name);
    return found ? (found[1] ?? '') : undefined;
  };
  const callback = oneOf(headers['x-oss-callback'], fromQuery('callback'), 'callback');
  const callbackVar = oneOf(headers['x-oss-callback-var'], fromQuery('callback-var'), 'callback-var');
  return parse(callback, callbackVar);
}

/** PostObject: the `callback` field, custom variables as `x:<name>` fields of their own. */
export function callbackFromForm(fields: ReadonlyMap<string, string>): CallbackInput | undefined {
  const custom = Object.fromEntries([...fields].filter(([name]) => name.startsWith('x:')));
  return parse(fields.get('callback'), undefined, custom);
}
