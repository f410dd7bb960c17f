import { Emitter } from '../emitter.js';
import type { OvError } from '../errors.js';
import { toOvError } from '../errors.js';
import { fetchJson, json, type ReadJson } from '../http.js';
import type { Clip, ClipShare } from '../types.js';
import { ClipStatusBook, KnownClips, withLatestEdit } from './clip-status.js';

export interface ClipsClientEvents {
  /** A clip was created or changed status. */
  clip: { clip: Clip };
  /**
   * A clip was renamed, trimmed or restored (by anyone, this client included), as the clip to show now; only for a
   * clip this client knows, and only for an edit newer than the last one it has. The status is the known one.
   */
  clipUpdated: { clip: Clip };
  clipDeleted: { id: string; sessionId: string };
  /** The whole list, after a (re)fetch. */
  clips: { clips: Clip[] };
  /** How live updates arrive now. */
  live: { mode: 'sse' | 'polling' | 'closed' };
  error: { error: OvError };
}

export interface ClipsClientOptions {
  /** Base URL of the reference server's API. Default `/api`. */
  api?: string;
  /** For tests / old browsers: the EventSource constructor; `null` forces polling. */
  EventSource?: typeof EventSource | null;
  fetch?: typeof fetch;
  /** Polling period when SSE is unavailable. Default 3000 ms. */
  pollMs?: number;
  /** SSE errors in a row (without an open in between) before falling back to polling. Default 3. */
  maxSseErrors?: number;
  /**
   * The access pass to send with each write (delete, rename, trim, restore, share, start, stop) as
   * `Authorization: Bearer <access>`, asked for at each one (e.g. a room's `access`, which comes and goes with its
   * joins). None: nothing extra is sent. Reads never carry it.
   */
  access?: () => string | undefined;
}

/**
 * REST client for a session's clips, plus live updates: SSE (`/sessions/:id/events`) with the browser's own
 * reconnection, falling back to polling the list when EventSource is missing or keeps failing.
 */
export class ClipsClient {
  readonly api: string;
  readonly session: string;
  #events = new Emitter<ClipsClientEvents>();
  /** None: the page's `fetch`, looked up at each call (tests replace it). */
  #fetch?: typeof fetch;
  #ES: typeof EventSource | null;
  #pollMs: number;
  #maxSseErrors: number;
  #access?: () => string | undefined;
  #es?: EventSource;
  #pollTimer?: ReturnType<typeof setTimeout>;
  #sseErrors = 0;
  #closed = false;
  #started = false;
  /** Aborted by close(): the lists it fetches on its own. */
  #abort = new AbortController();
  /** Every clip's last status: each change is reported once, and never backwards. */
  #book = new ClipStatusBook();
  /** The clips listed or announced, and not deleted since. */
  #present = new Set<string>();
  /** Every clip's last version, with its newest edit. */
  #known = new KnownClips();

  constructor(session: string, options: ClipsClientOptions = {}) {
    this.session = session;
    this.api = (options.api ?? '/api').replace(/\/$/, '');
    this.#fetch = options.fetch;
    this.#ES = options.EventSource === undefined ? (typeof EventSource === 'function' ? EventSource : null) : options.EventSource;
    this.#pollMs = options.pollMs ?? 3000;
    this.#maxSseErrors = options.maxSseErrors ?? 3;
    this.#access = options.access;
  }

  on<K extends keyof ClipsClientEvents>(event: K, fn: (e: ClipsClientEvents[K]) => void): () => void {
    return this.#events.on(event, fn);
  }

