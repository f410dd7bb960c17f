import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { MediaStreamTrack, RTCRtpCodecParameters, Vp8RtpPayload, type RtpPacket } from 'werift';
import { MediaRecorder } from 'werift/nonstandard';
import type { CodecInfo, MediaKind, RtpSource } from '../media/rtp-source.js';
import { resolveFfmpegPath, runTool, stderrTail } from './ffmpeg.js';
import { writeZip } from './zip.js';
import type { RecorderResult } from './composed-types.js';

/*
 * OpenVidu's INDIVIDUAL recording: one WebM per published stream (`<streamId>.webm`, the publisher's VP8/Opus as
 * sent, no transcoding) plus `<fileBase>.json` describing them, zipped into `<fileBase>.zip`.
 *
 * Each stream is written by werift's MediaRecorder, started on a keyframe whose VP8 header gives the real frame
 * size (the WebM header would otherwise say 640x360), then remuxed with `ffmpeg -c copy`, which replaces werift's
 * unknown-size elements. `disableNtp`: with NTP timing werift drops the video of an audio+video file.
 * `disableLipSync`: werift's lip-sync stage drops what it still buffers (~0.5 s) at stop; audio and video start
 * together on the keyframe here, so their RTP clocks are aligned without it.
 */

export interface StreamDescription {
  clientData?: string;
  serverData?: string;
  typeOfVideo?: string;
}

export interface IndividualRecorderOptions {
  dir: string;
  fileBase: string;
  recordingId: string;
  sessionId: string;
  /** Recording name for the JSON (defaults to `fileBase`). */
  name?: string;
  createdAt?: number;
  hasAudio: boolean;
  hasVideo: boolean;
  ffmpegPath?: string;
  /** Metadata of a stream for the JSON; asked when the stream is added (its connection may be gone at stop). */
  describe?: (streamId: string) => StreamDescription;
  log?: (msg: string, extra?: object) => void;
}

export interface IndividualFileEntry {
  name: string;
  size: number;
  clientData: string;
  serverData: string;
  hasAudio: boolean;
  hasVideo: boolean;
  typeOfVideo: string;
  startTimeOffset: number;
  endTimeOffset: number;
  streamId: string;
  connectionId: string;
}

const CODEC_GRACE_MS = 2000;
/** Chromium drops a PLI that comes within ~300 ms of its previous keyframe (e.g. one a new subscriber asked for). */
const KEYFRAME_RETRY_MS = 350;

type State = 'waiting' | 'starting' | 'recording' | 'ended';

interface StreamRecording {
  src: RtpSource;
  /** File name inside the archive. */
  name: string;
  raw: string;
  kinds: MediaKind[];
  codecs: Partial<Record<MediaKind, CodecInfo>>;
  meta: StreamDescription;
  state: State;
  addedAt: number;
  graceOver: boolean;
  graceTimer?: NodeJS.Timeout;
  lastKeyframeRequest: number;
  tracks: Partial<Record<MediaKind, MediaStreamTrack>>;
  recorder?: MediaRecorder;
  opening?: Promise<void>;
  /** Packets that arrive while the recorder is opening its file. */
  pending: Array<[MediaKind, RtpPacket]>;
  offs: Array<() => void>;
  startedAt?: number;
  endedAt?: number;
  /** Stop + remux; resolves with the final file (undefined: nothing recorded). */
  done?: Promise<{ file: string; size: number } | undefined>;
}

function vp8KeyframeSize(payload: Buffer): { width: number; height: number } | null | undefined {
  try {
    const p = Vp8RtpPayload.deSerialize(payload);
    if (!p.isKeyframe || !p.isPartitionHead) return null;
    // VP8 key frame header: 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height.
    const f = p.payload;
    if (f.length >= 10 && f[3] === 0x9d && f[4] === 0x01 && f[5] === 0x2a) {
      return { width: f.readUInt16LE(6) & 0x3fff, height: f.readUInt16LE(8) & 0x3fff };
    }
    return undefined;
  } catch {
    return null;
  }
}

export class IndividualRecorder {
  private readonly o: IndividualRecorderOptions & { ffmpegPath: string };
  private readonly partsDir: string;
  private readonly streams = new Map<string, StreamRecording>();
  private readonly all: StreamRecording[] = [];
  private readonly names = new Set<string>();
  private started = false;
  private stopping = false;
  private stopPromise?: Promise<RecorderResult>;
  private t0 = 0;
  /** Sources added before start(). */
  private early: RtpSource[] = [];

  constructor(opts: IndividualRecorderOptions) {
    if (!opts.hasAudio && !opts.hasVideo) throw new Error('a recording needs audio or video');
    this.o = { ...opts, ffmpegPath: resolveFfmpegPath(opts.ffmpegPath) };
    this.partsDir = path.join(opts.dir, `.${opts.fileBase}.parts`);
  }

