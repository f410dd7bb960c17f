// The files of local clips: the JSON format (checked at load), moving a made file in, and serving one as the
// gateway serves OpenVidu's files (a `Response`, one byte range).
import { randomBytes } from 'node:crypto';
import { copyFile, open, rename } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Type, type Static } from 'typebox';
import { ApiError } from '../errors.js';
import { LOCAL_CLIP_ID_PATTERN, SESSION_ID_PATTERN } from '../schemas/common.js';
import { removeFile } from './atomic-file.js';
import { parseRange } from './clip-media.js';

/** Files of a room's folder: a clip's JSON, media or thumbnail. */
export const CLIP_FILE_RE = /^([A-Za-z0-9_-]{1,64}~r[a-z0-9]{8})\.(json|mp4|jpg)$/;
/** A clip file larger than this is not one of ours. */
export const MAX_CLIP_FILE_BYTES = 16 * 1024;

const Time = Type.Integer({ minimum: 1 });
const Seconds = Type.Number({ minimum: 0 });
/** A clip's JSON file, every field checked at load. */
export const ClipFile = Type.Object(
  {
    version: Type.Literal(1),
    id: Type.String({ pattern: LOCAL_CLIP_ID_PATTERN }),
    sessionId: Type.String({ pattern: SESSION_ID_PATTERN }),
    name: Type.String({ maxLength: 400 }),
    status: Type.Union([Type.Literal('recording'), Type.Literal('processing'), Type.Literal('ready'), Type.Literal('failed')]),
    createdAt: Time,
    duration: Seconds,
    size: Type.Integer({ minimum: 0 }),
    hasAudio: Type.Boolean(),
    hasVideo: Type.Boolean(),
    /** Whether `<id>.jpg` exists (set when ready). */
    thumbnail: Type.Boolean(),
    error: Type.Optional(Type.String({ maxLength: 400 })),
    recovered: Type.Optional(Type.Literal(true)),
  },
  { additionalProperties: false },
);
/** A local clip as stored. */
export type StoredClip = Omit<Static<typeof ClipFile>, 'version'>;

/** Move a file in, copying (under a temporary name, then renamed) when it lives on another file system. */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const tmp = path.join(path.dirname(to), `.${path.basename(to)}.${randomBytes(8).toString('hex')}.tmp`);
    try {
      await copyFile(from, tmp);
      await rename(tmp, to);
    } catch (e) {
      await removeFile(tmp);
      throw e;
    }
    await removeFile(from);
  }
}

/**
 * A file as an HTTP answer, like OpenVidu's: 200 with the whole file, or 206 with one byte range (several ranges or a
 * malformed header: the whole file, as RFC 9110 allows); an unsatisfiable range → 416 ApiError. Undefined when the
 * file cannot be opened. `signal` stops the body.
 */
export async function fileResponse(file: string, type: string, rangeHeader?: string, signal?: AbortSignal): Promise<Response | undefined> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return undefined;
  let stat;
  try {
    stat = await fh.stat();
  } catch {
    await fh.close().catch(() => {});
    return undefined;
  }
  const range = parseRange(rangeHeader, stat.size);
  if (range === 'unsatisfiable') {
    await fh.close();
    throw new ApiError(416, 'OV_RANGE_NOT_SATISFIABLE', 'Requested range not satisfiable');
  }
  const { start, end } = range ?? { start: 0, end: stat.size - 1 };
  const headers = new Headers({
    'content-type': type,
    'content-length': String(Math.max(0, end - start + 1)),
    'accept-ranges': 'bytes',
    'last-modified': new Date(stat.mtimeMs).toUTCString(),
    etag: `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${Math.round(stat.mtimeMs).toString(36)}"`,
  });
  if (range) headers.set('content-range', `bytes ${start}-${end}/${stat.size}`);
  if (end < start) {
    await fh.close();
    return new Response(null, { status: 200, headers });
  }
  const stream = fh.createReadStream({ start, end }); // closes the file when it ends or is destroyed
  if (signal) {
    if (signal.aborted) stream.destroy();
    else signal.addEventListener('abort', () => stream.destroy(), { once: true });
  }
  return new Response(Readable.toWeb(stream) as unknown as ReadableStream, { status: range ? 206 : 200, headers });
}
