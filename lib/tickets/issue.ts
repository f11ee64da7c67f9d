import type { AliyunCredentials } from '../credentials.js';
import { folderAt, parseDatedPrefix } from '../oss/dated-prefix.js';
import { CallbackError } from '../errors.js';
import { buildCallbackParam } from '../protocol/callback-param.js';
import { signPostPolicyV4 } from '../protocol/post-policy-v4.js';
import { callbackBodyTemplate } from '../protocol/templates.js';
import type { TicketConfig } from './config.js';
import { objectKey, userPrefix } from './object-key.js';
import { signTicket } from './ticket.js';
import { TICKET_VARIABLE } from '../protocol/ticket-field.js';

/** What a signed-in user asks for: the file they are about to upload. */
export interface TicketRequest {
  fileName: string;
  size: number;
  contentType: string;
}

/** Everything a browser needs to POST the file straight to OSS, and nothing it must not see. */
export interface IssuedUpload {
  /** POST the form here, the fields in this order, the file last in a field named `file`. */
  url: string;
  method: 'POST';
  fields: Record<string, string>;
  fileField: 'file';
  key: string;
  uploader: string;
  maxSize: number;
  /** When the form stops working (the policy's expiration). */
  expiresAt: string;
}

const invalid = (message: string) => new CallbackError('InvalidTicketRequest', message);
const CONTENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/;
const MAX_REQUEST_BYTES = 8192;

/** The JSON body `{"fileName": "...", "size": 123, "contentType": "image/png"}`; a missing type is `application/octet-stream`. */
export function parseTicketRequest(body: Buffer): TicketRequest {
  if (body.length > MAX_REQUEST_BYTES) throw invalid(`the request is larger than ${MAX_REQUEST_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('send JSON: {"fileName": "...", "size": <bytes>, "contentType": "..."}');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('send a JSON object');
  const { fileName, size, contentType = 'application/octet-stream' } = json as Record<string, unknown>;
  if (typeof fileName !== 'string' || fileName.trim() === '' || fileName.length > 1024) throw invalid('fileName must be a non-empty string of at most 1024 characters');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid('size must be the file size in bytes, a whole number');
  if (typeof contentType !== 'string' || !CONTENT_TYPE.test(contentType) || contentType.length > 255) throw invalid('contentType must be a media type such as image/png');
  return { fileName, size, contentType: contentType.toLowerCase() };
}

function allowedType(allowed: readonly string[] | null, type: string): boolean {
  return allowed === null || allowed.some((pattern) => pattern === type || (pattern.endsWith('/*') && type.startsWith(pattern.slice(0, -1))));
}

export interface IssueInput {
  subject: string;
  request: TicketRequest;
  credentials: AliyunCredentials;
  config: TicketConfig;
  /** Epoch ms. */
  now: number;
  /** The ticket's unique id (a random UUID). */
  id: string;
}

/**
 * Issue one direct upload: the object key under the user's folder, a ticket binding the user, the
 * bucket, that folder and the size, the callback carrying the ticket back, and a V4-signed policy
 * that pins the bucket, the folder, the size range, the content type and the callback itself, so the
 * form cannot be altered on the way without OSS refusing it.
 */
export async function issueUpload({ subject, request, credentials, config, now, id }: IssueInput): Promise<IssuedUpload> {
  if (request.size > config.maxSize) throw new CallbackError('UploadNotAllowed', `uploads are limited to ${config.maxSize} bytes`);
  if (!allowedType(config.contentTypes, request.contentType)) throw new CallbackError('UploadNotAllowed', `${request.contentType} uploads are not allowed`);
  // Under a dated prefix, the folder of the time of issue: the ticket and the policy bind that folder.
  const prefix = userPrefix(folderAt(parseDatedPrefix(config.keyPrefix), new Date(now)), subject);
  const key = objectKey(prefix, id, request.fileName);
  if (Buffer.byteLength(key) > 1023) throw invalid('the user name and file name make an object key longer than OSS allows (1023 bytes)');
  const expires = Math.floor(now / 1000) + config.ttlSeconds;
  const ticket = await signTicket(
    { sub: subject, jti: id, bucket: config.bucket, prefix, maxSize: request.size, iat: Math.floor(now / 1000), exp: expires + config.uploadWindowSeconds },
    config.signingKey,
  );
  // HTTPS front doors (function URLs, FC custom domains) share IPs and need SNI; OSS sends none unless asked.
  const sni = config.callbackUrl.split(';').some((url) => /^\s*https:/i.test(url));
  const callback = buildCallbackParam({ url: config.callbackUrl, body: callbackBodyTemplate('form', [TICKET_VARIABLE]), ...(sni ? { sni: true } : {}) });
  const signed = signPostPolicyV4(
    {
      expiration: new Date(expires * 1000).toISOString(),
      conditions: [
        { bucket: config.bucket },
        ['starts-with', '$key', prefix],
        ['content-length-range', 0, request.size],
        ['eq', '$content-type', request.contentType],
        { callback },
      ],
    },
    { ...credentials, region: config.region },
    new Date(now),
  );
  return {
    url: config.endpoint,
    method: 'POST',
    fields: { key, 'Content-Type': request.contentType, ...signed, callback, [TICKET_VARIABLE]: ticket },
    fileField: 'file',
    key,
    uploader: subject,
    maxSize: request.size,
    expiresAt: new Date(expires * 1000).toISOString(),
  };
}
