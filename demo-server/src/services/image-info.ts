/**
 * Image type and size from the first bytes of a file, without decoding it: JPEG, PNG and WebP, the formats the
 * snapshot routes accept. Every read is bounds-checked, so truncated or hostile input gives `undefined`, never an
 * exception or a read past the buffer.
 */

export type ImageContentType = 'image/jpeg' | 'image/png' | 'image/webp';

export interface ImageInfo {
  contentType: ImageContentType;
  /** File extension for the type, without the dot. */
  ext: 'jpg' | 'png' | 'webp';
  /** Displayed size in pixels (for JPEG, after the EXIF orientation: 5–8 swap the sides). */
  width: number;
  height: number;
}

const EXT: Record<ImageContentType, ImageInfo['ext']> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

/** The extension used for a content type. */
export function extensionOf(contentType: ImageContentType): ImageInfo['ext'] {
  return EXT[contentType];
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** PNG sides are at most 2^31-1 (the spec's limit); anything larger is not a real image. */
const MAX_PNG_SIDE = 0x7fffffff;

function isBytes(buf: unknown): buf is Uint8Array {
  return buf instanceof Uint8Array;
}

function hasAscii(b: Uint8Array, at: number, text: string): boolean {
  if (at < 0 || at + text.length > b.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

function hasBytes(b: Uint8Array, at: number, bytes: readonly number[]): boolean {
  if (at < 0 || at + bytes.length > b.length) return false;
  for (let i = 0; i < bytes.length; i++) if (b[at + i] !== bytes[i]) return false;
  return true;
}

/** The image type by magic bytes alone (the header may still be too short or broken to give a size). */
export function imageTypeOf(buf: Uint8Array): ImageContentType | undefined {
  if (!isBytes(buf)) return undefined;
  if (hasBytes(buf, 0, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (hasBytes(buf, 0, PNG_SIGNATURE)) return 'image/png';
  if (hasAscii(buf, 0, 'RIFF') && hasAscii(buf, 8, 'WEBP')) return 'image/webp';
  return undefined;
}

/**
 * Type, extension and size of a JPEG, PNG or WebP image from its header; `undefined` for anything else, for a
 * header cut short, or for a zero size. Never throws.
 */
export function sniffImage(buf: Buffer | Uint8Array): ImageInfo | undefined {
  try {
    const contentType = imageTypeOf(buf);
    if (!contentType) return undefined;
    const size = contentType === 'image/jpeg' ? jpegSize(buf) : contentType === 'image/png' ? pngSize(buf) : webpSize(buf);
    if (!size) return undefined;
    const [width, height] = size;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) return undefined;
    return { contentType, ext: EXT[contentType], width, height };
  } catch {
    // Unreachable by construction (every read is bounds-checked); kept so garbage can never become a 500.
    return undefined;
  }
}

/** Largest image accepted, in displayed pixels. */
export interface ImageLimits {
  width: number;
  height: number;
  /** width × height */
  pixels: number;
}

/**
 * Why an image is too large for `limits`, as a sentence with the numbers; undefined when it fits. A header can
 * declare any size in a few bytes, and whoever decodes the image (a browser showing the gallery) pays for it.
 */
export function imageTooLarge(info: Pick<ImageInfo, 'width' | 'height'>, limits: ImageLimits): string | undefined {
  const { width, height } = info;
  const size = `The image is ${width}x${height}`;
  if (width > limits.width) return `${size}: wider than the ${limits.width} pixels allowed`;
  if (height > limits.height) return `${size}: taller than the ${limits.height} pixels allowed`;
  if (width * height > limits.pixels) return `${size}: ${width * height} pixels, more than the ${limits.pixels} allowed`;
  return undefined;
}

// ---- PNG: signature, then the IHDR chunk (length 13) with width and height as big-endian uint32.

function pngSize(b: Uint8Array): [number, number] | undefined {
  if (b.length < 24) return undefined;
  if (!hasAscii(b, 12, 'IHDR')) return undefined;
  const u32 = (o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  if (u32(8) !== 13) return undefined;
  const width = u32(16);
  const height = u32(20);
  if (width > MAX_PNG_SIDE || height > MAX_PNG_SIDE) return undefined;
  return [width, height];
}

// ---- WebP: RIFF container, first chunk VP8 (lossy), VP8L (lossless) or VP8X (extended, with the canvas size).

function webpSize(b: Uint8Array): [number, number] | undefined {
  if (b.length < 20) return undefined;
  const u16le = (o: number) => b[o] | (b[o + 1] << 8);
  const u24le = (o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
  if (hasAscii(b, 12, 'VP8 ')) {
    // Frame tag (3 bytes, bit 0 = 0 for a key frame), start code 9d 01 2a, then 14-bit width and height.
    if (b.length < 30) return undefined;
    if ((b[20] & 1) !== 0) return undefined;
    if (!hasBytes(b, 23, [0x9d, 0x01, 0x2a])) return undefined;
    return [u16le(26) & 0x3fff, u16le(28) & 0x3fff];
  }
  if (hasAscii(b, 12, 'VP8L')) {
    // Signature 0x2f, then 14 bits width-1, 14 bits height-1, 1 bit alpha, 3 bits version (0).
    if (b.length < 25) return undefined;
    if (b[20] !== 0x2f) return undefined;
    const bits = (b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24)) >>> 0;
    if (bits >>> 29 !== 0) return undefined;
    return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
  }
  if (hasAscii(b, 12, 'VP8X')) {
    // Flags (1 byte), reserved (3), canvas width-1 and height-1 as 24-bit little-endian.
    if (b.length < 30) return undefined;
    return [u24le(24) + 1, u24le(27) + 1];
  }
  return undefined;
}

// ---- JPEG: walk the marker segments (APPn such as EXIF, DQT, DHT, ...) to the first frame header (SOFn).

/** SOF0–SOF15 except DHT (c4), JPG (c8) and DAC (cc). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function jpegSize(b: Uint8Array): [number, number] | undefined {
  const u16 = (o: number) => (b[o] << 8) | b[o + 1];
  let orientation = 0; // 0 = no EXIF orientation seen yet
  let i = 2; // after SOI
  while (i < b.length) {
    if (b[i] !== 0xff) return undefined; // not at a marker: corrupt
    while (i < b.length && b[i] === 0xff) i++; // fill bytes
    if (i >= b.length) return undefined;
    const marker = b[i++];
    if (marker === 0x00) return undefined; // a stuffed byte is not a marker here
    if (marker === 0x01 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image / scan data before any frame header
    if (i + 2 > b.length) return undefined;
    const length = u16(i); // includes its own two bytes
    if (length < 2) return undefined;
    if (isStartOfFrame(marker)) {
      // length, precision (1), height (2), width (2), components (1), ...
      if (length < 8 || i + 7 > b.length) return undefined;
      const height = u16(i + 3);
      const width = u16(i + 5);
      if (width === 0 || height === 0) return undefined; // height 0 = defined later by DNL: not supported
      return orientation >= 5 && orientation <= 8 ? [height, width] : [width, height];
    }
    if (marker === 0xe1 && orientation === 0) orientation = exifOrientation(b, i + 2, Math.min(i + length, b.length));
    i += length;
  }
  return undefined;
}

/** The EXIF orientation (1–8) from an APP1 payload in `b[start, end)`; 0 when the segment is not EXIF or has none. */
function exifOrientation(b: Uint8Array, start: number, end: number): number {
  if (!hasAscii(b, start, 'Exif\0\0')) return 0;
  const tiff = start + 6;
  if (tiff + 8 > end) return 0;
  let little: boolean;
  if (b[tiff] === 0x49 && b[tiff + 1] === 0x49) little = true;
  else if (b[tiff] === 0x4d && b[tiff + 1] === 0x4d) little = false;
  else return 0;
  const u16 = (o: number) => (o < tiff || o + 2 > end ? -1 : little ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1]);
  const u32 = (o: number) =>
    o < tiff || o + 4 > end
      ? -1
      : (little ? b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24) : (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  if (u16(tiff + 2) !== 42) return 0;
  const offset = u32(tiff + 4);
  if (offset < 8) return 0;
  const ifd = tiff + offset;
  const count = u16(ifd);
  if (count < 0) return 0;
  for (let k = 0; k < count; k++) {
    const entry = ifd + 2 + k * 12;
    if (entry + 12 > end) return 0;
    if (u16(entry) !== 0x0112) continue;
    if (u16(entry + 2) !== 3 || u32(entry + 4) !== 1) return 0; // SHORT, count 1
    const value = u16(entry + 8);
    return value >= 1 && value <= 8 ? value : 0;
  }
  return 0;
}
