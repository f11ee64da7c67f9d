import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

/**
 * Zip archives read from their central directory, so tests need no `unzip` on the machine. Enough
 * for the archives osls writes (no zip64, no encryption, stored or deflated entries, no archive
 * comment beyond 64 KiB).
 */
interface Entry {
  name: string;
  method: number;
  compressedSize: number;
  localHeader: number;
}

function centralDirectory(path: string, zip: Buffer): Entry[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end === -1) throw new Error(`${path} is not a zip archive`);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${path}: broken central directory`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    entries.push({
      name: zip.subarray(offset + 46, offset + 46 + nameLength).toString('utf8'),
      method: zip.readUInt16LE(offset + 10),
      compressedSize: zip.readUInt32LE(offset + 20),
      localHeader: zip.readUInt32LE(offset + 42),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The file names in a zip archive. */
export function zipEntries(path: string): string[] {
  return centralDirectory(path, readFileSync(path)).map((entry) => entry.name);
}

/** Write every file of a zip archive under `dir`, as a deployed function would see its code. */
export function unzipTo(path: string, dir: string): void {
  const zip = readFileSync(path);
  for (const entry of centralDirectory(path, zip)) {
    if (entry.name.endsWith('/')) continue;
    if (zip.readUInt32LE(entry.localHeader) !== 0x04034b50) throw new Error(`${path}: broken entry ${entry.name}`);
    const start = entry.localHeader + 30 + zip.readUInt16LE(entry.localHeader + 26) + zip.readUInt16LE(entry.localHeader + 28);
    const data = zip.subarray(start, start + entry.compressedSize);
    if (entry.method !== 0 && entry.method !== 8) throw new Error(`${path}: ${entry.name} uses compression method ${entry.method}`);
    const target = join(dir, entry.name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, entry.method === 8 ? inflateRawSync(data) : data);
  }
}
