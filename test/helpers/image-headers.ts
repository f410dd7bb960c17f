import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { resolveFfmpegPath } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';
/** A PNG signature + IHDR of the given size, padded to `total` bytes: the header is all the server reads. */
export function pngHeader(width: number, height: number, total = 33): Buffer {
  const b = Buffer.alloc(Math.max(total, 33));
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  b[24] = 8;
  b[25] = 2;
  return b;
}

/**
 * A real image encoded by ffmpeg from its `testsrc2` pattern, written to `file` (its extension picks the format) and
 * returned. `filter` adds a video filter (noise makes a JPEG camera-like in size); `quality` is `-q:v`.
 */
export async function testImage(file: string, size: string, opts: { filter?: string; quality?: number } = {}): Promise<Buffer> {
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}`];
  if (opts.filter) args.push('-vf', opts.filter);
  if (opts.quality !== undefined) args.push('-q:v', String(opts.quality));
  await promisify(execFile)(resolveFfmpegPath(process.env.FFMPEG_PATH), [...args, '-frames:v', '1', file]);
  return readFile(file);
}

/** Asserts that an HTTP answer is a JPEG: its Content-Type and its first bytes (SOI + a marker). */
export async function assertJpeg(res: Response): Promise<void> {
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  assert.equal(
    Buffer.from(await res.arrayBuffer())
      .subarray(0, 3)
      .toString('hex'),
    'ffd8ff',
  );
}
