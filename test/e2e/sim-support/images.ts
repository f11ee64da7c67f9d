import { crc32, deflateSync } from 'node:zlib';

/** Real, decodable images written byte by byte, so the tests need no image library. */

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An RGB PNG of the given size, a red-to-blue gradient. */
export function makePng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, adaptive filtering, no interlace
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) rows.set([Math.round((255 * x) / width), 0, Math.round((255 * y) / height)], row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function segment(marker: number, payload: number[]): number[] {
  const length = payload.length + 2;
  return [0xff, marker, length >> 8, length & 0xff, ...payload];
}

/**
 * A baseline greyscale JPEG (uniform mid-grey), width and height multiples of 8. Each Huffman table
 * holds one 1-bit code (DC category 0, AC end-of-block), so every 8×8 block is the two bits `00`.
 */
export function makeJpeg(width: number, height: number): Buffer {
  if (width % 8 || height % 8) throw new Error('makeJpeg wants multiples of 8');
  const blocks = (width / 8) * (height / 8);
  const bits = '00'.repeat(blocks).padEnd(Math.ceil((blocks * 2) / 8) * 8, '1');
  const scan = bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2));
  return Buffer.from([
    0xff, 0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]), // JFIF 1.1
    ...segment(0xdb, [0x00, ...new Array(64).fill(1)]), // quantisation table 0, all ones
    ...segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]), // SOF0, 1 component
    ...segment(0xc4, [0x00, 1, ...new Array(15).fill(0), 0x00]), // DC table 0: one code → category 0
    ...segment(0xc4, [0x10, 1, ...new Array(15).fill(0), 0x00]), // AC table 0: one code → end of block
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]), // start of scan
    ...scan,
    0xff, 0xd9,
  ]);
}
