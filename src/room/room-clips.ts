import { ClipStatusBook, KnownClips } from '../clips/clip-status.js';
import { ClipsClient } from '../clips/clips-client.js';
import type { Emitter } from '../emitter.js';
import { OvError } from '../errors.js';
import { fetchJson, json } from '../http.js';
import type { Clip, Replay } from '../types.js';
import type { LiveRoomEvents } from './room-api.js';

/** An `ov-clip`, `ov-clip-updated` or `ov-clip-deleted` signal; `from` is the participant who sent it, none for the server. */
export interface ClipSignal {
  data: string;
  from?: unknown;
}

/** `v` as a Replay of `session` when it has a Replay's shape (the server's word, checked all the same), else undefined. */
export function readReplay(v: unknown, session: string | undefined): Replay | undefined {
  const { sessionId, state, seconds, held } = (v ?? {}) as Replay;
  const n = (x: number) => x === +x && x >= 0 && x < 1e6; // a number, not a string or NaN
  if (sessionId === session && ['off', 'starting', 'on'].includes(state) && n(seconds) && n(held)) return { sessionId, state, seconds, held };
}

export interface Recording {
  active: boolean;
  startedAt?: number;
  clip?: Clip;
}

/**
 * A room's clips: starts and stops them on the reference server, and turns every piece of clip news (our own calls,
 * the server's signals, its list) into the room's events, each status once and never backwards. Follows the room's
 * replay buffer too, which clips are cut from: asked for (when joined with `replay`) or read once live, read again
 * after a reconnection, then told by the server's `ov-replay` signals. Not learning it (a server without replay, 403,
 * 409 REPLAY_OFF, no network) leaves it null: no buffer, and no error.
 */
export class RoomClips {
  readonly #book = new ClipStatusBook();
  /** The last edit passed on per clip: an edit is passed on once, and never one older than it. */
  readonly #edits = new KnownClips();
  readonly #api: string;
  readonly #events: Emitter<LiveRoomEvents>;
  #rest?: ClipsClient;
  #recording: Recording = { active: false };
  #replay: Replay | null = null;
  /** The next sync asks for a buffer (once per join: a reconnection only reads). */
  #startReplay = false;
  /** Replay signals so far: the answer to a request sent before one of them is older news. */
  #replayNews = 0;
  /** The camera connection's access pass (from its token's answer), sent on every write; none once left. */
  access?: string;

  constructor(api: string, events: Emitter<LiveRoomEvents>) {
    this.#api = api;
    this.#events = events;
  }

  /** A copy. */
  get recording(): Recording {
    return { ...this.#recording };
  }

  /** A copy. */
  get replay(): Replay | null {
    return this.#replay && { ...this.#replay };
  }

  /** A new join (in `session`, asking for a replay buffer when `replay`), or none: nothing recording, no clip known. */
  reset(session?: string, replay = false) {
    this.access = undefined;
    this.#startReplay = replay;
    this.#setReplay(null);
    this.#book.clear();
    this.#edits.clear();
    this.#recording = { active: false };
    if (session) this.#rest = new ClipsClient(session, { api: this.#api, access: () => this.access });
  }

  async start(name: string | undefined, signal: AbortSignal): Promise<Clip> {
    const clip = await this.#rest!.start(name, signal);
    this.onClip(clip);
    return clip;
  }

  /** A clip of the last `seconds` (default: all the server gives), refused here unless the buffer is on. */
  async replayClip(seconds: number | undefined, name: string | undefined, signal: AbortSignal): Promise<Clip> {
    const replay = this.#replay;
    if (replay?.state !== 'on') throw new OvError('REPLAY_OFF', 'Replay is off');
    const clip = await this.#replayApi<Clip>('/clips', json('POST', { replaySeconds: seconds ?? replay.seconds, name }, signal));
    this.onClip(clip);
    return clip;
  }

  async stop(signal: AbortSignal): Promise<Clip> {
    const id = this.#recording.clip?.id ?? (await this.#rest!.list(signal)).find((c) => c.status === 'recording')?.id;
    if (!id) throw new OvError('CLIP_FAILED', 'No clip is recording');
    const clip = await this.#rest!.stop(id, signal);
    this.onClip(clip);
    return clip;
  }

  /** Someone may have started a clip (or the buffer) before we joined, or while we reconnected: ask the server. */
  async sync(signal: AbortSignal) {
    void this.#syncReplay(signal);
    try {
      const clips = await this.#rest!.list(signal);
      if (signal.aborted) return;
      const id = this.#recording.active && this.#recording.clip?.id;
      const clip = clips.find((c) => c.status === 'recording') ?? clips.find((c) => c.id === id);
      if (clip) this.onClip(clip);
    } catch {
      /* the indicator is a nicety: signals still arrive */
    }
  }

  async #syncReplay(signal: AbortSignal) {
    const news = this.#replayNews;
    const start = this.#startReplay;
    this.#startReplay = false;
    try {
      const replay = await this.#replayApi('/replay', { method: start ? 'POST' : undefined, signal }, (b) => readReplay(b, this.#rest!.session));
      if (news === this.#replayNews && !signal.aborted) this.#setReplay(replay);
    } catch (err) {
      if (start && !signal.aborted) console.info(`ov-live-room: no replay buffer: ${(err as Error).message}`);
    }
  }

  /** A request to the session's API; the server's replay codes (REPLAY_OFF, REPLAY_EMPTY) are kept as they are. */
  #replayApi<T>(path: string, init: RequestInit, read?: (body: unknown) => T | undefined): Promise<T> {
    const url = `${this.#api}/sessions/${encodeURIComponent(this.#rest!.session)}${path}`;
    return fetchJson(url, init, { code: 'CLIP_FAILED', server: ['REPLAY_OFF', 'REPLAY_EMPTY'], access: this.access }, read);
  }