  get liveMode(): 'sse' | 'polling' | 'closed' | 'idle' {
    if (this.#closed) return 'closed';
    if (this.#es) return 'sse';
    if (this.#pollTimer !== undefined) return 'polling';
    return 'idle';
  }

  #request<T>(path: string, init: RequestInit = {}, read?: ReadJson<T>): Promise<T> {
    return fetchJson(`${this.api}${path}`, init, { code: 'CLIP_FAILED', fetch: this.#fetch, access: this.#access?.() }, read);
  }

  #sessionPath(suffix: string) {
    return `/sessions/${encodeURIComponent(this.session)}${suffix}`;
  }

  /** The session's clips, newest first. `signal` aborts the request (NETWORK), as for start() and stop(). */
  async list(signal?: AbortSignal): Promise<Clip[]> {
    return (await this.#request<{ clips: Clip[] }>(this.#sessionPath('/clips'), { signal })).clips;
  }

  start(name?: string, signal?: AbortSignal): Promise<Clip> {
    return this.#request<Clip>(this.#sessionPath('/clips'), json('POST', name ? { name } : {}, signal));
  }

  stop(id: string, signal?: AbortSignal): Promise<Clip> {
    return this.#request<Clip>(`/clips/${encodeURIComponent(id)}/stop`, { method: 'POST', signal });
  }

  get(id: string): Promise<Clip> {
    return this.#request<Clip>(`/clips/${encodeURIComponent(id)}`);
  }

  async delete(id: string): Promise<void> {
    await this.#request(`/clips/${encodeURIComponent(id)}`, { method: 'DELETE' }, () => true);
  }

  mediaUrl(id: string): string {
    return `${this.api}/clips/${encodeURIComponent(id)}/media`;
  }

  /** The media as a download (`Content-Disposition: attachment`, a file name from the clip's name). */
  downloadUrl(id: string): string {
    return `${this.mediaUrl(id)}?download=1`;
  }

  /** Renames a clip (1–100 characters); `clipUpdated` follows at once. */
  rename(id: string, name: string, signal?: AbortSignal): Promise<Clip> {
    return this.#edit(`/clips/${encodeURIComponent(id)}`, 'PATCH', { name }, signal);
  }

  /**
   * Serves only `start`–`end` (seconds of the original) of the clip's media; the original is kept. The answer's
   * `trim` is the range obtained (cut at the keyframe at or before `start`). `clipUpdated` follows at once.
   */
  trim(id: string, start: number, end: number, signal?: AbortSignal): Promise<Clip> {
    return this.#edit(`/clips/${encodeURIComponent(id)}/trim`, 'POST', { start, end }, signal);
  }

  /** Undoes a trim: the whole recording again. `clipUpdated` follows at once. */
  restore(id: string, signal?: AbortSignal): Promise<Clip> {
    return this.#edit(`/clips/${encodeURIComponent(id)}/trim`, 'DELETE', undefined, signal);
  }

  /** A signed link to a public watch page of the clip, valid `expiresIn` seconds (default: the server's, 7 days). */
  share(id: string, expiresIn?: number, signal?: AbortSignal): Promise<ClipShare> {
    return this.#request<ClipShare>(`/clips/${encodeURIComponent(id)}/share`, json('POST', expiresIn === undefined ? {} : { expiresIn }, signal));
  }

  /** Every link shared for the clip stops working. */
  async revokeShares(id: string, signal?: AbortSignal): Promise<void> {
    await this.#request(`/clips/${encodeURIComponent(id)}/share`, { method: 'DELETE', signal }, () => true);
  }

  /** An edit's answer is news like any other (the same rule): whichever of it and the live echo comes first tells. */
  async #edit(path: string, method: string, body: object | undefined, signal?: AbortSignal): Promise<Clip> {
    const clip = await this.#request<Clip>(path, body ? json(method, body, signal) : { method, signal });
    if (!this.#closed) this.#edited(clip, true);
    return clip;
  }

  /** Starts live updates (idempotent): fetches the list once, then SSE, or polling as a fallback. */
  subscribe(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    // A failure is reported as an `error` event (and retried by polling or a resync).
    this.refresh().catch(() => undefined);
    if (this.#ES) this.#openSse();
    else this.#startPolling();
  }

  /** Fetches the list, emits `clips`, and `clip` for every change since the last look. */
  async refresh(): Promise<Clip[]> {
    try {
      // Only a clip known before the list was asked for can be missing from it: one announced meanwhile is not.
      const known = [...this.#present];
      const clips = await this.list(this.#abort.signal);
      if (this.#closed) return clips;
      const ids = new Set(clips.map((c) => c.id));
      for (const id of known) if (!ids.has(id) && this.#present.has(id)) this.#deleted(id, this.session);
      for (const clip of clips) this.#noteClip(clip);
      // Each as known: a list asked for before the latest news (a status, an edit) does not undo it.
      const shown = clips.map((c) => withLatestEdit(c, this.#known.get(c.id)));
      this.#events.emit('clips', { clips: shown });
      return shown;
    } catch (err) {
      const error = toOvError(err, 'NETWORK');
      if (!this.#closed) this.#events.emit('error', { error });
      throw error;
    }
  }

  /** Status news, which may carry an edit too (a list polled after a rename). */
  #noteClip(clip: Clip) {
    const edited = this.#known.update(clip);
    if (this.#book.advance(clip.id, clip.status, clip.createdAt)) {
      this.#present.add(clip.id);
      this.#events.emit('clip', { clip: this.#known.note(clip) });
    }
    if (edited) this.#events.emit('clipUpdated', { clip: this.#known.get(clip.id) ?? edited });
  }

  /** An edit: news only for a clip known (`own`: our own call's answer, news for any clip not known yet). */
  #edited(clip: Clip, own = false) {
    const next = this.#known.update(clip, own);
    if (next) this.#events.emit('clipUpdated', { clip: next });
  }

  #deleted(id: string, sessionId: string) {
    this.#present.delete(id);
    this.#known.delete(id);
    if (this.#book.advance(id, 'deleted')) this.#events.emit('clipDeleted', { id, sessionId });
  }

  #openSse() {
    const es = new this.#ES!(`${this.api}${this.#sessionPath('/events')}`);
    this.#es = es;
    this.#events.emit('live', { mode: 'sse' });
    const parse = (e: Event) => {
      try {
        return JSON.parse((e as MessageEvent).data as string) as unknown;
      } catch {
        return undefined;
      }
    };
    es.addEventListener('open', () => {
      // Anything missed while disconnected is replayed (Last-Event-ID) or announced with `resync`.
      this.#sseErrors = 0;
    });
    es.addEventListener('clip', (e) => {
      const clip = parse(e) as Clip | undefined;
      if (clip?.id) this.#noteClip(clip);
    });
    es.addEventListener('clip-updated', (e) => {
      const clip = parse(e) as Clip | undefined;
      if (clip?.id) this.#edited(clip);
    });
    es.addEventListener('clip-deleted', (e) => {
      const d = parse(e) as { id?: string; sessionId?: string } | undefined;
      if (d?.id) this.#deleted(d.id, d.sessionId ?? this.session);
    });
    es.addEventListener('resync', () => void this.refresh().catch(() => undefined));
    es.addEventListener('error', () => {
      this.#sseErrors += 1;
      // CLOSED: the browser gave up (e.g. a non-200 answer); repeated errors: a proxy that breaks streams.
      if (es.readyState === 2 || this.#sseErrors >= this.#maxSseErrors) {
        es.close();
        this.#es = undefined;
        this.#startPolling();
      }
    });
  }

  #startPolling() {
    if (this.#closed || this.#pollTimer !== undefined) return;
    this.#events.emit('live', { mode: 'polling' });
    const tick = () => {
      this.#pollTimer = setTimeout(() => {
        void this.refresh()
          .catch(() => undefined)
          .finally(() => {
            if (!this.#closed) tick();
          });
      }, this.#pollMs);
    };
    tick();
  }

  /** Stops live updates and removes every listener. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.#es?.close();
    this.#es = undefined;
    if (this.#pollTimer !== undefined) clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    this.#events.emit('live', { mode: 'closed' });
    this.#events.clear();
  }
}
