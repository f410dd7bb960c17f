import dgram from 'node:dgram';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { RtpSource } from '../media/rtp-source.js';
import { nowMs } from './clock.js';
import type { ComposedRecorderOptions, ComposedRecorderStats, EncodeSettings, RecorderResult } from './composed-types.js';
import { resolveFfmpegPath, spawnTracked } from './ffmpeg.js';
import { JournalWriter, partsDirOf, recoverComposed, type RecoverOptions } from './recovery.js';
import { SegmentMachine } from './segments.js';
import { rosterSignature, SourceRoster } from './sources.js';
import { Timeline } from './timeline.js';

export { bestFitLayout, type Rect } from './layout.js';
export type { ComposedRecorderOptions, ComposedRecorderStats, RecorderResult } from './composed-types.js';

/*
 * COMPOSED recording (OpenVidu's BEST_FIT layout), encoded while the session runs so that the file is ready
 * ~0.1 s after stop whatever the length:
 *
 *   publisher RTP ──(UDP, synthetic RTCP SR, VP8 keyframe gate)──▶ ffmpeg (SDP input) ─ xstack + amix ─▶ H.264/AAC
 *
 * One ffmpeg with a fixed SDP stalls as soon as one of its inputs stops sending, so every roster change (join,
 * leave, a publisher silent for STALL_MS, a renegotiated stream) starts a new ffmpeg ("segment") with the new
 * layout. The new segment is started before the old one is stopped (make-before-break), so a join leaves no hole;
 * a leave leaves the hole between the leaver's last packet and the new segment's first frame. At stop the
 * segments are joined with the concat demuxer (`-c copy`, no re-encoding), trimming overlaps (`outpoint`) and
 * filling holes with black/silent filler encoded with the same settings, so that the file's timeline follows the
 * wall clock. Every piece starts on the frame-rate grid (see Timeline.advance()). Periods without publishers are
 * recorded as black + silence by a real-time lavfi segment.
 *
 * The pieces: layout.ts (the BEST_FIT grid), ports.ts (UDP port pairs), rtp-forwarder.ts (RTCP SR, keyframe gate,
 * forwarding), ffmpeg-args.ts (SDP and command lines), sources.ts (who is in the layout), segments.ts (the segment
 * state machine), timeline.ts (laying the segments on the wall clock and joining them), recovery.ts (the journal
 * and the rebuild after a crash).
 */

export class ComposedRecorder {
  readonly stats: ComposedRecorderStats = { segments: 0, fillers: 0, encoderCpuSeconds: 0 };
  private readonly o: ComposedRecorderOptions & { host: string; ffmpegPath: string };
  private readonly settings: EncodeSettings;
  private readonly partsDir: string;
  private readonly sources: SourceRoster;
  private readonly machine: SegmentMachine;
  private readonly timeline: Timeline;
  private readonly journal: JournalWriter;
  private startCalled = false;
  private startPromise?: Promise<void>;
  private stopPromise?: Promise<RecorderResult>;
  private watchdog?: NodeJS.Timeout;

  constructor(opts: ComposedRecorderOptions) {
    if (!opts.hasAudio && !opts.hasVideo) throw new Error('a recording needs audio or video');
    // ffmpeg runs on this machine: a wildcard media address (LAN mode) still means loopback here (IPv4 only).
    const host = opts.host && /^\d+\.\d+\.\d+\.\d+$/.test(opts.host) && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';
    this.o = { ...opts, host, ffmpegPath: resolveFfmpegPath(opts.ffmpegPath) };
    this.settings = {
      // libx264 with yuv420p needs even sizes.
      width: 2 * Math.floor(opts.width / 2),
      height: 2 * Math.floor(opts.height / 2),
      frameRate: opts.frameRate,
      hasAudio: opts.hasAudio,
      hasVideo: opts.hasVideo,
      ext: opts.hasVideo ? 'mp4' : 'webm',
      crashCopy: opts.crashCopy !== false,
    };
    this.partsDir = partsDirOf(opts.dir, opts.fileBase);
    const log = (msg: string, extra?: object) => this.log(msg, extra);
    const { ffmpegPath } = this.o;
    this.timeline = new Timeline({ settings: this.settings, ffmpegPath, ffprobePath: opts.ffprobePath, partsDir: this.partsDir, stats: this.stats, log });
    this.journal = new JournalWriter(this.partsDir, this.settings, log);
    this.sources = new SourceRoster({
      hasAudio: opts.hasAudio,
      hasVideo: opts.hasVideo,
      log,
      changed: () => this.machine.schedule(),
      ended: (streamId) => this.removeSource(streamId),
    });
    this.machine = new SegmentMachine({
      settings: this.settings,
      host,
      ffmpegPath,
      partsDir: this.partsDir,
      keepParts: !!opts.keepParts,
      spawn: opts.spawn ?? spawnTracked,
      stats: this.stats,
      log,
      roster: () => this.sources.roster(),
      signature: rosterSignature,
      restartSource: (e) => {
        if (!this.machine.stopping) this.sources.restart(e);
      },
      journalChanged: () => this.saveJournal(),
      prewarm: () => this.prewarm(),
      fileDuration: (file) => this.timeline.fileDuration(file),
    });
  }

