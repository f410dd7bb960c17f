import dgram from 'node:dgram';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Vp8RtpPayload, type RtpPacket } from 'werift';
import type { CodecInfo, MediaKind, RtpSource } from '../media/rtp-source.js';
import { makeThumbnail, probe, resolveFfmpegPath, runTool, spawnTracked, stderrTail } from './ffmpeg.js';

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
 * wall clock. Every piece starts on the frame-rate grid (see advance()). Periods without publishers are recorded
 * as black + silence by a real-time lavfi segment.
 *
 * Crash safety: a plain MP4 is readable only once ffmpeg has written its index at a clean exit, so each segment's
 * ffmpeg also writes the same encoded packets (tee muxer: no second encode) to a Matroska copy whose clusters reach
 * the disk every CRASH_CLUSTER_MS. A journal in the parts folder says where each segment sits on the wall clock.
 * After a crash (SIGKILL, power cut of the server process), recover() lays those copies on the timeline the same
 * way stop() does, and loses only the last fraction of a second.
 */

export interface ComposedRecorderOptions {
  dir: string;
  fileBase: string;
  width: number;
  height: number;
  frameRate: number;
  hasAudio: boolean;
  hasVideo: boolean;
  ffmpegPath?: string;
  ffprobePath?: string;
  /** Local IPv4 address ffmpeg is fed on (the SDP's connection address); default and wildcards: 127.0.0.1. */
  host?: string;
  log?: (msg: string, extra?: object) => void;
  /** Keep the segment files and ffmpeg logs (`.<fileBase>.parts/`) after a successful stop, for debugging. */
  keepParts?: boolean;
  /** Write each segment's crash-safe Matroska copy (default true). */
  crashCopy?: boolean;
}

export interface RecorderResult {
  file: string;
  size: number;
  duration: number;
  hasAudio: boolean;
  hasVideo: boolean;
  thumbnail?: string;
}

export interface ComposedRecorderStats {
  segments: number;
  fillers: number;
  /** CPU seconds used by the segment encoders (utime + stime from /proc, when available). */
  encoderCpuSeconds: number;
  /** Milliseconds from `stop()` to the final file being ready. */
  stopToReadyMs?: number;
}

const SR_INTERVAL_MS = 2000;
const BIND_TIMEOUT_MS = 5000;
const ORIGIN_TIMEOUT_MS = 3000;
/** How long the old segment keeps running once the new one has media (its output lags ~0.1 s behind). */
const OVERLAP_MS = 500;
const EXIT_TIMEOUT_MS = 5000;
/** A source whose other kind has not sent anything after this long is recorded with what it has. */
const CODEC_GRACE_MS = 2000;
/**
 * A source in the layout that sends nothing for this long (network trouble) is taken out of it until it sends
 * again: one silent input stalls the whole composition. Idle screen shares still send a frame a second.
 */
const STALL_MS = 3000;
const ROSTER_DEBOUNCE_MS = 50;
/** Chromium drops a PLI that comes within ~300 ms of its previous keyframe (e.g. one a new subscriber asked for). */
const KEYFRAME_RETRY_MS = 350;
/** Holes shorter than this are not filled (each costs an ffmpeg run); the timeline catches up at the next one. */
const GAP_TOLERANCE_S = 0.12;
/** At the end of the recording the encoder lags the wall clock by ~0.1 s: do not spend an ffmpeg run on that. */
const TAIL_TOLERANCE_S = 0.3;

/** How often the crash-safe copy's clusters reach the disk: at most this much is lost to a crash. */
const CRASH_CLUSTER_MS = 250;
const JOURNAL = 'journal.json';

const nowMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
// Layout

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * OpenVidu's BEST_FIT grid: 1 → full, 2 → side by side, 3-4 → 2x2, 5-6 → 3x2, 7-9 → 3x3 … (cols = ⌈√n⌉), the
 * last row centred. `tiles` hold the publishers; `fill` are the black patches beside a short last row (xstack
 * leaves uncovered pixels undefined). All sizes are even (yuv420p). The union covers `box`, placed in the
 * width x height canvas at (box.x, box.y).
 */
export function bestFitLayout(n: number, width: number, height: number): { tiles: Rect[]; fill: Rect[]; box: Rect } {
  const even = (v: number) => 2 * Math.floor(v / 2);
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  const rows = Math.max(1, Math.ceil(n / cols));
  const tw = even(width / cols);
  const th = even(height / rows);
  const tiles: Rect[] = [];
  const fill: Rect[] = [];
  for (let r = 0; r < rows; r++) {
    const inRow = Math.min(cols, n - r * cols);
    const free = (cols - inRow) * tw;
    const left = even(free / 2);
    if (left > 0) fill.push({ x: 0, y: r * th, w: left, h: th });
    for (let c = 0; c < inRow; c++) tiles.push({ x: left + c * tw, y: r * th, w: tw, h: th });
    if (free - left > 0) fill.push({ x: left + inRow * tw, y: r * th, w: free - left, h: th });
  }
  const box = { x: even((width - cols * tw) / 2), y: even((height - rows * th) / 2), w: cols * tw, h: rows * th };
  return { tiles, fill, box };
}

// ---------------------------------------------------------------------------------------------------------------
// UDP ports: even RTP port + odd RTCP port (ffmpeg has no rtcp-mux for SDP input), never shared between the
// segments of this process, and checked free on the wildcard address ffmpeg binds.

const reservedPorts = new Set<number>();
const PORT_MIN = 20000;
const PORT_MAX = 60000;
let portCursor = PORT_MIN + 2 * Math.floor((Math.random() * (PORT_MAX - PORT_MIN)) / 2);

function bindTest(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ port, address: '0.0.0.0', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

async function allocatePortPairs(count: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < count; tries++) {
    if (tries > 2000) {
      for (const p of out) reservedPorts.delete(p);
      throw new Error('no free UDP port pair for the recorder');
    }
    const p = portCursor;
    portCursor += 2;
    if (portCursor >= PORT_MAX) portCursor = PORT_MIN;
    if (reservedPorts.has(p)) continue;
    reservedPorts.add(p);
    const [a, b] = await Promise.all([bindTest(p), bindTest(p + 1)]);
    if (a && b) out.push(p);
    else reservedPorts.delete(p);
  }
  return out;
}