  #setReplay(replay: Replay | null) {
    if (JSON.stringify(replay) === JSON.stringify(this.#replay)) return;
    this.#replay = replay;
    this.#events.emit('replayChange', { replay: this.replay });
  }

  /** Every clip change, from our own calls, signals or the server's list; each id+status is reported once. */
  onClip(clip: Clip) {
    if (!clip?.id) return;
    const prev = this.#book.get(clip.id);
    // Late news never moves a clip backwards (a `recording` signal after our own `processing`).
    if (!this.#book.advance(clip.id, clip.status, clip.createdAt)) return;
    const events = this.#events;
    const wasRecordingThis = this.#recording.active && this.#recording.clip?.id === clip.id;
    if (clip.status === 'recording') {
      this.#recording = { active: true, startedAt: clip.createdAt, clip };
      events.emit('clipStarted', { clip });
      events.emit('recordingChange', { recording: true, startedAt: clip.createdAt, clip });
      return;
    }
    if (wasRecordingThis || prev === 'recording' || !prev) {
      if (wasRecordingThis) {
        this.#recording = { active: false };
        events.emit('recordingChange', { recording: false, clip });
      }
      if (prev !== 'processing' && clip.status !== 'failed') events.emit('clipStopped', { clip });
    }
    if (clip.status === 'ready') events.emit('clipReady', { clip });
    if (clip.status === 'failed') events.emit('clipFailed', { clip });
  }

  /** The session's handlers of the clip signals. */
  signals(): Record<string, (e: ClipSignal) => void> {
    return {
      'signal:ov-clip': (e) => this.signal(e, (d) => this.onClip(d)),
      'signal:ov-clip-deleted': (e) => this.signal(e, (d) => this.deleted(d.id, d.sessionId)),
      'signal:ov-clip-updated': (e) => this.signal(e, (d) => this.updated(d)),
      // Only the server's, as for clips: a participant's would show everyone a buffer that is not there (or hide one).
      'signal:ov-replay': (e) => this.signal(e, (d) => this.#onReplay(readReplay(d, this.#rest?.session))),
    };
  }

  /**
   * A clip (or replay) signal counts only when the server sent it (no `from`): any participant may send a signal, and a forged
   * one must not put a clip into everyone's list, nor rename one.
   */
  signal<T = Clip>(e: ClipSignal, then: (data: T) => void) {
    if (e.from) return;
    let data: T | undefined;
    try {
      data = JSON.parse(e.data) as T;
    } catch {
      return; // not JSON
    }
    if (data && typeof data === 'object') then(data);
  }

  /** The server's news of the buffer (when it has a Replay's shape and names this room). */
  #onReplay(replay?: Replay) {
    if (!replay) return;
    this.#replayNews++;
    this.#setReplay(replay);
  }

  /**
   * A clip was renamed, trimmed or restored. The room lists no clips: every first edit of a clip is passed on (the
   * lists judge it against theirs), later ones only when newer; as the server sent it (its status is the latest).
   */
  updated(clip: Clip) {
    if (this.#edits.update(clip, true)) this.#events.emit('clipUpdated', { clip });
  }

  /** A clip was deleted: final, announced once. */
  deleted(id: string, sessionId: string) {
    if (id && this.#book.advance(id, 'deleted')) this.#events.emit('clipDeleted', { id, sessionId });
  }
}
