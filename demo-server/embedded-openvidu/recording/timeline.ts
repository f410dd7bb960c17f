import { existsSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ComposedRecorderStats, EncodeSettings, Piece, RecorderResult, Segment } from './composed-types.js';
import { blankArgs } from './ffmpeg-args.js';
import { makeThumbnail, probe, runTool, stderrTail } from './ffmpeg.js';

/** Holes shorter than this are not filled (each costs an ffmpeg run); the timeline catches up at the next one. */
const GAP_TOLERANCE_S = 0.12;
/** At the end of the recording the encoder lags the wall clock by ~0.1 s: do not spend an ffmpeg run on that. */
const TAIL_TOLERANCE_S = 0.3;

export interface TimelineOptions {
  settings: EncodeSettings;
  ffmpegPath: string;
  ffprobePath?: string;
  partsDir: string;
  stats: ComposedRecorderStats;
  log(msg: string, extra?: object): void;
}

/**
 * The recording's wall-clock timeline [t0, t1] and the final file: the segments laid on it, holes filled with
 * black/silent filler, joined with the concat demuxer (stream copy), then probed and thumbnailed.
 */
export class Timeline {
  /** Wall-clock ms of the recording's time 0 and of its end. */
  t0 = 0;
  t1 = 0;
  private fillerCount = 0;
  private readonly fillers = new Map<string, Promise<{ file: string; duration: number }>>();

  constructor(private readonly o: TimelineOptions) {}

  async fileDuration(file: string): Promise<number> {
    if (!existsSync(file) || (await stat(file)).size === 0) return 0;
    try {
      return (await probe(file, { ffprobePath: this.o.ffprobePath })).duration;
    } catch {
      return 0;
    }
  }

  /**
   * Where the piece after one of `seconds` starts. Players and ffmpeg guess the frame rate from the frame
   * timestamps and map frames onto that grid, so every piece starts on the frame-rate grid (each segment's frames
   * are at k/frameRate from 0), and late enough for the next piece's leading audio priming packet not to overlap
   * this piece's audio. The few ms of audio gap are inaudible.
   */
  advance(seconds: number): number {
    const { hasAudio, hasVideo, frameRate } = this.o.settings;
    const margin = hasAudio ? 0.025 : 0;
    if (!hasVideo) return seconds + margin;
    return Math.ceil((seconds + margin) * frameRate - 1e-6) / frameRate;
  }

  /** Black + silence `seconds` long (whole frames), encoded like the segments; cached by length. */
  private filler(seconds: number): Promise<{ file: string; duration: number }> {
    const { hasVideo, frameRate } = this.o.settings;
    const length = hasVideo ? Math.max(1, Math.round(seconds * frameRate)) / frameRate : Math.max(0.02, seconds);
    const key = length.toFixed(4);
    let p = this.fillers.get(key);
    if (!p) {
      const file = path.join(this.o.partsDir, `filler-${this.fillerCount++}.${this.o.settings.ext}`);
      p = runTool(this.o.ffmpegPath, blankArgs(this.o.settings, file, length), 60_000).then(async (r) => {
        if (r.code !== 0) throw new Error(`filler encoding failed: ${stderrTail(r.stderr)}`);
        return { file, duration: (await this.fileDuration(file)) || length };
      });
      this.fillers.set(key, p);
      this.o.stats.fillers++;
    }
    return p;
  }

  /** Probe the joined file and write its thumbnail (`thumbName`, beside it). */
  async finish(file: string, thumbName: string): Promise<RecorderResult> {
    const { hasAudio, hasVideo } = this.o.settings;
    const thumbnail = hasVideo ? path.join(path.dirname(file), thumbName) : undefined;
    const [info] = await Promise.all([probe(file, { ffprobePath: this.o.ffprobePath }), thumbnail ? this.thumbnail(file, thumbnail) : undefined]);
    const size = (await stat(file)).size;
    return {
      file,
      size,
      duration: info.duration,
      hasAudio,
      hasVideo,
      ...(thumbnail && existsSync(thumbnail) ? { thumbnail } : {}),
    };
  }

  private async thumbnail(file: string, out: string): Promise<void> {
    const middle = (this.t1 - this.t0) / 2000;
    await makeThumbnail(file, out, middle, { ffmpegPath: this.o.ffmpegPath }).catch((err) => this.o.log('thumbnail failed', { error: (err as Error).message }));
  }

