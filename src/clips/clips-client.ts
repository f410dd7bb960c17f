import { Emitter } from '../emitter.js';
import type { OvError } from '../errors.js';
import { toOvError } from '../errors.js';
import { fetchJson, type ReadJson } from '../http.js';
import type { Clip } from '../types.js';
import { ClipStatusBook } from './clip-status.js';

export interface ClipsClientEvents {
  /** A clip was created or changed status. */
  clip: { clip: Clip };
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
}

/**
 * REST client for a session's clips, plus live updates: SSE (`/sessions/:id/events`) with the browser's own
 * reconnection, falling back to polling the list when EventSource is missing or keeps failing.
 */
export class ClipsClient {
  readonly api: string;
  readonly session: string;
  #events = new Emitter<ClipsClientEvents>();
  #fetch: typeof fetch;
  #ES: typeof EventSource | null;
  #pollMs: number;
  #maxSseErrors: number;
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

  constructor(session: string, options: ClipsClientOptions = {}) {
    this.session = session;
    this.api = (options.api ?? '/api').replace(/\/$/, '');
    this.#fetch = options.fetch ?? ((...a) => fetch(...a));
    this.#ES = options.EventSource === undefined ? (typeof EventSource === 'function' ? EventSource : null) : options.EventSource;
    this.#pollMs = options.pollMs ?? 3000;
    this.#maxSseErrors = options.maxSseErrors ?? 3;
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
    return fetchJson(`${this.api}${path}`, init, { code: 'CLIP_FAILED', fetch: this.#fetch }, read);
  }

  #sessionPath(suffix: string) {
    return `/sessions/${encodeURIComponent(this.session)}${suffix}`;
  }

  /** The session's clips, newest first. `signal` aborts the request (NETWORK), as for start() and stop(). */
  async list(signal?: AbortSignal): Promise<Clip[]> {
    return (await this.#request<{ clips: Clip[] }>(this.#sessionPath('/clips'), { signal })).clips;
  }

  start(name?: string, signal?: AbortSignal): Promise<Clip> {
    return this.#request<Clip>(this.#sessionPath('/clips'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(name ? { name } : {}),
      signal,
    });
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
      this.#events.emit('clips', { clips });
      return clips;
    } catch (err) {
      const error = toOvError(err, 'NETWORK');
      if (!this.#closed) this.#events.emit('error', { error });
      throw error;
    }
  }

  #noteClip(clip: Clip) {
    if (!this.#book.advance(clip.id, clip.status, clip.createdAt)) return;
    this.#present.add(clip.id);
    this.#events.emit('clip', { clip });
  }

  #deleted(id: string, sessionId: string) {
    this.#present.delete(id);
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
