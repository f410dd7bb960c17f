/// <reference lib="dom" />
// The DOM's types (MediaStream below): the server build, compiled without the DOM lib, reads this file too (through
// src/clips/clip-status.ts, the clip ordering rule it shares).
// Public types of the framework-agnostic core. The Lit elements (components/) and host pages build on these.
// DTOs mirror the reference server's schemas (demo-server/src/schemas).

export type RoomState = 'idle' | 'joining' | 'live' | 'reconnecting' | 'left' | 'error';
export type Role = 'publisher' | 'subscriber';

export interface TokenRequest {
  session: string;
  name: string;
  role: Role;
  /** `camera` to join; `screen` for the second connection of a screen share. LiveRoom always sets it (absent: camera). */
  kind?: 'camera' | 'screen';
  /** For `screen`: the `screenGrant` the camera token came with, if any. */
  screenGrant?: string;
  /**
   * Aborted when the token is no longer wanted (`leave()` during the join or the screen share's start): pass it to
   * `fetch`. LiveRoom always sets it; `endpointTokenProvider` uses it.
   */
  signal?: AbortSignal;
}

/**
 * A token, with what the server gave along with it: the screen grant and the access pass.
 */
export interface TokenAnswer {
  token: string;
  /**
   * When the camera token came with one: sent back for the screen token, it lets the server link the screen-share
   * connection to its owner (server data `screenOf`); without it the screen shows as a participant of its own.
   */
  screenGrant?: string;
  /**
   * The server's access pass for this participant (a server that trusts a backend to mint tokens gives one): sent as
   * `Authorization: Bearer <access>` on the room's writes (clips, replay, snapshots), and by the elements linked to
   * the room. Kept for the camera connection only, until it leaves.
   */
  access?: string;
}

/**
 * Full control over how a token is obtained (auth headers, another backend…). Resolves to an OpenVidu token, or to
 * `{token, screenGrant?, access?}` (a backend's answer passed on as it is).
 */
export type TokenProvider = (request: TokenRequest) => Promise<string | TokenAnswer>;

export type OvErrorCode =
  | 'TOKEN_FAILED' // the token endpoint or provider failed (HTTP status in `status`)
  | 'CONNECT_FAILED' // openvidu-browser could not join with the token
  | 'BROWSER_NOT_SUPPORTED'
  | 'INSECURE_CONTEXT' // a publisher on a page that is neither HTTPS nor localhost: no camera API
  | 'DEVICE_ACCESS_DENIED' // camera/microphone permission refused
  | 'DEVICE_NOT_FOUND'
  | 'SCREEN_SHARE_FAILED'
  | 'SCREEN_SHARE_CANCELLED'
  | 'NOT_CONNECTED' // a verb that needs a live room was called before join
  | 'PERMISSION_DENIED' // e.g. a subscriber tried to publish
  | 'CLIP_FAILED'
  | 'SNAPSHOT_FAILED'
  | 'NETWORK'
  | 'INVALID_SESSION' // the session attribute is not a valid room id
  | 'JOIN_CANCELLED' // leave() (or removing the element) while join() was under way: join() rejects with it
  | 'REPLAY_OFF' // clipReplay() in a room whose replay buffer is not on (the server's code, or refused locally)
  | 'REPLAY_EMPTY' // clipReplay() before the buffer holds anything (the server's code)
  | 'UNKNOWN';

/** A video stream in the room: camera or screen, local or remote. */
export interface StreamInfo {
  streamId: string;
  connectionId: string;
  kind: 'camera' | 'screen';
  isLocal: boolean;
  hasAudio: boolean;
  hasVideo: boolean;
  audioActive: boolean;
  videoActive: boolean;
  /** Attach with `video.srcObject = mediaStream`. Undefined until media flows. */
  mediaStream?: MediaStream;
}

/** Someone in the room (one OpenVidu connection; a screen share's second connection is folded into its owner). */
export interface ParticipantInfo {
  /** The camera connection's id. */
  id: string;
  name: string;
  isLocal: boolean;
  role: Role;
  speaking: boolean;
  /** Camera first, then screen. */
  streams: StreamInfo[];
}

export type ClipStatus = 'recording' | 'processing' | 'ready' | 'failed';

export interface Clip {
  id: string;
  sessionId: string;
  name: string;
  status: ClipStatus;
  createdAt: number;
  duration: number;
  size: number;
  hasAudio: boolean;
  hasVideo: boolean;
  mediaUrl: string;
  thumbnailUrl: string;
  error?: string;
  /** Rebuilt after the server stopped abruptly while recording. */
  recovered?: true;
  /**
   * Set while the clip is trimmed: the range of the original (seconds) that its media now serves. `start` is the
   * keyframe at or before the requested in point; `duration` is then `end - start`.
   */
  trim?: { start: number; end: number };
  /** The untrimmed recording's duration, seconds (only while trimmed). */
  originalDuration?: number;
  /** Last rename, trim or restore, ms since the epoch; absent for a clip never edited. Newer edits win. */
  updatedAt?: number;
}

/**
 * A room's replay buffer, as the reference server reports it (`GET /api/sessions/:id/replay`, `ov-replay` signals).
 * While `on`, the last `seconds` of the room can be clipped (`clipReplay`); `held` is what is held right now.
 */
export interface Replay {
  sessionId: string;
  state: 'off' | 'starting' | 'on';
  /** The longest replay the server gives (0 when it has replay off). */
  seconds: number;
  /** Content seconds that can be clipped right now (0..seconds): read at join, not kept up to date. */
  held: number;
}

/** A signed, expiring link to a clip's public watch page. */
export interface ClipShare {
  clipId: string;
  /** Absolute URL of the watch page. */
  url: string;
  /** When the link stops working, ms since the epoch. */
  expiresAt: number;
}

export interface Snapshot {
  id: string;
  sessionId: string;
  name: string;
  streamId: string;
  contentType: 'image/jpeg' | 'image/png' | 'image/webp';
  size: number;
  width: number;
  height: number;
  createdAt: number;
  url: string;
}

export type SnapshotFormat = 'image/jpeg' | 'image/png' | 'image/webp';

export interface CaptureOptions {
  /** `local` (default), `active` (current speaker) or a stream id. */
  source?: 'local' | 'active' | string;
  format?: SnapshotFormat;
  /** 0–1 for JPEG/WebP. Default 0.92. */
  quality?: number;
}
