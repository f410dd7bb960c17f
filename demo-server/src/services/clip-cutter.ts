// Trims clips without re-encoding: the original is fetched from OpenVidu (embedded or real), its video keyframes
// listed (packets only, nothing decoded), and the range copied from the keyframe at or before the in point.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { FastifyBaseLogger } from 'fastify';
import { ApiError, errors } from '../errors.js';
import type { Clip } from '../schemas/clips.js';
import type { ClipMeta, ClipMetaStore } from './clip-meta-store.js';
import type { OpenViduGateway } from './openvidu-gateway.js';

const require = createRequire(import.meta.url);

/** ffmpeg: the configured one, else the static build from npm (resolved when first needed). */
export const ffmpegPath = (explicit?: string) => explicit || (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
export const ffprobePath = (explicit?: string) => explicit || (require('@ffprobe-installer/ffprobe') as { path: string }).path;

export interface ToolOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
  /** Each child is killed after this long (default 30 s). */
  timeoutMs?: number;
  /** Children started, so an owner can kill them on close. */
  children?: Set<ChildProcess>;
}

/** Largest ffprobe listing read (a packet line is ~40 bytes: hours of video). */
const MAX_STDOUT = 32 * 1024 * 1024;

/** Run a tool to completion; rejects when it cannot start, times out, or exits non-zero (with its last stderr line). */
export function runTool(bin: string, args: string[], opts: ToolOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    opts.children?.add(child);
    let stdout = '';
    let stderr = '';
    let failure: Error | undefined;
    const fail = (err: Error) => {
      failure ??= err;
      child.kill('SIGKILL');
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.length > MAX_STDOUT) fail(new Error(`${bin}: output too large`));
    });
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => fail(new Error(`${bin} timed out after ${opts.timeoutMs ?? 30_000} ms`)), opts.timeoutMs ?? 30_000);
    child.once('error', (err) => fail(err));
    child.once('close', (code) => {
      clearTimeout(timer);
      opts.children?.delete(child);
      if (failure || code !== 0) reject(failure ?? new Error(`${bin} exited with ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
      else resolve(stdout);
    });
  });
}

/** ffmpeg's output arguments for a cut: every stream copied, timestamps from zero, an MP4 that plays while it loads. */
export const copyToMp4 = (out: string): string[] => ['-map', '0', '-c', 'copy', '-avoid_negative_ts', 'make_zero', '-movflags', '+faststart', '-f', 'mp4', out];

export interface Keyframes {
  /** Keyframe times, seconds, ascending (every packet of an audio-only file). */
  keyframes: number[];
  /** The file's duration, seconds. */
  duration: number;
  hasVideo: boolean;
}

/** The file's keyframes from its packet index (no decoding): the video's, or the audio's when there is no video. */
export async function listKeyframes(file: string, opts: ToolOptions = {}): Promise<Keyframes> {
  const probe = async (stream: string) => {
    const args = ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts_time,flags:format=duration', '-of', 'compact=p=1', file];
    const out = await runTool(ffprobePath(opts.ffprobePath), args, opts);
    const keyframes: number[] = [];
    let duration = NaN;
    for (const line of out.split('\n')) {
      const packet = /^packet\|pts_time=([0-9.]+)\|flags=K/.exec(line);
      if (packet) keyframes.push(Number(packet[1]));
      const format = /^format\|duration=([0-9.]+)/.exec(line);
      if (format) duration = Number(format[1]);
    }
    return { keyframes: keyframes.sort((a, b) => a - b), duration };
  };
  const video = await probe('v:0');
  if (video.keyframes.length) return { ...video, hasVideo: true };
  return { ...(await probe('a:0')), hasVideo: false };
}

/** Seconds as ffmpeg reads them. */
const secs = (n: number) => n.toFixed(6);

/**
 * Cut `source` to `media` from the keyframe at or before `start` to `end` (stream copy), and in parallel a JPEG of
 * the frame at `start` to `thumbnail` (skipped without video; a failed thumbnail is reported, not thrown).
 * Answers the range obtained: `{start: keyframe, end: min(end, duration)}`.
 */
export async function cutClip(
  o: { source: string; media: string; thumbnail?: string; start: number; end: number } & ToolOptions,
): Promise<{ start: number; end: number; duration: number; thumbnail: boolean }> {
  const { keyframes, duration, hasVideo } = await listKeyframes(o.source, o);
  const end = Number.isFinite(duration) ? Math.min(o.end, duration) : o.end;
  const kf = keyframes.filter((t) => t <= o.start + 1e-6).pop() ?? 0;
  // A hair after the keyframe: ffmpeg seeks to the keyframe at or before -ss, and a printed time rounded down would
  // otherwise land on the previous one. The keyframe itself is copied (stream copy keeps what precedes -ss).
  const ss = kf + 0.001;
  const cut = runTool(
    ffmpegPath(o.ffmpegPath),
    ['-hide_banner', '-v', 'error', '-nostdin', '-y', '-ss', secs(ss), '-i', o.source, '-t', secs(end - ss), ...copyToMp4(o.media)],
    o,
  );
  const thumb =
    o.thumbnail && hasVideo
      ? runTool(
          ffmpegPath(o.ffmpegPath),
          ['-hide_banner', '-v', 'error', '-nostdin', '-y', '-ss', secs(o.start), '-i', o.source, '-frames:v', '1', '-q:v', '3', '-f', 'image2', o.thumbnail],
          o,
        ).then(
          () => true,
          () => false,
        )
      : Promise.resolve(false);
  const [, thumbnail] = await Promise.all([cut, thumb]);
  return { start: kf, end, duration, thumbnail };
}

export interface ClipCutterOptions extends Omit<ToolOptions, 'children'> {
  gateway: Pick<OpenViduGateway, 'fetchClipFile'>;
  store: ClipMetaStore;
  /** Cuts running at once (default 2); more wait in a queue of `maxQueued` (default 8); beyond, 503. */
  maxConcurrent?: number;
  maxQueued?: number;
  /** Largest original fetched, bytes (default 1 GiB). */
  maxSourceBytes?: number;
  /** Longest fetch of the original (default 60 s). */
  downloadTimeoutMs?: number;
  log?: FastifyBaseLogger;
}

const removeFile = (file: string) => unlink(file).catch(() => {});

/**
 * Trims clips: bounded in time (each child and the download have a timeout), in number (`maxConcurrent` cuts, a
 * short queue, then 503 `OV_TRIM_BUSY`) and in size (`maxSourceBytes`). Temporary files live in the clip's folder
 * of the metadata store and are always removed.
 */
export class ClipCutter {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  private readonly children = new Set<ChildProcess>();
  private readonly closing = new AbortController();

  constructor(private readonly opts: ClipCutterOptions) {}

  /** Cut the clip's original to [start, end] (seconds) and make it the clip's media. The clip must be ready. */
  async trim(clip: Clip, start: number, end: number): Promise<ClipMeta> {
    const release = await this.slot();
    const { store } = this.opts;
    const files: string[] = [];
    const temp = async (label: string) => {
      const f = await store.tempPath(clip, label);
      files.push(f);
      return f;
    };
    try {
      const source = await temp('src');
      const t0 = performance.now();
      await this.download(clip.id, source);
      const t1 = performance.now();
      const media = await temp('cut.mp4');
      const thumbnail = await temp('cut.jpg');
      const opts = { ...this.opts, children: this.children, timeoutMs: this.opts.timeoutMs ?? 30_000 };
      const cut = await cutClip({ ...opts, source, media, thumbnail, start, end }).catch((err: Error) => {
        this.opts.log?.warn({ err, clipId: clip.id }, 'trim: ffmpeg failed');
        throw new ApiError(500, 'OV_TRIM_FAILED', 'The clip could not be cut');
      });
      const originalDuration = clip.originalDuration ?? clip.duration;
      const range = { start: cut.start, end: Math.min(cut.end, originalDuration || cut.end), originalDuration: originalDuration || cut.duration };
      const meta = await store.setTrim(clip, range, { media, thumbnail: cut.thumbnail ? thumbnail : undefined });
      this.opts.log?.info({ clipId: clip.id, fetchMs: Math.round(t1 - t0), cutMs: Math.round(performance.now() - t1), ...range }, 'clip trimmed');
      return meta;
    } finally {
      for (const f of files) await removeFile(f);
      release();
    }
  }

  /** Stop: running children are killed, queued trims refused. */
  close(): void {
    this.closing.abort();
    for (const c of this.children) c.kill('SIGKILL');
    for (const next of this.queue.splice(0)) next();
  }

  /** Wait for a free cut slot; the function returned frees it. */
  private async slot(): Promise<() => void> {
    const max = this.opts.maxConcurrent ?? 2;
    if (this.closing.signal.aborted) throw errors.unavailable();
    if (this.active < max) this.active++;
    else if (this.queue.length >= (this.opts.maxQueued ?? 8))
      throw new ApiError(503, 'OV_TRIM_BUSY', 'The server is busy trimming other clips; try again in a moment');
    else await new Promise<void>((resolve) => this.queue.push(resolve)); // the slot is handed over as it is
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    };
    if (this.closing.signal.aborted) {
      release();
      throw errors.unavailable();
    }
    return release;
  }

  /** The clip's original from OpenVidu to `file`, refused beyond `maxSourceBytes`. */
  private async download(clipId: string, file: string): Promise<void> {
    const max = this.opts.maxSourceBytes ?? 1024 ** 3;
    const tooLarge = () => new ApiError(422, 'OV_CLIP_TOO_LARGE', `The clip is larger than ${Math.round(max / 1024 ** 2)} MB: it cannot be trimmed`);
    const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.opts.downloadTimeoutMs ?? 60_000)]);
    const res = await this.opts.gateway.fetchClipFile(clipId, 'media', undefined, signal);
    if (Number(res.headers.get('content-length')) > max || !res.body) {
      await res.body?.cancel();
      throw res.body ? tooLarge() : errors.unavailable();
    }
    let bytes = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done(bytes > max ? tooLarge() : null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream), limit, createWriteStream(file), { signal });
    } catch (err) {
      throw err instanceof ApiError ? err : errors.unavailable();
    }
  }
}
