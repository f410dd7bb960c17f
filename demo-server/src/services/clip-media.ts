// A clip's media and thumbnail as answered to a browser: the local cut of a trimmed clip (with Range), or the
// original streamed from OpenVidu; optionally as a download named after the clip.
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../app.js';
import { ApiError } from '../errors.js';
import type { Clip } from '../schemas/clips.js';

export type ClipFileKind = 'media' | 'thumbnail';

/** Headers worth passing on from OpenVidu's file response. */
const PASSED_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'last-modified', 'etag'];
/** The same URL serves the original, a cut, or a later cut: caches must ask each time (ETag makes that cheap). */
const CACHE_CONTROL = 'private, no-cache';
const TYPES: Record<ClipFileKind, string> = { media: 'video/mp4', thumbnail: 'image/jpeg' };
const EXTENSIONS: Record<ClipFileKind, string> = { media: 'mp4', thumbnail: 'jpg' };

/** Characters a file name never keeps: path separators, quotes, controls, bidi controls, and what Windows refuses. */
const UNSAFE = /[\p{Cc}\p{Zl}\p{Zp}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069/\\"'`:*?<>|%]/gu;

/**
 * `Content-Disposition: attachment` for a file named after the clip (RFC 6266): `filename=` an ASCII fallback
 * (accents dropped, other letters left out), `filename*=` the name in UTF-8 (RFC 5987 percent-encoding); the clip
 * id when the name leaves nothing.
 */
export function attachmentHeader(name: string, clipId: string, ext: string): string {
  const clean = (s: string) =>
    s
      .replace(UNSAFE, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/^[.\s]+|[.\s]+$/g, '');
  const full = clean(name.normalize('NFC')) || clipId;
  const ascii =
    clean(
      full
        .normalize('NFKD')
        .replace(/\p{M}/gu, '')
        .replace(/[^\x20-\x7e]/g, ' '),
    ) || clipId;
  const fallback = /[A-Za-z0-9]/.test(ascii) ? ascii : clipId;
  const encoded = encodeURIComponent(`${full}.${ext}`).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}.${ext}"; filename*=UTF-8''${encoded}`;
}

/**
 * One satisfiable byte range of a `size`-byte file, `'unsatisfiable'` (→ 416), or undefined to send the whole file
 * (no header, several ranges or a malformed one: ignored, as RFC 9110 allows).
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = header && /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    return suffix === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return undefined; // invalid: ignored
  return start >= size ? 'unsatisfiable' : { start, end: Math.min(m[2] === '' ? size - 1 : Number(m[2]), size - 1) };
}

/**
 * Answer a clip's media or thumbnail: a trimmed clip's cut from disk (single Range, 206/416, ETag, Last-Modified,
 * If-None-Match, If-Range), else the original streamed from OpenVidu as it answers. `clip` has its metadata
 * applied (from the gateway). `download`: as an attachment named after the clip.
 */
export async function sendClipFile(
  services: Pick<Services, 'gateway' | 'clipMeta'>,
  request: FastifyRequest,
  reply: FastifyReply,
  clip: Clip,
  kind: ClipFileKind,
  opts: { download?: boolean } = {},
): Promise<FastifyReply> {
  if (opts.download) reply.header('content-disposition', attachmentHeader(clip.name, clip.id, EXTENSIONS[kind]));
  reply.header('cache-control', CACHE_CONTROL);
  const cut = services.clipMeta.cutFile(clip, kind);
  let fh: FileHandle | undefined;
  if (cut) fh = await open(cut, 'r').catch(() => undefined); // replaced by a later cut or restored meanwhile: the original
  if (fh) return sendLocal(request, reply, fh, TYPES[kind]);
  return proxyClipFile(services, request, reply, clip.id, kind);
}

/** The original from OpenVidu, streamed as it answers (Range passed on). */
export async function proxyClipFile(
  services: Pick<Services, 'gateway'>,
  request: FastifyRequest,
  reply: FastifyReply,
  clipId: string,
  kind: ClipFileKind,
): Promise<FastifyReply> {
  const range = typeof request.headers.range === 'string' ? request.headers.range : undefined;
  const upstream = await services.gateway.fetchClipFile(clipId, kind, range);
  reply.code(upstream.status);
  for (const h of PASSED_HEADERS) {
    const v = upstream.headers.get(h);
    if (v) reply.header(h, v);
  }
  reply.header('cache-control', CACHE_CONTROL);
  if (!upstream.body) return reply.send();
  const body = Readable.fromWeb(upstream.body as WebReadableStream);
  request.raw.on('close', () => body.destroy());
  return reply.send(body);
}

async function sendLocal(request: FastifyRequest, reply: FastifyReply, fh: FileHandle, type: string): Promise<FastifyReply> {
  let stat;
  try {
    stat = await fh.stat();
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
  // From the open file itself: a cut renamed over this one meanwhile has another inode and time, so another tag.
  const etag = `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${Math.round(stat.mtimeMs).toString(36)}"`;
  const lastModified = new Date(stat.mtimeMs).toUTCString();
  reply.header('accept-ranges', 'bytes').header('etag', etag).header('last-modified', lastModified).type(type);
  const inm = request.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
    await fh.close();
    return reply.code(304).send();
  }
  const ifRange = request.headers['if-range'];
  const rangeHeader = !ifRange || ifRange === etag || ifRange === lastModified ? request.headers.range : undefined;
  const range = parseRange(rangeHeader, stat.size);
  if (range === 'unsatisfiable') {
    await fh.close();
    reply.header('content-range', `bytes */${stat.size}`);
    throw new ApiError(416, 'OV_RANGE_NOT_SATISFIABLE', 'Requested range not satisfiable');
  }
  const { start, end } = range ?? { start: 0, end: stat.size - 1 };
  if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${stat.size}`);
  reply.header('content-length', end - start + 1);
  if (end < start) {
    await fh.close();
    return reply.send('');
  }
  const stream = fh.createReadStream({ start, end });
  request.raw.on('close', () => stream.destroy());
  return reply.send(stream);
}
