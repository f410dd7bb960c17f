import { ClipStatusBook, KnownClips } from '../clips/clip-status.js';
import { ClipsClient } from '../clips/clips-client.js';
import type { Emitter } from '../emitter.js';
import { OvError } from '../errors.js';
import type { Clip } from '../types.js';
import type { LiveRoomEvents } from './room-api.js';

/** An `ov-clip`, `ov-clip-updated` or `ov-clip-deleted` signal; `from` is the participant who sent it, none for the server. */
export interface ClipSignal {
  data: string;
  from?: unknown;
}

export interface Recording {
  active: boolean;
  startedAt?: number;
  clip?: Clip;
}

/**
 * A room's clips: starts and stops them on the reference server, and turns every piece of clip news (our own calls,
 * the server's signals, its list) into the room's events, each status once and never backwards.
 */
export class RoomClips {
  readonly #book = new ClipStatusBook();
  /** The last edit passed on per clip: an edit is passed on once, and never one older than it. */
  readonly #edits = new KnownClips();
  readonly #api: string;
  readonly #events: Emitter<LiveRoomEvents>;
  #rest?: ClipsClient;
  #recording: Recording = { active: false };

  constructor(api: string, events: Emitter<LiveRoomEvents>) {
    this.#api = api;
    this.#events = events;
  }

  /** A copy. */
  get recording(): Recording {
    return { ...this.#recording };
  }

  /** A new join (in `session`), or none: nothing recording, no clip known. */
  reset(session?: string) {
    this.#book.clear();
    this.#edits.clear();
    this.#recording = { active: false };
    if (session) this.#rest = new ClipsClient(session, { api: this.#api });
  }

  async start(name: string | undefined, signal: AbortSignal): Promise<Clip> {
    const clip = await this.#rest!.start(name, signal);
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

  /** Someone may have started a clip before we joined (or while we reconnected): ask the server. */
  async sync(signal: AbortSignal) {
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
    };
  }

  /**
   * A clip signal counts only when the server sent it (no `from`): any participant may send a signal, and a forged
   * one must not put a clip into everyone's list, nor rename one.
   */
  signal(e: ClipSignal, then: (clip: Clip) => void) {
    if (e.from) return;
    let clip: Clip | undefined;
    try {
      clip = JSON.parse(e.data) as Clip;
    } catch {
      return; // not a clip
    }
    if (clip && typeof clip === 'object') then(clip);
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