  private log(msg: string, extra?: object): void {
    this.o.log?.(msg, extra);
  }

  async start(sources: RtpSource[]): Promise<void> {
    if (this.started) throw new Error('recorder already started');
    if (this.o.ffmpegPath.includes('/') && !existsSync(this.o.ffmpegPath)) throw new Error(`ffmpeg not found at ${this.o.ffmpegPath}`);
    this.started = true;
    this.t0 = Date.now();
    await mkdir(this.partsDir, { recursive: true });
    for (const s of [...this.early.splice(0), ...sources]) this.addSource(s);
  }

  addSource(src: RtpSource): void {
    if (!this.started) {
      this.early.push(src);
      return;
    }
    if (this.stopping || this.streams.has(src.streamId)) return;
    const kinds: MediaKind[] = [];
    if (this.o.hasVideo && src.hasVideo) kinds.push('video');
    if (this.o.hasAudio && src.hasAudio) kinds.push('audio');
    if (kinds.length === 0) return;
    let name = `${src.streamId}.webm`;
    for (let n = 1; this.names.has(name); n++) name = `${src.streamId}-${n}.webm`;
    this.names.add(name);
    const st: StreamRecording = {
      src,
      name,
      raw: path.join(this.partsDir, `raw-${this.all.length}.webm`),
      kinds,
      codecs: {},
      meta: this.describe(src.streamId),
      state: 'waiting',
      addedAt: Date.now(),
      graceOver: false,
      lastKeyframeRequest: 0,
      tracks: {},
      pending: [],
      offs: [],
    };
    this.streams.set(src.streamId, st);
    this.all.push(st);
    for (const kind of kinds) st.offs.push(src.onRtp(kind, (rtp) => this.onPacket(st, kind, rtp)));
    st.offs.push(src.onEnded(() => this.removeSource(src.streamId)));
    st.graceTimer = setTimeout(() => (st.graceOver = true), CODEC_GRACE_MS);
    if (kinds.includes('video')) {
      st.lastKeyframeRequest = Date.now();
      src.requestKeyframe();
    }
    this.log('stream added', { streamId: src.streamId, kinds });
  }

  removeSource(streamId: string): void {
    this.early = this.early.filter((s) => s.streamId !== streamId);
    const st = this.streams.get(streamId);
    if (!st) return;
    this.streams.delete(streamId);
    this.end(st);
  }

  stop(): Promise<RecorderResult> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private describe(streamId: string): StreamDescription {
    try {
      return this.o.describe?.(streamId) ?? {};
    } catch {
      return {};
    }
  }

  private onPacket(st: StreamRecording, kind: MediaKind, rtp: RtpPacket): void {
    if (st.state === 'recording') {
      st.tracks[kind]?.onReceiveRtp.execute(rtp);
      return;
    }
    if (st.state === 'starting') {
      if (st.tracks[kind]) st.pending.push([kind, rtp]);
      return;
    }
    if (st.state !== 'waiting') return;
    st.codecs[kind] ??= st.src.codec(kind) ?? {
      payloadType: rtp.header.payloadType,
      mimeType: kind === 'video' ? 'video/VP8' : 'audio/opus',
      clockRate: kind === 'video' ? 90000 : 48000,
      ...(kind === 'audio' ? { channels: 2 } : {}),
    };
    // Start once every kind has been seen (or the other kind is late), on a video keyframe when there is video.
    const known = st.kinds.filter((k) => st.codecs[k]);
    if (known.length < st.kinds.length && !st.graceOver) return;
    let size: { width: number; height: number } | undefined;
    if (known.includes('video')) {
      if (kind !== 'video') return;
      const vp8 = /vp8/i.test(st.codecs.video!.mimeType);
      const parsed = vp8 ? vp8KeyframeSize(rtp.payload) : undefined;
      if (parsed === null) {
        if (Date.now() - st.lastKeyframeRequest > KEYFRAME_RETRY_MS) {
          st.lastKeyframeRequest = Date.now();
          st.src.requestKeyframe();
        }
        return;
      }
      size = parsed ?? st.src.videoDimensions();
    }
    st.opening = this.open(st, known, size ?? { width: 640, height: 480 }, [kind, rtp]);
  }

