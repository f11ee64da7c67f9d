import { JSON_BODY_TYPE, type CallbackBodyType, type TemplatePart } from '../lib/protocol/callback-param.js';
import type { ImageInfo } from './image-info.js';

/** What OSS knows about an upload when it calls back (protocol note §2). */
export interface UploadFacts {
  bucket: string;
  object: string;
  etag: string;
  size: number;
  mimeType: string;
  imageInfo: ImageInfo | undefined;
  crc64: string;
  contentMd5: string;
  clientIp: string;
  reqId: string;
  operation: 'PutObject' | 'PostObject' | 'CompleteMultipartUpload';
}

/** A value is a number (bare in JSON mode), a string, or absent (empty in form mode, null in JSON). */
type Value = { number: string } | string | null;

function systemValue(name: string, facts: UploadFacts): Value {
  const image = facts.imageInfo;
  switch (name) {
    case 'bucket': return facts.bucket;
    case 'object': return facts.object;
    case 'etag': return facts.etag;
    case 'size': return { number: String(facts.size) };
    case 'mimeType': return facts.mimeType || null;
    case 'imageInfo.height': return image ? { number: String(image.height) } : null;
    case 'imageInfo.width': return image ? { number: String(image.width) } : null;
    case 'imageInfo.format': return image ? image.format : null;
    // Above 2^53 as often as not: written as the digits, never through a JS number.
    case 'crc64': return { number: facts.crc64 };
    case 'contentMd5': return facts.contentMd5 || null;
    case 'clientIp': return facts.clientIp;
    case 'reqId': return facts.reqId;
    case 'operation': return facts.operation;
    // vpcId: the simulator is never reached through a VPC.
    default: return null;
  }
}

function formValue(value: Value): string {
  if (value === null) return '';
  return encodeURIComponent(typeof value === 'string' ? value : value.number);
}

function jsonValue(value: Value): string {
  if (value === null) return 'null';
  return typeof value === 'string' ? JSON.stringify(value) : value.number;
}

/**
 * The callback body: the template's own text copied as it is, each variable replaced by its value,
 * URL-encoded in form mode and as a JSON value (quoted string, bare number, null) in JSON mode.
 */
export function renderBody(template: readonly TemplatePart[], bodyType: CallbackBodyType, facts: UploadFacts, custom: Readonly<Record<string, string>>): Buffer {
  const encode = bodyType === JSON_BODY_TYPE ? jsonValue : formValue;
  const text = template
    .map((part) => {
      if (part.kind === 'text') return part.text;
      const value = part.name.startsWith('x:') ? custom[part.name] ?? null : systemValue(part.name, facts);
      return encode(value);
    })
    .join('');
  return Buffer.from(text, 'utf8');
}