async function boundUdpPorts(): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = await readFile(f, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local) ports.add(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return ports;
}

// ---------------------------------------------------------------------------------------------------------------
// RTP → UDP forwarding

function rtcpSenderReport(ssrc: number, wallMs: number, rtpTs: number, packets: number, octets: number): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  const secs = Math.floor(wallMs / 1000);
  b.writeUInt32BE((secs + 2208988800) >>> 0, 8);
  b.writeUInt32BE(Math.floor(((wallMs - secs * 1000) / 1000) * 2 ** 32) >>> 0, 12);
  b.writeUInt32BE(rtpTs >>> 0, 16);
  b.writeUInt32BE(packets >>> 0, 20);
  b.writeUInt32BE(octets >>> 0, 24);
  return b;
}

function isVp8KeyframeStart(payload: Buffer): boolean {
  try {
    const p = Vp8RtpPayload.deSerialize(payload);
    return p.isKeyframe && p.isPartitionHead;
  } catch {
    return false;
  }
}

interface ForwarderHooks {
  /** First packet of the stream forwarded. The earliest over the segment's streams is its time 0 in ffmpeg's output. */
  first(wallMs: number): void;
  /** The stream restarted (new SSRC: the publisher renegotiated). */
  reset(): void;
  requestKeyframe(): void;
  /** The gated video stream starts flowing (first keyframe). */
  flowing?(): void;
}

/**
 * Forwards one stream to one ffmpeg port pair. Packets are sent unchanged (SSRC, PT, seq, ts). An RTCP SR built
 * from the first packet's arrival time reaches ffmpeg before any RTP, so every stream of the segment lands on one
 * NTP timeline (without it, ffmpeg starts each stream at pts 0 on its own first packet). VP8 is held back until a
 * keyframe.
 */
class Forwarder {
  private map?: { wall0: number; ts0: number };
  private ssrc?: number;
  private flowing: boolean;
  private packets = 0;
  private octets = 0;
  private srTimer?: NodeJS.Timeout;
  private lastKeyframeRequest = 0;
  private closed = false;
  private resetSent = false;

  constructor(
    private readonly sock: dgram.Socket,
    private readonly host: string,
    private readonly port: number,
    private readonly clockRate: number,
    private readonly payloadType: number,
    private readonly gateVp8: boolean,
    private readonly hooks: ForwarderHooks,
  ) {
    this.flowing = !gateVp8;
  }

  handle(rtp: RtpPacket): void {
    if (this.closed) return;
    const h = rtp.header;
    if (h.payloadType !== this.payloadType) return;
    if (this.ssrc === undefined) this.ssrc = h.ssrc;
    else if (h.ssrc !== this.ssrc) {
      if (!this.resetSent) {
        this.resetSent = true;
        this.hooks.reset();
      }
      return;
    }
    if (!this.map) {
      const t = nowMs();
      this.map = { wall0: t, ts0: h.timestamp };
      this.sendSr();
      this.srTimer = setInterval(() => this.sendSr(), SR_INTERVAL_MS);
      // The packet itself goes out right after the SR (same socket, so in order) and ffmpeg reads a stream's RTCP
      // socket before its RTP socket. Dropping it instead would lose the keyframe the segment just asked for.
    }
    if (!this.flowing) {
      if (!isVp8KeyframeStart(rtp.payload)) {
        if (Date.now() - this.lastKeyframeRequest > KEYFRAME_RETRY_MS) {
          this.lastKeyframeRequest = Date.now();
          this.hooks.requestKeyframe();
        }
        return;
      }
      this.flowing = true;
      this.hooks.flowing?.();
    }
    if (this.packets++ === 0) this.hooks.first(nowMs());
    this.octets += rtp.payload.length;
    this.sock.send(rtp.serialize(), this.port, this.host);
  }

  markKeyframeRequested(): void {
    this.lastKeyframeRequest = Date.now();
  }

  private sendSr(): void {
    if (!this.map || this.closed || this.ssrc === undefined) return;
    const t = nowMs();
    const ts = this.map.ts0 + Math.round(((t - this.map.wall0) * this.clockRate) / 1000);
    this.sock.send(rtcpSenderReport(this.ssrc, t, ts, this.packets, this.octets), this.port + 1, this.host);
  }