  private async open(st: StreamRecording, kinds: MediaKind[], size: { width: number; height: number }, first: [MediaKind, RtpPacket]) {
    st.state = 'starting';
    clearTimeout(st.graceTimer);
    st.kinds = kinds;
    st.startedAt = Date.now();
    st.pending.push(first);
    for (const kind of kinds) {
      const c = st.codecs[kind]!;
      st.tracks[kind] = new MediaStreamTrack({
        kind,
        remote: true,
        codec: new RTCRtpCodecParameters({ mimeType: c.mimeType, clockRate: c.clockRate, channels: c.channels, payloadType: c.payloadType }),
      });
    }
    try {
      const rec = new MediaRecorder({
        path: st.raw,
        width: size.width,
        height: size.height,
        disableLipSync: true,
        disableNtp: true,
        numOfTracks: kinds.length,
      });
      st.recorder = rec;
      rec.onError.subscribe((err) => this.log('stream recorder error', { streamId: st.src.streamId, error: err.message }));
      // addTrack resolves once the writer has subscribed to the tracks: packets fed before that would be lost.
      for (const kind of kinds) await rec.addTrack(st.tracks[kind]!);
    } catch (err) {
      this.log('stream recorder failed to start', { streamId: st.src.streamId, error: (err as Error).message });
      st.recorder = undefined;
      st.state = 'ended';
      return;
    }
    if (st.state !== 'starting') return; // ended meanwhile; end() takes care of the recorder
    st.state = 'recording';
    for (const [kind, rtp] of st.pending.splice(0)) st.tracks[kind]!.onReceiveRtp.execute(rtp);
    this.log('stream recording', { streamId: st.src.streamId, kinds, size, afterMs: st.startedAt - st.addedAt });
  }

  private end(st: StreamRecording): void {
    if (st.done) return;
    const wasRecording = st.state === 'recording' || st.state === 'starting';
    st.state = 'ended';
    st.endedAt = Date.now();
    clearTimeout(st.graceTimer);
    for (const off of st.offs) off();
    st.offs = [];
    st.pending = [];
    st.done = wasRecording ? this.finishStream(st) : Promise.resolve(undefined);
  }

  private async finishStream(st: StreamRecording): Promise<{ file: string; size: number } | undefined> {
    await st.opening; // stopping a recorder whose writer has not started waits for an end that never comes
    await st.recorder?.stop().catch(() => {});
    if (!existsSync(st.raw) || (await stat(st.raw)).size === 0) return undefined;
    const file = path.join(this.partsDir, st.name);
    const r = await runTool(this.o.ffmpegPath, ['-hide_banner', '-v', 'error', '-y', '-i', st.raw, '-map', '0', '-c', 'copy', '-f', 'webm', file], 5 * 60_000);
    if (r.code !== 0) {
      // Typically a stream that ended before its first frame: leave it out rather than fail the recording.
      this.log('stream file unusable, left out', { streamId: st.src.streamId, error: stderrTail(r.stderr) });
      return undefined;
    }
    await rm(st.raw, { force: true });
    return { file, size: (await stat(file)).size };
  }

  private async doStop(): Promise<RecorderResult> {
    if (!this.started) throw new Error('recorder not started');
    this.stopping = true;
    const t1 = Date.now();
    for (const st of [...this.streams.values()]) this.removeSource(st.src.streamId);
    const results = await Promise.all(this.all.map((st) => st.done));
    const files: IndividualFileEntry[] = [];
    const entries: Array<{ name: string; path: string }> = [];
    this.all.forEach((st, i) => {
      const r = results[i];
      if (!r) return;
      entries.push({ name: st.name, path: r.file });
      files.push({
        name: st.name,
        size: r.size,
        clientData: st.meta.clientData ?? '',
        serverData: st.meta.serverData ?? '',
        hasAudio: st.kinds.includes('audio'),
        hasVideo: st.kinds.includes('video'),
        typeOfVideo: st.meta.typeOfVideo ?? (st.kinds.includes('video') ? 'CAMERA' : ''),
        startTimeOffset: st.startedAt! - this.t0,
        endTimeOffset: st.endedAt! - this.t0,
        streamId: st.src.streamId,
        connectionId: st.src.connectionId,
      });
    });
    const json = {
      createdAt: this.o.createdAt ?? this.t0,
      id: this.o.recordingId,
      name: this.o.name ?? this.o.fileBase,
      sessionId: this.o.sessionId,
      files,
    };
    const zip = path.join(this.o.dir, `${this.o.fileBase}.zip`);
    await writeZip(zip, [...entries, { name: `${this.o.fileBase}.json`, data: Buffer.from(JSON.stringify(json)) }]);
    const size = (await stat(zip)).size;
    this.log('recording ready', { file: zip, size, streams: files.length, stopToReadyMs: Date.now() - t1 });
    await rm(this.partsDir, { recursive: true, force: true });
    return { file: zip, size, duration: (t1 - this.t0) / 1000, hasAudio: this.o.hasAudio, hasVideo: this.o.hasVideo };
  }
}
