import type { OvError } from '../errors.js';
import type { CaptureOptions, Clip, ParticipantInfo, Replay, Role, RoomState, StreamInfo, TokenProvider } from '../types.js';

/** What LiveRoom emits (core callbacks; the elements turn them into `ov-*` DOM events). */
export interface LiveRoomEvents {
  stateChange: { state: RoomState; previous: RoomState };
  joined: { connectionId: string; session: string };
  /**
   * This participant left: `leave()` (reason `leave`), or the server ended the connection (forced out, session
   * closed). A lost network is not a leave: the state goes to `error` with an `error` event (code `NETWORK`), and
   * no `left` follows.
   */
  left: { reason: string };
  participantJoined: { participant: ParticipantInfo };
  participantLeft: { participant: ParticipantInfo; reason: string };
  /** Anything visible changed: participants, their streams, mute state, speaking. */
  participantsChanged: { participants: ParticipantInfo[] };
  /** A clip started or stopped in the session (by anyone: everyone sees the recording indicator). */
  recordingChange: { recording: boolean; startedAt?: number; clip?: Clip };
  clipStarted: { clip: Clip };
  clipStopped: { clip: Clip };
  clipReady: { clip: Clip };
  clipFailed: { clip: Clip };
  /**
   * A clip was renamed, trimmed or restored (`clip.trim` absent after a restore), as the server sent it. Apply it
   * with `applyClipUpdate`: only to the same clip (id and `createdAt`), only when newer (`updatedAt`).
   */
  clipUpdated: { clip: Clip };
  clipDeleted: { id: string; sessionId: string };
  /** The room's replay buffer changed (off / starting / on), or is no longer known (`null`, e.g. after leaving). */
  replayChange: { replay: Replay | null };
  screenShareStarted: { stream: StreamInfo };
  screenShareStopped: Record<string, never>;
  error: { error: OvError };
}

export interface JoinOptions {
  session: string;
  name?: string;
  role?: Role;
  /** Join with the microphone / camera off (still published, muted). */
  audio?: boolean;
  video?: boolean;
  /**
   * Ask the server for a replay buffer once live (`POST …/replay`). Without it the room still reads the buffer's
   * state and follows it. A server that has replay off (409 `REPLAY_OFF`) leaves `replay` null, with a console hint.
   */
  replay?: boolean;
}

export interface LiveRoomOptions {
  tokenProvider: TokenProvider;
  /** Base URL of the reference server's API (clips, snapshots). Default `/api`. */
  api?: string;
  /** For tests: an OpenVidu constructor with openvidu-browser's shape. */
  OpenVidu?: new () => unknown;
}

/**
 * The room controller around openvidu-browser: state machine idle → joining → live → reconnecting → left | error.
 * Verbs reject with OvError; failures no call caused come out as `error` events.
 */
export interface LiveRoomApi {
  readonly state: RoomState;
  readonly session?: string;
  readonly participants: readonly ParticipantInfo[];
  readonly local?: ParticipantInfo;
  readonly recording: { active: boolean; startedAt?: number; clip?: Clip };
  readonly screenSharing: boolean;
  /** The room's replay buffer as the server last told (`replayChange` on each change); null when it told nothing. */
  readonly replay: Replay | null;
  /**
   * The access pass the camera token came with, if the server gave one: the room sends it on its writes
   * (`Authorization: Bearer …`), and elements linked to the room send it on theirs. Cleared on leaving, replaced on
   * each join.
   */
  readonly access?: string;
  /**
   * How many participants watch only (role `subscriber`, no stream), this one included. They are in `participants`
   * too: every connection that can receive media is listed.
   */
  readonly watching: number;
  on<K extends keyof LiveRoomEvents>(event: K, fn: (e: LiveRoomEvents[K]) => void): () => void;
  /**
   * Resolves once live (camera published for a publisher). Rejects with the OvError that failed it (the state is
   * then `error` and an `error` event fired too), or with `JOIN_CANCELLED` when `leave()` ran meanwhile (no `error`
   * event: the caller asked for it).
   */
  join(options: JoinOptions): Promise<void>;
  /** Leaves, stops every track, closes every connection (camera and screen). Safe to call twice. */
  leave(): Promise<void>;
  setAudio(on: boolean): void;
  setVideo(on: boolean): void;
  /** Screen shared through a second connection so others see camera and screen at once. */
  startScreenShare(): Promise<void>;
  stopScreenShare(): Promise<void>;
  startClip(name?: string): Promise<Clip>;
  stopClip(): Promise<Clip>;
  /**
   * A clip of the room's last `seconds` (default `replay.seconds`; more than the buffer holds gives what it holds),
   * named `name`. Rejects with `REPLAY_OFF` unless `replay.state` is `on`, `REPLAY_EMPTY` when nothing is held yet.
   * The clip then arrives like any other (`clipReady`).
   */
  clipReplay(seconds?: number, name?: string): Promise<Clip>;
  captureSnapshot(options?: CaptureOptions): Promise<Blob>;
}
