import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { CodecInfo, MediaKind, RtpSource } from '../media/rtp-source.js';
import type { Forwarder } from './rtp-forwarder.js';

/* The types shared by the pieces of the COMPOSED recorder (see composed-recorder.ts for the overview). */

/** How the recorder starts its encoders (default: spawnTracked of ffmpeg.ts). */
export type SpawnEncoder = (bin: string, args: string[], options: SpawnOptions) => ChildProcess;

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
  /** Starts the encoders (default: spawnTracked, which also registers them for clean-up). */
  spawn?: SpawnEncoder;
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

/** What every encoder of one recording shares: the canvas, the kinds, the container. */
export interface EncodeSettings {
  /** Even (yuv420p). */
  width: number;
  height: number;
  frameRate: number;
  hasAudio: boolean;
  hasVideo: boolean;
  /** MP4 (H.264/AAC) with video, WebM (Opus) for audio only. */
  ext: 'mp4' | 'webm';
  /** Write each segment's crash-safe Matroska copy. */
  crashCopy: boolean;
}

export interface SourceEntry {
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

export interface StreamSpec {
  entry: SourceEntry;
  kind: MediaKind;
  codec: CodecInfo;
}

export interface Segment {
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

/** What recover() needs to rebuild a recording from its parts folder, written as segments start and end. */
export interface Journal {
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

export interface Piece {
  file: string;
  outpoint?: number;
  /** Declared length (concat `duration`), i.e. where the next piece starts. */
  duration?: number;
}
