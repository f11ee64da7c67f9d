import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { CallbackKey } from './callback-key.js';
import type { Notify } from './notify-created.js';
import type { ObjectStore } from './object-store.js';
import { ossErrors } from './oss-error.js';
import type { AccessKeyPair, QueryParam } from './request-auth.js';

/** Where the simulator keeps its own files (the callback public key); no object may live there. */
export const RESERVED_PREFIX = '.oss-sim/';

/** OSS's object name rules: 1 to 1023 bytes of UTF-8, not starting with `/` or `\`. */
export function checkObjectKey(key: string): void {
  if (!key || Buffer.byteLength(key) > 1023 || key.startsWith('/') || key.startsWith('\\') || key.startsWith(RESERVED_PREFIX)) {
    throw ossErrors.invalidObjectName();
  }
}

/** What every operation handler can reach: the one bucket, its store, the callback key. */
export interface SimContext {
  bucket: string;
  store: ObjectStore;
  /** When set, every request must be signed with this pair; otherwise any credentials pass. */
  credentials: AccessKeyPair | undefined;
  callbackKey: CallbackKey;
  keyUrl: string;
  callbackTimeoutMs: number;
  hostId: string;
  /** Posts an OSS ObjectCreated event for every object created (`--notify-url`). */
  notify: Notify | undefined;
}

export interface OssRequest {
  req: IncomingMessage;
  method: string;
  /** Decoded object key; '' for the bucket itself. */
  key: string;
  query: readonly QueryParam[];
  headers: Record<string, string>;
  requestId: string;
  clientIp: string;
}

export interface OssAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
}

export function hasQuery(request: OssRequest, name: string): boolean {
  return request.query.some(([key]) => key === name);
}

export function queryParam(request: OssRequest, name: string): string | undefined {
  const found = request.query.find(([key]) => key === name);
  return found ? (found[1] ?? '') : undefined;
}

/** `x-oss-meta-*` headers (or form fields), kept to be returned with the object. */
export function userMeta(source: Iterable<readonly [string, string]>): Record<string, string> {
  return Object.fromEntries([...source].filter(([name]) => name.startsWith('x-oss-meta-')));
}
