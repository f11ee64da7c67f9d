import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64 } from './crc64.js';

/** Bytes written to a temporary file, with the digests OSS reports, not yet visible as an object. */
export interface Staged {
  path: string;
  size: number;
  md5: Buffer;
  crc64: string;
}

export interface StoredObject {
  key: string;
  size: number;
  /** Upper-case hex without quotes; `<hex>-<parts>` for a multipart object. */
  etag: string;
  crc64: string;
  /** Base64 MD5 of the content; empty for multipart objects, as on OSS. */
  contentMd5: string;
  contentType: string;
  objectType: 'Normal' | 'Multipart';
  lastModified: string;
  meta: Record<string, string>;
}

export interface MultipartUpload {
  key: string;
  contentType: string;
  meta: Record<string, string>;
  initiated: string;
}

export interface StoredPart {
  number: number;
  size: number;
  etag: string;
}

export interface CompletedPart {
  number: number;
  etag: string;
  path: string;
  size: number;
}

const keyId = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

/** Hashes what passes through it, so the body is read once. */
class Digest extends Transform {
  readonly md5 = createHash('md5');
  readonly crc = new Crc64();
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error: null, data: Buffer) => void): void {
    this.md5.update(chunk);
    this.crc.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }
}

/**
 * One bucket on disk: `objects/<sha256(key)>.data` with a `.json` beside it holding the key and what
 * OSS would report about it; multipart uploads under `uploads/<uploadId>/`. A write lands in `tmp/`
 * first and is renamed into place, so a refused or broken upload never shows as an object.
 */
export class ObjectStore {
  readonly #objects: string;
  readonly #uploads: string;
  readonly #tmp: string;

  constructor(root: string, bucket: string) {
    const base = join(root, bucket);
    this.#objects = join(base, 'objects');
    this.#uploads = join(base, 'uploads');
    this.#tmp = join(base, 'tmp');
  }

  async init(): Promise<void> {
    await Promise.all([this.#objects, this.#uploads, this.#tmp].map((dir) => mkdir(dir, { recursive: true })));
  }

  async stage(source: Readable | AsyncIterable<Buffer>): Promise<Staged> {
    const path = join(this.#tmp, randomBytes(12).toString('hex'));
    const digest = new Digest();
    try {
      await pipeline(source, digest, createWriteStream(path));
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    return { path, size: digest.size, md5: digest.md5.digest(), crc64: digest.crc.digest() };
  }

  async discard(staged: Staged): Promise<void> {
    await rm(staged.path, { force: true });
  }

  dataPath(key: string): string {
    return join(this.#objects, `${keyId(key)}.data`);
  }

  async put(key: string, staged: Staged, info: Pick<StoredObject, 'etag' | 'contentMd5' | 'contentType' | 'objectType' | 'meta'>): Promise<StoredObject> {
    const object: StoredObject = { key, size: staged.size, crc64: staged.crc64, lastModified: new Date().toUTCString(), ...info };
    const id = keyId(key);
    // Staged under a name of its own, so two uploads of one key racing cannot share a temporary file.
    const meta = `${staged.path}.json`;
    await writeFile(meta, JSON.stringify(object));
    await rename(staged.path, join(this.#objects, `${id}.data`));
    await rename(meta, join(this.#objects, `${id}.json`));
    return object;
  }

  async head(key: string): Promise<StoredObject | undefined> {
    return readJson<StoredObject>(join(this.#objects, `${keyId(key)}.json`));
  }

  /** Every object, in key order: UTF-8 byte order, as OSS lists. */
  async list(): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    for (const file of await readdir(this.#objects)) {
      // An object deleted after readdir is simply not listed.
      const object = file.endsWith('.json') ? await readJson<StoredObject>(join(this.#objects, file)) : undefined;
      if (object) objects.push(object);
    }
    return objects.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  read(key: string): Readable {
    return createReadStream(this.dataPath(key));
  }

  async delete(key: string): Promise<void> {
    const id = keyId(key);
    await rm(join(this.#objects, `${id}.json`), { force: true });
    await rm(join(this.#objects, `${id}.data`), { force: true });
  }

  async createUpload(upload: MultipartUpload): Promise<string> {
    const uploadId = randomBytes(16).toString('hex').toUpperCase();
    await mkdir(join(this.#uploads, uploadId));
    await writeFile(join(this.#uploads, uploadId, 'upload.json'), JSON.stringify(upload));
    return uploadId;
  }

  async getUpload(uploadId: string): Promise<MultipartUpload | undefined> {
    if (!/^[0-9A-F]{32}$/.test(uploadId)) return undefined;
    return readJson<MultipartUpload>(join(this.#uploads, uploadId, 'upload.json'));
  }

  async putPart(uploadId: string, number: number, staged: Staged): Promise<StoredPart> {
    const part: StoredPart = { number, size: staged.size, etag: staged.md5.toString('hex').toUpperCase() };
    const name = `part-${String(number).padStart(5, '0')}`;
    await rename(staged.path, join(this.#uploads, uploadId, `${name}.data`));
    await writeFile(join(this.#uploads, uploadId, `${name}.json`), JSON.stringify(part));
    return part;
  }

  async listParts(uploadId: string): Promise<Map<number, CompletedPart>> {
    const dir = join(this.#uploads, uploadId);
    const parts = new Map<number, CompletedPart>();
    for (const file of await readdir(dir)) {
      if (!file.endsWith('.json') || !file.startsWith('part-')) continue;
      const part = await readJson<StoredPart>(join(dir, file));
      if (part) parts.set(part.number, { ...part, path: join(dir, file.replace(/\.json$/, '.data')) });
    }
    return parts;
  }

  /** The chosen parts, in order, as one staged file. */
  async concatenate(parts: readonly CompletedPart[]): Promise<Staged> {
    async function* bytes() {
      for (const part of parts) yield* createReadStream(part.path) as AsyncIterable<Buffer>;
    }
    return this.stage(bytes());
  }

  async removeUpload(uploadId: string): Promise<void> {
    await rm(join(this.#uploads, uploadId), { recursive: true, force: true });
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