  /**
   * RTCP BYE: once every stream of its SDP has said BYE, ffmpeg's RTP demuxer reports the end of its input. Sent
   * as a compound packet (empty RR + BYE): ffmpeg ignores anything shorter than 12 bytes.
   */
  sendBye(): void {
    if (this.closed) return;
    const ssrc = (this.ssrc ?? 0) >>> 0;
    const b = Buffer.alloc(16);
    b[0] = 0x80; // V=2, no report blocks
    b[1] = 201; // RR
    b.writeUInt16BE(1, 2);
    b.writeUInt32BE(ssrc, 4);
    b[8] = 0x81; // V=2, one SSRC
    b[9] = 203; // BYE
    b.writeUInt16BE(1, 10);
    b.writeUInt32BE(ssrc, 12);
    this.sock.send(b, this.port + 1, this.host);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.srTimer);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sources, segments

interface SourceEntry {
  src: RtpSource;
  order: number;
  /** Kinds this recording takes from the source. */
  want: MediaKind[];
  codecs: Partial<Record<MediaKind, CodecInfo>>;
  /** Bumped when the publisher restarts its streams, which forces a new segment. */
  generation: number;
  graceOver: boolean;
  lastPacket: Partial<Record<MediaKind, number>>;
  /** Kinds left out of the layout because they stopped flowing. */
  stalled: Partial<Record<MediaKind, boolean>>;
  graceTimer?: NodeJS.Timeout;
  offs: Array<() => void>;
}

interface StreamSpec {
  entry: SourceEntry;
  kind: MediaKind;
  codec: CodecInfo;
}

interface Segment {
  index: number;
  file: string;
  signature: string;
  streams: StreamSpec[];
  blank: boolean;
  proc?: ChildProcess;
  exit?: Promise<void>;
  exited: boolean;
  /** We asked it to stop (an exit before that is a crash). */
  stopping: boolean;
  /** Still being started: a failure there is handled (and retried) by startSegment. */
  starting: boolean;
  /** Wall-clock ms of the segment's time 0. */
  origin?: number;
  ports: number[];
  forwarders: Forwarder[];
  offs: Array<() => void>;
  stderr: string;
  /** When forwarding started (Date.now()). */
  attachedAt?: number;
  /** `time=` of ffmpeg's final report, seconds. */
  reportedTime?: number;
  cpuSeconds?: number;
  /** Container duration once exited, seconds (0: nothing usable). */
  duration?: Promise<number>;
}

/** The crash-safe Matroska copy written beside a segment file. */
const crashCopyOf = (file: string) => file.replace(/\.\w+$/, '.mkv');

function defaultCodec(kind: MediaKind, payloadType: number): CodecInfo {
  return kind === 'video'
    ? { payloadType, mimeType: 'video/VP8', clockRate: 90000 }
    : { payloadType, mimeType: 'audio/opus', clockRate: 48000, channels: 2 };
}

function sdpFor(host: string, streams: StreamSpec[], ports: number[]): string {
  const lines = ['v=0', `o=- 0 0 IN IP4 ${host}`, 's=openvidu-recording', `c=IN IP4 ${host}`, 't=0 0'];
  streams.forEach((s, i) => {
    const pt = s.codec.payloadType;
    const name = s.codec.mimeType.split('/')[1] ?? (s.kind === 'video' ? 'VP8' : 'opus');
    const channels = s.kind === 'audio' ? `/${s.codec.channels ?? 2}` : '';
    lines.push(`m=${s.kind} ${ports[i]} RTP/AVP ${pt}`, `a=rtpmap:${pt} ${name}/${s.codec.clockRate}${channels}`);
    if (/h264/i.test(name)) lines.push(`a=fmtp:${pt} packetization-mode=1`);
    lines.push('a=recvonly');
  });
  return lines.join('\r\n') + '\r\n';
}

/** utime + stime of a live process, in seconds (Linux /proc; undefined elsewhere). */
function procCpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

/** What recover() needs to rebuild a recording from its parts folder, written as segments start and end. */
interface Journal {
  version: 1;
  /** Wall-clock ms of the recording's time 0. */
  t0: number;
  width: number;
  height: number;
  frameRate: number;
  hasAudio: boolean;
  hasVideo: boolean;
  /** File names inside the parts folder; `origin` as in Segment. */
  segments: Array<{ index: number; file: string; copy?: string; origin: number; ended: boolean }>;
}

interface Piece {
  file: string;
  outpoint?: number;
  /** Declared length (concat `duration`), i.e. where the next piece starts. */
  duration?: number;
}

// ---------------------------------------------------------------------------------------------------------------

export class ComposedRecorder {
  private readonly o: ComposedRecorderOptions & { host: string; ffmpegPath: string };
  private readonly width: number;
  private readonly height: number;
  private readonly partsDir: string;
  private readonly ext: 'mp4' | 'webm';
  private readonly sources = new Map<string, SourceEntry>();
  private readonly segments: Segment[] = [];
  private current?: Segment;
  private sock?: dgram.Socket;
  private order = 0;
  private startCalled = false;
  private startPromise?: Promise<void>;
  private started = false;
  private stopping = false;
  private stopPromise?: Promise<RecorderResult>;
  private t0 = 0;
  private t1 = 0;
  private busy?: Promise<void>;
  private dirty = false;
  private reconfigureTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private failure?: Error;
  private fillerCount = 0;
  private readonly fillers = new Map<string, Promise<{ file: string; duration: number }>>();
  private journalDirty = false;
  private journalWrite?: Promise<void>;
  readonly stats: ComposedRecorderStats = { segments: 0, fillers: 0, encoderCpuSeconds: 0 };

  constructor(opts: ComposedRecorderOptions) {
    if (!opts.hasAudio && !opts.hasVideo) throw new Error('a recording needs audio or video');
    // ffmpeg runs on this machine: a wildcard media address (LAN mode) still means loopback here (IPv4 only).
    const host = opts.host && /^\d+\.\d+\.\d+\.\d+$/.test(opts.host) && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';
    this.o = { ...opts, host, ffmpegPath: resolveFfmpegPath(opts.ffmpegPath) };
    // libx264 with yuv420p needs even sizes.
    this.width = 2 * Math.floor(opts.width / 2);
    this.height = 2 * Math.floor(opts.height / 2);
    this.ext = opts.hasVideo ? 'mp4' : 'webm';
    this.partsDir = path.join(opts.dir, `.${opts.fileBase}.parts`);
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
    this.t0 = nowMs();
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
    this.sock = sock;
    for (const s of sources) this.track(s);
    this.started = true; // from here on roster changes start segments
    this.watchdog = setInterval(() => this.checkStalls(), 500);
    // The first segment is started here so that start() fails loudly if ffmpeg cannot run at all.
    this.kick();
    await this.busy;
    if (this.failure) {
      const err = this.failure;
      await this.shutdown();
      throw err;
    }
  }

  addSource(src: RtpSource): void {
    if (this.stopping) return;
    this.track(src);
    this.scheduleReconfigure();
  }

  removeSource(streamId: string): void {
    const e = this.sources.get(streamId);
    if (!e || this.stopping) return;
    this.untrack(e);
    this.scheduleReconfigure();
  }

  stop(): Promise<RecorderResult> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  // ------------------------------------------------------------------------------------------------ sources