  /**
   * Rebuild a recording whose server died while it recorded, from its parts folder (see recovery.ts). The file
   * is `<fileBase>.recovered.<ext>`. Throws when nothing usable was recorded.
   */
  static recover(opts: RecoverOptions): Promise<RecorderResult> {
    return recoverComposed(opts);
  }

  private log(msg: string, extra?: object): void {
    this.o.log?.(msg, extra);
  }

  start(sources: RtpSource[]): Promise<void> {
    if (this.startCalled) return Promise.reject(new Error('recorder already started'));
    this.startCalled = true;
    this.startPromise = this.doStart(sources);
    return this.startPromise;
  }

  private async doStart(sources: RtpSource[]): Promise<void> {
    this.timeline.t0 = nowMs();
    await mkdir(this.partsDir, { recursive: true });
    this.saveJournal();
    const sock = dgram.createSocket('udp4');
    sock.on('error', (err) => this.log('forwarding socket error', { error: err.message }));
    sock.on('message', () => {}); // ffmpeg's RTCP receiver reports
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, this.o.host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    this.machine.sock = sock;
    for (const s of sources) this.sources.track(s);
    this.machine.started = true; // from here on roster changes start segments
    this.watchdog = setInterval(() => {
      const seg = this.machine.current;
      if (seg && !seg.exited && !this.machine.stopping) this.sources.checkStalls(seg);
    }, 500);
    // The first segment is started here so that start() fails loudly if ffmpeg cannot run at all.
    this.machine.kick();
    await this.machine.settled();
    if (this.machine.failure) {
      const err = this.machine.failure;
      await this.shutdown();
      throw err;
    }
  }

  addSource(src: RtpSource): void {
    if (this.machine.stopping) return;
    this.sources.track(src);
    this.machine.schedule();
  }

  removeSource(streamId: string): void {
    const e = this.sources.get(streamId);
    if (!e || this.machine.stopping) return;
    this.sources.untrack(e);
    this.machine.schedule();
  }

  stop(): Promise<RecorderResult> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private saveJournal(): void {
    this.journal.save(this.timeline.t0, this.machine.segments);
  }

  /** Encode the fillers known so far in the background. */
  private prewarm(): void {
    if (this.machine.stopping) return;
    void this.timeline.plan(this.machine.segments, false).catch((err) => this.log('filler pre-encoding failed', { error: (err as Error).message }));
  }

  /** Stop every encoder (forwarding until each exits) and release sockets and listeners. Idempotent. */
  private async shutdown(): Promise<void> {
    clearInterval(this.watchdog);
    await this.machine.shutdown();
    for (const e of this.sources.all()) this.sources.untrack(e);
    this.machine.sock?.close();
    this.machine.sock = undefined;
  }

  private async doStop(): Promise<RecorderResult> {
    if (!this.startCalled) throw new Error('recorder not started');
    const stopAt = Date.now();
    this.timeline.t1 = nowMs();
    this.machine.stopping = true;
    await this.startPromise?.catch(() => {});
    await this.shutdown();
    const exitedAt = Date.now();
    if (this.machine.failure) throw this.machine.failure;
    if (!this.machine.started) throw new Error('recorder failed to start');

    const file = path.join(this.o.dir, `${this.o.fileBase}.${this.settings.ext}`);
    await this.timeline.assemble(this.machine.segments, file);
    const assembledAt = Date.now();
    const result = await this.timeline.finish(file, `${this.o.fileBase}.jpg`);
    this.stats.stopToReadyMs = Date.now() - stopAt;
    const timing = { exitMs: exitedAt - stopAt, assembleMs: assembledAt - exitedAt, probeAndThumbnailMs: Date.now() - assembledAt };
    const wall = (this.timeline.t1 - this.timeline.t0) / 1000;
    this.log('recording ready', { file, size: result.size, duration: result.duration, wall, ...this.stats, ...timing });
    if (!this.o.keepParts) {
      await this.journal.flushed();
      await rm(this.partsDir, { recursive: true, force: true });
    }
    return result;
  }
}
