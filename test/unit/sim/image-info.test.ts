import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageInfo } from '../../../sim/image-info.js';
import { makeJpeg, makePng } from '../../e2e/sim-support/images.js';

/** A 3×2 GIF89a: header, logical screen, one image block, trailer. */
function gif(): Buffer {
  return Buffer.concat([
    Buffer.from('GIF89a', 'ascii'),
    Buffer.from([3, 0, 2, 0, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff]),
    Buffer.from([0x2c, 0, 0, 0, 0, 3, 0, 2, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3b]),
  ]);
}

/** An extended-format (VP8X) WebP header declaring a 300×150 canvas. */
function webp(): Buffer {
  const vp8x = Buffer.alloc(18);
  vp8x.write('VP8X', 0, 'ascii');
  vp8x.writeUInt32LE(10, 4);
  vp8x.writeUIntLE(300 - 1, 12, 3);
  vp8x.writeUIntLE(150 - 1, 15, 3);
  const riff = Buffer.alloc(12);
  riff.write('RIFF', 0, 'ascii');
  riff.writeUInt32LE(4 + vp8x.length, 4);
  riff.write('WEBP', 8, 'ascii');
  return Buffer.concat([riff, vp8x]);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-image-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function infoOf(bytes: Buffer) {
  const path = join(dir, `f-${Math.random()}`);
  await writeFile(path, bytes);
  return readImageInfo(path);
}

describe('readImageInfo', () => {
  it.each([
    ['PNG', makePng(5, 9), { width: 5, height: 9, format: 'png' }],
    ['JPEG', makeJpeg(16, 8), { width: 16, height: 8, format: 'jpg' }],
    ['GIF', gif(), { width: 3, height: 2, format: 'gif' }],
    ['WebP', webp(), { width: 300, height: 150, format: 'webp' }],
  ])('reads a %s from its bytes', async (_type, bytes, expected) => {
    expect(await infoOf(bytes)).toEqual(expected);
  });

  it('has nothing to say about text, truncated images or formats OSS-sim does not report', async () => {
    expect(await infoOf(Buffer.from('not an image'))).toBeUndefined();
    expect(await infoOf(makePng(5, 9).subarray(0, 10))).toBeUndefined();
    expect(await infoOf(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'))).toBeUndefined();
  });
});