  private track(src: RtpSource): void {
    if (this.sources.has(src.streamId)) return;
    const want: MediaKind[] = [];
    if (this.o.hasVideo && src.hasVideo) want.push('video');
    if (this.o.hasAudio && src.hasAudio) want.push('audio');
    if (want.length === 0) return;
    const e: SourceEntry = { src, order: this.order++, want, codecs: {}, generation: 0, graceOver: false, lastPacket: {}, stalled: {}, offs: [] };
    this.sources.set(src.streamId, e);
    e.offs.push(src.onEnded(() => this.removeSource(src.streamId)));
    for (const kind of want) {
      const known = src.codec(kind);
      if (known) e.codecs[kind] = known;
      e.offs.push(
        src.onRtp(kind, (rtp) => {
          e.lastPacket[kind] = Date.now();
          if (!e.codecs[kind]) {
            // The payload types only become known with the first packet; until then the source is not in the layout.
            e.codecs[kind] = src.codec(kind) ?? defaultCodec(kind, rtp.header.payloadType);
            this.scheduleReconfigure();
          }
          if (e.stalled[kind]) {
            e.stalled[kind] = false;
            this.log('publisher sends again', { streamId: src.streamId, kind });
            this.scheduleReconfigure();
          }
        }),
      );
    }
    if (want.some((k) => !e.codecs[k])) {
      e.graceTimer = setTimeout(() => {
        e.graceOver = true;
        this.scheduleReconfigure();
      }, CODEC_GRACE_MS);
    } else e.graceOver = true;
  }

  private untrack(e: SourceEntry): void {
    clearTimeout(e.graceTimer);
    for (const off of e.offs) off();
    e.offs = [];
    this.sources.delete(e.src.streamId);
  }

  private restartSource(e: SourceEntry): void {
    if (this.sources.get(e.src.streamId) !== e || this.stopping) return;
    e.generation++;
    for (const k of e.want) {
      const c = e.src.codec(k);
      if (c) e.codecs[k] = c;
    }
    this.log('publisher restarted its streams', { streamId: e.src.streamId });
    this.scheduleReconfigure();
  }

  private checkStalls(): void {
    const seg = this.current;
    if (!seg || seg.exited || this.stopping) return;
    const now = Date.now();
    for (const s of seg.streams) {
      const e = s.entry;
      if (e.stalled[s.kind] || this.sources.get(e.src.streamId) !== e) continue;
      const last = Math.max(e.lastPacket[s.kind] ?? 0, seg.attachedAt ?? now);
      if (now - last > STALL_MS) {
        e.stalled[s.kind] = true;
        this.log('publisher sends nothing, left out of the layout until it does', { streamId: e.src.streamId, kind: s.kind });
        this.scheduleReconfigure();
      }
    }
  }

  private roster(): StreamSpec[] {
    const entries = [...this.sources.values()].sort((a, b) => a.order - b.order);
    const video: StreamSpec[] = [];
    const audio: StreamSpec[] = [];
    for (const e of entries) {
      const kinds = e.want.filter((k) => e.codecs[k] && !e.stalled[k]);
      if (kinds.length === 0 || (kinds.length < e.want.length && !e.graceOver)) continue;
      for (const kind of kinds) (kind === 'video' ? video : audio).push({ entry: e, kind, codec: e.codecs[kind]! });
    }
    return [...video, ...audio];
  }

  private static signature(streams: StreamSpec[]): string {
    return JSON.stringify(streams.map((s) => [s.entry.src.streamId, s.entry.generation, s.kind, s.codec.payloadType, s.codec.mimeType]));
  }

  // ------------------------------------------------------------------------------------------------ segments

  private scheduleReconfigure(): void {
    if (!this.started || this.stopping || this.reconfigureTimer) return;
    this.reconfigureTimer = setTimeout(() => {
      this.reconfigureTimer = undefined;
      this.kick();
    }, ROSTER_DEBOUNCE_MS);
  }

  private kick(): void {
    if (this.stopping) return;
    if (this.busy) {
      this.dirty = true;
      return;
    }
    this.busy = this.reconfigure().finally(() => {
      this.busy = undefined;
      if (this.dirty && !this.stopping) {
        this.dirty = false;
        this.kick();
      }
    });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.log('recording failed', { error: err.message });
  }