  /**
   * Lay the segments on the wall-clock timeline [t0, t1]: each segment starts where the wall clock says (a hole
   * before it gets filler) and ends where the next one starts (`outpoint` trims the make-before-break overlap).
   * With `final` false, only the pieces before the running segment are planned, so their fillers can be encoded
   * while the recording goes on (`filler()` caches by duration).
   */
  async plan(segments: readonly Segment[], final: boolean): Promise<Piece[]> {
    const total = (this.t1 - this.t0) / 1000;
    let segs = segments.filter((s) => s.origin !== undefined && (!final || existsSync(s.file)));
    segs.sort((a, b) => a.origin! - b.origin!);
    if (final) {
      // A segment stopped while ffmpeg was still probing its input has no media: the one before it then runs on.
      const usable = await Promise.all(segs.map(async (s) => (s.reportedTime ?? 0) > 0 || (await (s.duration ??= this.fileDuration(s.file))) > 0));
      segs = segs.filter((_, i) => usable[i]);
    } else {
      const running = segs.findIndex((s) => !s.exited);
      if (running < 0) return [];
      segs = segs.slice(0, running + 1);
    }
    const pieces: Piece[] = [];
    let fileLen = 0; // where the next piece starts in the final file, seconds
    const add = (piece: Piece, length: number) => {
      // Every piece but the last gets an explicit length (concat `duration`); see advance().
      piece.duration = this.advance(length);
      pieces.push(piece);
      fileLen += piece.duration;
    };
    const fill = async (seconds: number) => {
      const f = await this.filler(seconds);
      add({ file: f.file }, f.duration);
    };
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i];
      const startAt = Math.max(0, (seg.origin! - this.t0) / 1000);
      if (startAt - fileLen > GAP_TOLERANCE_S) await fill(startAt - fileLen);
      if (!final && i === segs.length - 1) break; // the running segment: its end is not known yet
      const last = i === segs.length - 1;
      const endAt = last ? total : (segs[i + 1].origin! - this.t0) / 1000;
      const want = endAt - fileLen;
      if (want <= 0.02) continue;
      // The last segment was just stopped: ffmpeg's own report is enough unless it looks short or long.
      let d = last && seg.reportedTime !== undefined ? seg.reportedTime : await (seg.duration ??= this.fileDuration(seg.file));
      const exact = () => (seg.duration ??= this.fileDuration(seg.file));
      if (last && (want - d > TAIL_TOLERANCE_S || d > want + 0.02)) d = await exact();
      if (d <= 0) continue;
      if (d > want + 0.02) {
        // Trim the overlap with the next segment, cutting just before a frame.
        const { frameRate: fr, hasAudio, hasVideo } = this.o.settings;
        const slack = hasAudio ? 1 : 0; // advance() adds a frame slot for the audio margin
        const keep = hasVideo ? Math.max(1, Math.round(want * fr) - slack) / fr : Math.max(0.02, want - 0.025);
        add({ file: seg.file, outpoint: keep - 0.0005 }, keep);
      } else if (last && total - (fileLen + d) <= TAIL_TOLERANCE_S) {
        pieces.push({ file: seg.file }); // nothing follows: no exact length needed
        fileLen += d;
      } else {
        add({ file: seg.file }, await exact());
      }
    }
    if (final) {
      const tail = total - fileLen;
      if (tail > TAIL_TOLERANCE_S || pieces.length === 0) await fill(Math.max(tail, 0.1));
      // Nothing follows the last piece: let it end where its media ends.
      if (pieces.length) pieces[pieces.length - 1].duration = undefined;
    }
    return pieces;
  }

  /** Join the planned pieces into `out` (concat demuxer, stream copy). */
  async assemble(segments: readonly Segment[], out: string): Promise<void> {
    const planStart = Date.now();
    const list = await this.plan(segments, true);
    const planMs = Date.now() - planStart;
    const quote = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;
    const listFile = path.join(this.o.partsDir, 'concat.txt');
    const lines = list.map((p) => {
      let entry = `file ${quote(p.file)}\n`;
      if (p.outpoint !== undefined) entry += `outpoint ${p.outpoint.toFixed(4)}\n`;
      if (p.duration !== undefined) entry += `duration ${p.duration.toFixed(4)}\n`;
      return entry;
    });
    await writeFile(listFile, lines.join(''));
    this.o.log('assembling', { planMs, pieces: list.map((p) => ({ file: path.basename(p.file), outpoint: p.outpoint, duration: p.duration })) });
    const args = ['-hide_banner', '-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', listFile, '-map', '0', '-c', 'copy'];
    if (this.o.settings.ext === 'mp4') args.push('-movflags', '+faststart', '-f', 'mp4', out);
    else args.push('-f', 'webm', out);
    const r = await runTool(this.o.ffmpegPath, args, 10 * 60_000);
    if (r.code !== 0) throw new Error(`joining the recording segments failed: ${stderrTail(r.stderr)}`);
  }
}
