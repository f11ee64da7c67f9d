import { imageSizeFromFile } from 'image-size/fromFile';

export interface ImageInfo {
  width: number;
  height: number;
  /** As OSS names it in `${imageInfo.format}`: jpg, png, gif, webp. */
  format: string;
}

/** The formats the simulator reports; OSS's image service knows more (bmp, tiff, heic, avif...). */
const FORMATS = new Set(['jpg', 'png', 'gif', 'webp']);

/**
 * Image facts read from the stored bytes, never from the declared Content-Type, as OSS does. Anything
 * that is not one of the four formats, or does not parse, has no image info (empty variables).
 */
export async function readImageInfo(path: string): Promise<ImageInfo | undefined> {
  try {
    const { width, height, type } = await imageSizeFromFile(path);
    if (!type || !FORMATS.has(type) || !width || !height) return undefined;
    return { width, height, format: type };
  } catch {
    return undefined;
  }
}