  /** Bring the running segment in line with the current roster (make-before-break). Never throws. */
  private async reconfigure(): Promise<void> {
    try {
      const streams = this.roster();
      const signature = ComposedRecorder.signature(streams);
      if (this.current && !this.current.exited && this.current.signature === signature) return;
      if (this.failure) return;
      const old = this.current;
      let seg: Segment | undefined;
      for (let attempt = 0; !seg; attempt++) {
        try {
          seg = await this.startSegment(streams, signature);
        } catch (err) {
          // A port taken between our check and ffmpeg's bind, typically: one more try with fresh ports.
          if (attempt >= 1 || this.stopping) throw err;
          this.log('segment start failed, retrying', { error: (err as Error).message });
        }
      }
      this.current = seg;
      if (!old || old.exited) return;
      const deadline = Date.now() + ORIGIN_TIMEOUT_MS;
      while (seg.origin === undefined && !this.stopping && !seg.exited && Date.now() < deadline) await sleep(10);
      // Both run for a moment; stop() ends every running segment itself.
      for (const until = Date.now() + OVERLAP_MS; Date.now() < until && !this.stopping; ) await sleep(20);
      if (this.stopping) return;
      await this.endSegment(old);
      this.prewarm();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private async startSegment(streams: StreamSpec[], signature: string): Promise<Segment> {
    const index = this.segments.length;
    const blank = streams.length === 0;
    const seg: Segment = {
      index,
      file: path.join(this.partsDir, `segment-${index}.${this.ext}`),
      signature,
      streams,
      blank,
      exited: false,
      stopping: false,
      starting: true,
      ports: [],
      forwarders: [],
      offs: [],
      stderr: '',
    };
    let args: string[];
    if (blank) {
      args = this.blankArgs(seg.file, undefined);
    } else {
      seg.ports = await allocatePortPairs(streams.length);
      const sdpFile = path.join(this.partsDir, `segment-${index}.sdp`);
      await writeFile(sdpFile, sdpFor(this.o.host, streams, seg.ports));
      args = this.rtpArgs(streams, sdpFile, seg.file);
    }
    this.segments.push(seg);
    this.stats.segments++;
    const spawnedAt = nowMs();
    const proc = spawnTracked(this.o.ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    seg.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => {
      seg.stderr = (seg.stderr + d.toString()).slice(-16_000);
      // lavfi segments start producing as soon as the output is set up.
      if (blank && seg.origin === undefined && seg.stderr.includes('Output #0')) this.originKnown(seg, nowMs());
    });
    seg.exit = new Promise<void>((resolve) => {
      const done = () => {
        if (seg.exited) return;
        seg.exited = true;
        if (seg.origin !== undefined) this.saveJournal();
        const times = [...seg.stderr.matchAll(/time=\s*(\d+):(\d+):([\d.]+)/g)];
        const last = times[times.length - 1];
        if (last) seg.reportedTime = Number(last[1]) * 3600 + Number(last[2]) * 60 + Number(last[3]);
        this.detach(seg);
        if (this.o.keepParts) void writeFile(seg.file.replace(/\.\w+$/, '.log'), `${seg.stderr}\nexit ${proc.exitCode} ${proc.signalCode}\n`).catch(() => {});
        if (!seg.stopping && !seg.starting) {
          this.fail(new Error(`ffmpeg (segment ${index}) exited unexpectedly (code ${proc.exitCode}, signal ${proc.signalCode}): ${stderrTail(seg.stderr)}`));
        }
        resolve();
      };
      proc.once('close', done); // after 'exit', once stderr (with the final report) is drained
      proc.once('error', (err) => {
        seg.stderr += `\n${err.message}`;
        done();
      });
    });
    this.log('segment started', { index, streams: streams.map((s) => `${s.entry.src.streamId}/${s.kind}/${s.codec.payloadType}`), ports: seg.ports });

    if (blank) {
      // Running once it has set up its output (this also catches a binary that cannot start).
      const deadline = Date.now() + BIND_TIMEOUT_MS;
      while (seg.origin === undefined && !seg.exited && !this.stopping && Date.now() < deadline) await sleep(10);
      if (seg.exited) throw new Error(`ffmpeg (segment ${index}) failed to start: ${stderrTail(seg.stderr)}`);
      if (seg.origin === undefined) this.originKnown(seg, spawnedAt + 50);
      seg.starting = false;
      return seg;
    }

    // Packets sent before ffmpeg has bound its sockets are lost: wait for every port of the SDP.
    const wanted = seg.ports.flatMap((p) => [p, p + 1]);
    const deadline = Date.now() + BIND_TIMEOUT_MS;
    for (;;) {
      if (seg.exited) throw new Error(`ffmpeg (segment ${index}) exited before binding its ports: ${stderrTail(seg.stderr)}`);
      const bound = await boundUdpPorts();
      if (wanted.every((p) => bound.has(p))) break;
      if (Date.now() > deadline || this.stopping) {
        if (this.stopping) break;
        seg.stopping = true;
        proc.kill('SIGKILL');
        await seg.exit;
        throw new Error(`ffmpeg (segment ${index}) did not bind its UDP ports within ${BIND_TIMEOUT_MS} ms`);
      }
      await sleep(10);
    }
    seg.starting = false;
    if (seg.exited) throw new Error(`ffmpeg (segment ${index}) exited while starting: ${stderrTail(seg.stderr)}`);
    this.attach(seg);
    return seg;
  }

  private originKnown(seg: Segment, wallMs: number): void {
    seg.origin = wallMs;
    this.saveJournal();
    // A hole before this segment is now known: encode its filler while the recording goes on.
    setImmediate(() => this.prewarm());
  }

  private attach(seg: Segment): void {
    const sock = this.sock!;
    const keyframeSources = new Set<RtpSource>();
    const attachedAt = nowMs();
    seg.attachedAt = Date.now();
    seg.streams.forEach((s, i) => {
      const src = s.entry.src;
      const gate = s.kind === 'video' && /vp8/i.test(s.codec.mimeType);
      const fwd = new Forwarder(sock, this.o.host, seg.ports[i], s.codec.clockRate, s.codec.payloadType, gate, {
        first: (t) => {
          if (seg.origin === undefined) this.originKnown(seg, t);
        },
        reset: () => this.restartSource(s.entry),
        requestKeyframe: () => src.requestKeyframe(),
        flowing: () => this.log('keyframe', { index: seg.index, streamId: src.streamId, afterMs: Math.round(nowMs() - attachedAt) }),
      });
      seg.forwarders.push(fwd);
      seg.offs.push(src.onRtp(s.kind, (rtp) => fwd.handle(rtp)));
      if (s.kind === 'video') {
        keyframeSources.add(src);
        fwd.markKeyframeRequested();
      }
    });
    // The new ffmpeg can only start decoding a stream at a keyframe.
    for (const src of keyframeSources) src.requestKeyframe();
  }

  private detach(seg: Segment): void {
    for (const off of seg.offs) off();
    seg.offs = [];
    for (const f of seg.forwarders) f.close();
    for (const p of seg.ports) reservedPorts.delete(p);
  }

  /**
   * Stop a segment's ffmpeg so that it finishes its file; forwarding continues until it exits. Once running,
   * ffmpeg notices SIGINT only between packets: with no packet coming (its publishers are gone) it would sit in
   * its RTP read for 10 s, and a second signal would abort the file's trailer too. An RTCP BYE on every stream
   * ends its input instead, cleanly. SIGKILL if it hangs anyway.
   */
  private async endSegment(seg: Segment): Promise<void> {
    if (!seg.exited && seg.proc) {
      const proc = seg.proc;
      seg.stopping = true;
      seg.cpuSeconds = procCpuSeconds(proc.pid);
      for (const f of seg.forwarders) f.sendBye();
      proc.kill('SIGINT');
      const kill = setTimeout(() => {
        this.log('ffmpeg did not exit after SIGINT, killing it', { index: seg.index });
        proc.kill('SIGKILL');
      }, EXIT_TIMEOUT_MS);
      await seg.exit;
      clearTimeout(kill);
    }
    if (seg.cpuSeconds !== undefined) this.stats.encoderCpuSeconds += seg.cpuSeconds;
    if (seg !== this.current) seg.duration ??= this.fileDuration(seg.file);
  }

  private async fileDuration(file: string): Promise<number> {
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
  private advance(seconds: number): number {
    const margin = this.o.hasAudio ? 0.025 : 0;
    if (!this.o.hasVideo) return seconds + margin;
    return Math.ceil((seconds + margin) * this.o.frameRate - 1e-6) / this.o.frameRate;
  }

  // ------------------------------------------------------------------------------------------------ ffmpeg args

  private encodeArgs(): string[] {
    const a: string[] = [];
    if (this.o.hasVideo) {
      const fr = String(this.o.frameRate);
      a.push('-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-r', fr, '-g', String(2 * this.o.frameRate));
      // Same VUI for live and filler segments, so their H.264 headers match and concat can copy.
      a.push('-colorspace', 'smpte170m', '-color_primaries', 'smpte170m', '-color_trc', 'smpte170m', '-color_range', 'tv');
    }
    if (this.o.hasAudio) {
      if (this.o.hasVideo) a.push('-c:a', 'aac', '-b:a', '128k');
      else a.push('-c:a', 'libopus', '-b:a', '96k');
      a.push('-ar', '48000', '-ac', '2');
    }
    return a;
  }

  private outputArgs(file: string, crashCopy: boolean): string[] {
    // Plain (not fragmented) MP4: its edit list hides the AAC priming, so video frames sit exactly on k/frameRate
    // from 0, which keeps the joined file's frames on one frame-rate grid (fragmented MP4 stretches the first frame
    // instead). A segment whose ffmpeg is killed is unreadable: the Matroska copy is what survives a crash.
    const format = this.ext === 'webm' ? 'webm' : 'mp4';
    if (!crashCopy || this.o.crashCopy === false) return ['-f', format, file];
    // With the tee muxer ffmpeg cannot know what the outputs need: global headers as both formats want, and the
    // timestamps left for each output to shift as it would alone. The main file is then byte for byte the same.
    const esc = (f: string) => f.replace(/[\\'|]/g, '\\$&');
    const copy = `[f=matroska:onfail=ignore:cluster_time_limit=${CRASH_CLUSTER_MS}:flush_packets=1]${esc(crashCopyOf(file))}`;
    return ['-flags', '+global_header', '-avoid_negative_ts', 'disabled', '-f', 'tee', `[f=${format}]${esc(file)}|${copy}`];
  }

  /** Black + silence: in real time for a segment without publishers, or `seconds` long for a filler. */
  private blankArgs(file: string, seconds: number | undefined): string[] {
    const live = seconds === undefined;
    const a = ['-hide_banner', '-nostdin', '-nostats', '-y'];
    const input = (spec: string) => a.push(...(live ? ['-re'] : []), '-f', 'lavfi', '-i', spec);
    if (this.o.hasVideo) input(`color=c=black:s=${this.width}x${this.height}:r=${this.o.frameRate}`);
    if (this.o.hasAudio) input('anullsrc=r=48000:cl=stereo');
    if (this.o.hasVideo) a.push('-map', '0:v');
    if (this.o.hasAudio) a.push('-map', `${this.o.hasVideo ? 1 : 0}:a`);
    if (!live) a.push('-t', seconds.toFixed(3));
    return [...a, ...this.encodeArgs(), ...this.outputArgs(file, live)];
  }

  private rtpArgs(streams: StreamSpec[], sdpFile: string, file: string): string[] {
    const W = this.width;
    const H = this.height;
    const fr = this.o.frameRate;
    const graph: string[] = [];
    const videoIdx: number[] = [];
    const audioIdx: number[] = [];
    streams.forEach((s, i) => (s.kind === 'video' ? videoIdx : audioIdx).push(i));
    const maps: string[] = [];
    if (this.o.hasVideo) {
      if (videoIdx.length === 0) {
        graph.push(`color=c=black:s=${W}x${H}:r=${fr}[v]`);
      } else {
        const { tiles, fill, box } = bestFitLayout(videoIdx.length, W, H);
        const fit = (t: Rect, i: number, label: string) => {
          // Scale to fit the tile keeping the aspect ratio (even sizes), then centre on black.
          const r = (t.w / t.h).toFixed(6);
          const sw = `if(gt(a\\,${r})\\,${t.w}\\,2*trunc(${t.h}*a/2))`;
          const sh = `if(gt(a\\,${r})\\,2*trunc(${t.w}/a/2)\\,${t.h})`;
          graph.push(`[0:${i}]fps=${fr},scale=w='${sw}':h='${sh}',setsar=1,pad=${t.w}:${t.h}:(ow-iw)/2:(oh-ih)/2:black,format=yuv420p[${label}]`);
        };
        if (videoIdx.length === 1) {
          fit({ x: 0, y: 0, w: W, h: H }, videoIdx[0], 'v');
        } else {
          const inputs: string[] = [];
          const layout: string[] = [];
          videoIdx.forEach((idx, k) => {
            fit(tiles[k], idx, `t${k}`);
            inputs.push(`[t${k}]`);
            layout.push(`${tiles[k].x}_${tiles[k].y}`);
          });
          fill.forEach((f, k) => {
            graph.push(`color=c=black:s=${f.w}x${f.h}:r=${fr},format=yuv420p[f${k}]`);
            inputs.push(`[f${k}]`);
            layout.push(`${f.x}_${f.y}`);
          });
          const pad = box.w === W && box.h === H ? '' : `,pad=${W}:${H}:${box.x}:${box.y}:black`;
          graph.push(`${inputs.join('')}xstack=inputs=${inputs.length}:layout=${layout.join('|')}${pad}[v]`);
        }
      }
      maps.push('-map', '[v]');
    }
    if (this.o.hasAudio) {
      const fmt = 'aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo';
      if (audioIdx.length === 0) graph.push(`anullsrc=r=48000:cl=stereo[a]`);
      else if (audioIdx.length === 1) graph.push(`[0:${audioIdx[0]}]aresample=async=1000,${fmt}[a]`);
      else {
        audioIdx.forEach((idx, k) => graph.push(`[0:${idx}]aresample=async=1000,${fmt}[a${k}]`));
        // amix scales every input by 1/n; a browser mixing the tracks would sum them.
        graph.push(`${audioIdx.map((_, k) => `[a${k}]`).join('')}amix=inputs=${audioIdx.length}:duration=longest:dropout_transition=0,volume=${audioIdx.length},${fmt}[a]`);
      }
      maps.push('-map', '[a]');
    }
    return [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-y',
      '-protocol_whitelist',
      'file,udp,rtp',
      '-reorder_queue_size',
      '64',
      '-max_delay',
      '200000',
      // Short probing: ffmpeg writes nothing until it is done (a segment stopped while probing has no media), and
      // the keyframe gate makes video arrive within ~0.1 s anyway.
      '-analyzeduration',
      '300000',
      '-i',
      sdpFile,
      '-filter_complex',
      graph.join(';'),
      ...maps,
      ...this.encodeArgs(),
      ...this.outputArgs(file, true),
    ];
  }

  /** Black + silence `seconds` long (whole frames), encoded like the segments; cached by length. */
  private filler(seconds: number): Promise<{ file: string; duration: number }> {
    const length = this.o.hasVideo ? Math.max(1, Math.round(seconds * this.o.frameRate)) / this.o.frameRate : Math.max(0.02, seconds);
    const key = length.toFixed(4);
    let p = this.fillers.get(key);
    if (!p) {
      const file = path.join(this.partsDir, `filler-${this.fillerCount++}.${this.ext}`);
      p = runTool(this.o.ffmpegPath, this.blankArgs(file, length), 60_000).then(async (r) => {
        if (r.code !== 0) throw new Error(`filler encoding failed: ${stderrTail(r.stderr)}`);
        return { file, duration: (await this.fileDuration(file)) || length };
      });
      this.fillers.set(key, p);
      this.stats.fillers++;
    }
    return p;
  }

  // ------------------------------------------------------------------------------------------------ stop

  /** Stop every encoder (forwarding until each exits) and release sockets and listeners. Idempotent. */
  private async shutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconfigureTimer);
    clearInterval(this.watchdog);
    await this.busy;
    await Promise.all(this.segments.filter((s) => !s.exited).map((s) => this.endSegment(s)));
    for (const e of [...this.sources.values()]) this.untrack(e);
    this.sock?.close();
    this.sock = undefined;
  }

  private async doStop(): Promise<RecorderResult> {
    if (!this.startCalled) throw new Error('recorder not started');
    const stopAt = Date.now();
    this.t1 = nowMs();
    this.stopping = true;
    await this.startPromise?.catch(() => {});
    await this.shutdown();
    const exitedAt = Date.now();
    if (this.failure) throw this.failure;
    if (!this.started) throw new Error('recorder failed to start');

    const file = path.join(this.o.dir, `${this.o.fileBase}.${this.ext}`);
    await this.assemble(file);
    const assembledAt = Date.now();
    const result = await this.finishFile(file, `${this.o.fileBase}.jpg`);
    this.stats.stopToReadyMs = Date.now() - stopAt;
    const timing = { exitMs: exitedAt - stopAt, assembleMs: assembledAt - exitedAt, probeAndThumbnailMs: Date.now() - assembledAt };
    this.log('recording ready', { file, size: result.size, duration: result.duration, wall: (this.t1 - this.t0) / 1000, ...this.stats, ...timing });
    await this.removeParts();
    return result;
  }

  /** Probe the joined file and write its thumbnail (`thumbName`, beside it). */
  private async finishFile(file: string, thumbName: string): Promise<RecorderResult> {
    const thumbnail = this.o.hasVideo ? path.join(this.o.dir, thumbName) : undefined;
    const [info] = await Promise.all([
      probe(file, { ffprobePath: this.o.ffprobePath }),
      thumbnail ? this.thumbnail(file, thumbnail) : undefined,
    ]);
    const size = (await stat(file)).size;
    return {
      file,
      size,
      duration: info.duration,
      hasAudio: this.o.hasAudio,
      hasVideo: this.o.hasVideo,
      ...(thumbnail && existsSync(thumbnail) ? { thumbnail } : {}),
    };
  }

  private async removeParts(): Promise<void> {
    if (this.o.keepParts) return;
    await this.journalWrite;
    await rm(this.partsDir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------------------------------------ crash recovery

  /** Write the journal (atomically: temp file + rename); writes asked for meanwhile are folded into the next one. */
  private saveJournal(): void {
    this.journalDirty = true;
    if (this.journalWrite) return;
    this.journalWrite = (async () => {
      while (this.journalDirty) {
        this.journalDirty = false;
        const j: Journal = {
          version: 1,
          t0: this.t0,
          width: this.width,
          height: this.height,
          frameRate: this.o.frameRate,
          hasAudio: this.o.hasAudio,
          hasVideo: this.o.hasVideo,
          segments: this.segments
            .filter((seg) => seg.origin !== undefined)
            .map((seg) => ({
              index: seg.index,
              file: path.basename(seg.file),
              ...(this.o.crashCopy === false ? {} : { copy: path.basename(crashCopyOf(seg.file)) }),
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
    })().finally(() => (this.journalWrite = undefined));
  }

  /**
   * Rebuild a recording whose server died while it recorded, from its parts folder: each segment's Matroska copy
   * (or its MP4 when that one was finished) is remuxed, then laid on the timeline by the journal as stop() does.
   * The file is `<fileBase>.recovered.<ext>`: the name tells a recovered recording apart. Throws when nothing
   * usable was recorded (no journal, or no segment with media).
   */
  static async recover(opts: Pick<ComposedRecorderOptions, 'dir' | 'fileBase' | 'ffmpegPath' | 'ffprobePath' | 'log' | 'keepParts'>): Promise<RecorderResult> {
    const partsDir = path.join(opts.dir, `.${opts.fileBase}.parts`);
    let j: Journal;
    try {
      j = JSON.parse(await readFile(path.join(partsDir, JOURNAL), 'utf8')) as Journal;
    } catch {
      throw new Error('nothing to recover (no journal)');
    }
    const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    if (j.version !== 1 || ![j.t0, j.width, j.height, j.frameRate].every(num) || !Array.isArray(j.segments)) throw new Error('unreadable recording journal');
    const r = new ComposedRecorder({ ...opts, width: j.width, height: j.height, frameRate: j.frameRate, hasAudio: !!j.hasAudio, hasVideo: !!j.hasVideo, crashCopy: false });
    return r.rebuild(j);
  }

  private async rebuild(j: Journal): Promise<RecorderResult> {
    this.t0 = j.t0;
    let end = j.t0;
    const inParts = (name: unknown) => (typeof name === 'string' && name ? path.join(this.partsDir, path.basename(name)) : undefined);
    for (const s of [...j.segments].sort((a, b) => a.origin - b.origin)) {
      if (!Number.isInteger(s.index) || !Number.isFinite(s.origin)) continue;
      const out = path.join(this.partsDir, `recovered-${s.index}.${this.ext}`);
      let duration = 0;
      // The copy ends at its last complete cluster; a finished segment's own file is as good, and read as well.
      for (const src of [inParts(s.copy), inParts(s.file)]) {
        if (!src || !existsSync(src) || (await stat(src)).size === 0) continue;
        const res = await runTool(this.o.ffmpegPath, ['-hide_banner', '-v', 'error', '-y', '-i', src, '-map', '0', '-c', 'copy', '-f', this.ext, out], 5 * 60_000);
        if (res.code === 0 && (duration = await this.fileDuration(out)) > 0) break;
        this.log('segment piece unusable', { index: s.index, file: path.basename(src), error: stderrTail(res.stderr) });
      }
      if (duration <= 0) continue;
      this.segments.push({
        index: s.index,
        file: out,
        signature: '',
        streams: [],
        blank: false,
        exited: true,
        stopping: true,
        starting: false,
        origin: s.origin,
        ports: [],
        forwarders: [],
        offs: [],
        stderr: '',
        duration: Promise.resolve(duration),
      });
      end = Math.max(end, s.origin + duration * 1000);
    }
    if (this.segments.length === 0) throw new Error('nothing usable was recorded before the interruption');
    this.t1 = end;
    const file = path.join(this.o.dir, `${this.o.fileBase}.recovered.${this.ext}`);
    await this.assemble(file);
    const result = await this.finishFile(file, `${this.o.fileBase}.recovered.jpg`);
    this.log('recording recovered', { file, size: result.size, duration: result.duration, segments: this.segments.length, fillers: this.stats.fillers });
    await this.removeParts();
    return result;
  }

  private async thumbnail(file: string, out: string): Promise<void> {
    const middle = (this.t1 - this.t0) / 2000;
    await makeThumbnail(file, out, middle, { ffmpegPath: this.o.ffmpegPath }).catch((err) =>
      this.log('thumbnail failed', { error: (err as Error).message }),
    );
  }

  /**
   * Lay the segments on the wall-clock timeline [t0, t1]: each segment starts where the wall clock says (a hole
   * before it gets filler) and ends where the next one starts (`outpoint` trims the make-before-break overlap).
   * With `final` false, only the pieces before the running segment are planned, so their fillers can be encoded
   * while the recording goes on (`filler()` caches by duration).
   */
  private async plan(final: boolean): Promise<Piece[]> {
    const total = (this.t1 - this.t0) / 1000;
    let segs = this.segments.filter((s) => s.origin !== undefined && (!final || existsSync(s.file)));
    segs.sort((a, b) => a.origin! - b.origin!);
    if (final) {
      // A segment stopped while ffmpeg was still probing its input has no media: the one before it then runs on.
      const usable = await Promise.all(
        segs.map(async (s) => (s.reportedTime ?? 0) > 0 || (await (s.duration ??= this.fileDuration(s.file))) > 0),
      );
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
        const fr = this.o.frameRate;
        const slack = this.o.hasAudio ? 1 : 0; // advance() adds a frame slot for the audio margin
        const keep = this.o.hasVideo ? Math.max(1, Math.round(want * fr) - slack) / fr : Math.max(0.02, want - 0.025);
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

  /** Encode the fillers known so far in the background. */
  private prewarm(): void {
    if (this.stopping) return;
    void this.plan(false).catch((err) => this.log('filler pre-encoding failed', { error: (err as Error).message }));
  }

  /** Join the planned pieces into `out` (concat demuxer, stream copy). */
  private async assemble(out: string): Promise<void> {
    const planStart = Date.now();
    const list = await this.plan(true);
    const planMs = Date.now() - planStart;
    const quote = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;
    const listFile = path.join(this.partsDir, 'concat.txt');
    const lines = list.map((p) => {
      let entry = `file ${quote(p.file)}\n`;
      if (p.outpoint !== undefined) entry += `outpoint ${p.outpoint.toFixed(4)}\n`;
      if (p.duration !== undefined) entry += `duration ${p.duration.toFixed(4)}\n`;
      return entry;
    });
    await writeFile(listFile, lines.join(''));
    this.log('assembling', { planMs, pieces: list.map((p) => ({ file: path.basename(p.file), outpoint: p.outpoint, duration: p.duration })) });
    const args = ['-hide_banner', '-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', listFile, '-map', '0', '-c', 'copy'];
    if (this.ext === 'mp4') args.push('-movflags', '+faststart', '-f', 'mp4', out);
    else args.push('-f', 'webm', out);
    const r = await runTool(this.o.ffmpegPath, args, 10 * 60_000);
    if (r.code !== 0) throw new Error(`joining the recording segments failed: ${stderrTail(r.stderr)}`);
  }
}
