import { existsSync } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ComposedRecorderOptions, EncodeSettings, Journal, RecorderResult, Segment } from './composed-types.js';
import { crashCopyOf, mp4VideoTimescale } from './ffmpeg-args.js';
import { resolveFfmpegPath, runTool, stderrTail } from './ffmpeg.js';
import { Timeline } from './timeline.js';

/*
 * Crash safety: a plain MP4 is readable only once ffmpeg has written its index at a clean exit, so each segment's
 * ffmpeg also writes the same encoded packets (tee muxer: no second encode) to a Matroska copy whose clusters reach
 * the disk every CRASH_CLUSTER_MS. The journal in the parts folder says where each segment sits on the wall clock.
 * After a crash (SIGKILL, power cut of the server process), recoverComposed() lays those copies on the timeline the
 * same way stop() does, and loses only the last fraction of a second.
 */

const JOURNAL = 'journal.json';

/** The parts folder of a recording: segments, fillers, journal, concat list. */
export const partsDirOf = (dir: string, fileBase: string): string => path.join(dir, `.${fileBase}.parts`);

/** Writes the journal (atomically: temp file + rename); writes asked for meanwhile are folded into the next one. */
export class JournalWriter {
  private dirty = false;
  private writing?: Promise<void>;

  constructor(
    private readonly partsDir: string,
    private readonly settings: EncodeSettings,
    private readonly log: (msg: string, extra?: object) => void,
  ) {}

  save(t0: number, segments: readonly Segment[]): void {
    this.dirty = true;
    if (this.writing) return;
    this.writing = (async () => {
      while (this.dirty) {
        this.dirty = false;
        const { width, height, frameRate, hasAudio, hasVideo, crashCopy } = this.settings;
        const j: Journal = {
          version: 1,
          t0,
          width,
          height,
          frameRate,
          hasAudio,
          hasVideo,
          segments: segments
            .filter((seg) => seg.origin !== undefined)
            .map((seg) => ({
              index: seg.index,
              file: path.basename(seg.file),
              ...(crashCopy ? { copy: path.basename(crashCopyOf(seg.file)) } : {}),
              origin: seg.origin!,
              ended: seg.exited,
            })),
        };
        const file = path.join(this.partsDir, JOURNAL);
        const tmp = `${file}.tmp`;
        try {
          await writeFile(tmp, JSON.stringify(j));
          await rename(tmp, file);
        } catch (err) {
          // The parts folder is gone (the recording is over) or the disk is full: the recording itself goes on.
          if (existsSync(this.partsDir)) this.log('journal not saved', { error: (err as Error).message });
        }
      }
    })().finally(() => (this.writing = undefined));
  }

  /** Resolves once the pending write is done. */
  async flushed(): Promise<void> {
    await this.writing;
  }
}

export type RecoverOptions = Pick<ComposedRecorderOptions, 'dir' | 'fileBase' | 'ffmpegPath' | 'ffprobePath' | 'log' | 'keepParts'>;

/**
 * Rebuild a recording whose server died while it recorded, from its parts folder: each segment's Matroska copy
 * (or its MP4 when that one was finished) is remuxed, then laid on the timeline by the journal as stop() does.
 * The file is `<fileBase>.recovered.<ext>`: the name tells a recovered recording apart. Throws when nothing
 * usable was recorded (no journal, or no segment with media).
 */
export async function recoverComposed(opts: RecoverOptions): Promise<RecorderResult> {
  const partsDir = partsDirOf(opts.dir, opts.fileBase);
  let j: Journal;
  try {
    j = JSON.parse(await readFile(path.join(partsDir, JOURNAL), 'utf8')) as Journal;
  } catch {
    throw new Error('nothing to recover (no journal)');
  }
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (j.version !== 1 || ![j.t0, j.width, j.height, j.frameRate].every(num) || !Array.isArray(j.segments)) throw new Error('unreadable recording journal');
  const log = (msg: string, extra?: object) => opts.log?.(msg, extra);
  const ffmpegPath = resolveFfmpegPath(opts.ffmpegPath);
  const hasVideo = !!j.hasVideo;
  const settings: EncodeSettings = {
    width: 2 * Math.floor(j.width / 2),
    height: 2 * Math.floor(j.height / 2),
    frameRate: j.frameRate,
    hasAudio: !!j.hasAudio,
    hasVideo,
    ext: hasVideo ? 'mp4' : 'webm',
    crashCopy: false,
  };
  if (!settings.hasAudio && !hasVideo) throw new Error('a recording needs audio or video');
  const stats = { segments: 0, fillers: 0, encoderCpuSeconds: 0 };
  const timeline = new Timeline({ settings, ffmpegPath, ffprobePath: opts.ffprobePath, partsDir, stats, log });
  timeline.t0 = j.t0;
  let end = j.t0;
  const segments: Segment[] = [];
  const inParts = (name: unknown) => (typeof name === 'string' && name ? path.join(partsDir, path.basename(name)) : undefined);
  for (const s of [...j.segments].sort((a, b) => a.origin - b.origin)) {
    if (!Number.isInteger(s.index) || !Number.isFinite(s.origin)) continue;
    const out = path.join(partsDir, `recovered-${s.index}.${settings.ext}`);
    let duration = 0;
    // The copy ends at its last complete cluster; a finished segment's own file is as good, and read as well.
    for (const src of [inParts(s.copy), inParts(s.file)]) {
      if (!src || !existsSync(src) || (await stat(src)).size === 0) continue;
      // The same video timescale as the fillers it is joined with (see mp4VideoTimescale).
      const timescale = hasVideo ? ['-video_track_timescale', String(mp4VideoTimescale(settings.frameRate))] : [];
      const args = ['-hide_banner', '-v', 'error', '-y', '-i', src, '-map', '0', '-c', 'copy', ...timescale, '-f', settings.ext, out];
      const res = await runTool(ffmpegPath, args, 5 * 60_000);
      if (res.code === 0 && (duration = await timeline.fileDuration(out)) > 0) break;
      log('segment piece unusable', { index: s.index, file: path.basename(src), error: stderrTail(res.stderr) });
    }
    if (duration <= 0) continue;
    segments.push(recoveredSegment(s.index, out, s.origin, duration));
    end = Math.max(end, s.origin + duration * 1000);
  }
  if (segments.length === 0) throw new Error('nothing usable was recorded before the interruption');
  timeline.t1 = end;
  const file = path.join(opts.dir, `${opts.fileBase}.recovered.${settings.ext}`);
  await timeline.assemble(segments, file);
  const result = await timeline.finish(file, `${opts.fileBase}.recovered.jpg`);
  log('recording recovered', { file, size: result.size, duration: result.duration, segments: segments.length, fillers: stats.fillers });
  if (!opts.keepParts) await rm(partsDir, { recursive: true, force: true });
  return result;
}

/** A finished segment read back from the parts folder. */
function recoveredSegment(index: number, file: string, origin: number, duration: number): Segment {
  return {
    index,
    file,
    signature: '',
    streams: [],
    blank: false,
    exited: true,
    stopping: true,
    starting: false,
    origin,
    ports: [],
    forwarders: [],
    offs: [],
    stderr: '',
    duration: Promise.resolve(duration),
  };
}
