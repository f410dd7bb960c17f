import type { Logger } from '../logger.js';
import type { RecordingProperties, Session } from '../model.js';
import type { RtpSource } from '../media/rtp-source.js';
import type { RecorderResult } from './composed-types.js';

export type { RecorderResult } from './composed-types.js';

export type RecordingStatus = 'starting' | 'started' | 'stopped' | 'ready' | 'failed';

export interface RecordingRecord {
  id: string;
  name: string;
  sessionId: string;
  uniqueSessionId: string;
  createdAt: number;
  status: RecordingStatus;
  properties: RecordingProperties;
  size: number;
  duration: number;
  /** File name inside the recording's folder once ready (`name.mp4`, `name.webm`, `name.zip`). */
  file?: string;
  reason?: string;
  error?: string;
  /** Rebuilt at a start after the server died while it recorded (file `<name>.recovered.<ext>`). */
  recovered?: boolean;
}

/**
 * What the recording manager needs from the OpenVidu core. OpenViduCore implements it; the manager depends on this
 * interface only, so core.ts and the recording folder do not import each other.
 */
export interface RecordingHost {
  readonly log: Logger;
  readonly sessions: ReadonlyMap<string, Session>;
  /** Sends `recordingStatusChanged`. */
  recordingHook(session: Session | { id: string; uniqueSessionId: string }, extra: Record<string, unknown>): void;
  closeSession(session: Session, reason: 'automaticStop' | 'lastParticipantLeft' | 'recordingStoppedByServer'): Promise<void>;
}

/** A recorder produces one recording's file while its session runs (ComposedRecorder, IndividualRecorder). */
export interface Recorder {
  start(sources: RtpSource[]): Promise<void>;
  addSource(src: RtpSource): void;
  removeSource(streamId: string): void;
  stop(): Promise<RecorderResult>;
}

/** What a recorder factory is asked for: one recording, its folder and session, the server's settings. */
export interface RecorderRequest {
  record: Readonly<RecordingRecord>;
  /** The recording's folder (the file goes there). */
  dir: string;
  session: Session;
  ffmpegPath: string;
  /** Local address ffmpeg is fed on. */
  host: string;
  log: (msg: string, extra?: object) => void;
}

/** Makes the recorder of a recording that starts (RecordingManagerOptions.recorderFactory). */
export type RecorderFactory = (request: RecorderRequest) => Promise<Recorder>;
