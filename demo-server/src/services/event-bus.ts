/** One server-sent event. `id` is unique and increasing within this process. */
export interface BusEvent {
  id: number;
  type: 'clip' | 'clip-updated' | 'clip-deleted' | 'snapshot' | 'snapshot-deleted' | 'replay';
  data: unknown;
}

type Listener = (e: BusEvent) => void;

export interface EventBusOptions {
  /** Recent events kept per room for `Last-Event-ID` resumption (default 200). */
  historyPerRoom?: number;
  /** Rooms with a history, least recently active forgotten first (default 1000). */
  maxRooms?: number;
  /** Events kept over all rooms (default 20,000: a few MB). */
  maxEvents?: number;
  /** A room's history is forgotten this long after its last event (default 1 hour). */
  maxAgeMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface History {
  events: BusEvent[];
  /** When the last event was published. */
  at: number;
}

/**
 * Per-session fan-out of live events to SSE subscribers, with a short history so a client that reconnects with
 * `Last-Event-ID` gets what it missed. In-process: other instances learn of clips through OpenVidu signals and
 * webhooks, and a client resuming against another instance is told to resync (see `since`).
 *
 * Nothing grows with the number of rooms ever seen: a history is kept only for rooms someone listens to (a
 * reconnecting client is the only reader), it is forgotten when the room ends (`forget`, on OpenVidu's
 * `sessionDestroyed`), and in any case past `maxRooms`, `maxEvents` or `maxAgeMs`. A forgotten history is safe:
 * `since` then answers `undefined` and the client refetches its lists.
 */
export class EventBus {
  // Ids start at the boot time in ms, so ids from an earlier run of the server are always older than ours.
  private nextId = Date.now();
  private readonly listeners = new Map<string, Set<Listener>>();
  /** In least-recently-published order (a publish moves its room to the end). */
  private readonly history = new Map<string, History>();
  private eventCount = 0;
  private readonly historyPerRoom: number;
  private readonly maxRooms: number;
  private readonly maxEvents: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(opts: EventBusOptions = {}) {
    this.historyPerRoom = opts.historyPerRoom ?? 200;
    this.maxRooms = opts.maxRooms ?? 1000;
    this.maxEvents = Math.max(opts.maxEvents ?? 20_000, this.historyPerRoom);
    this.maxAgeMs = opts.maxAgeMs ?? 60 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  publish(sessionId: string, type: BusEvent['type'], data: unknown): BusEvent {
    const e: BusEvent = { id: this.nextId++, type, data };
    const now = this.now();
    this.expire(now);
    let h = this.history.get(sessionId);
    // No history and nobody listening: nobody can resume from this event, and skipping it still makes `since`
    // answer `resync` to an id older than it (the id was used).
    if (h || this.listeners.has(sessionId)) {
      if (h) this.history.delete(sessionId);
      else h = { events: [], at: now };
      h.events.push(e);
      this.eventCount++;
      if (h.events.length > this.historyPerRoom) {
        h.events.shift();
        this.eventCount--;
      }
      h.at = now;
      this.history.set(sessionId, h);
      for (const [id, old] of this.history) {
        if (this.history.size <= this.maxRooms && this.eventCount <= this.maxEvents) break;
        this.drop(id, old);
      }
    }
    for (const l of this.listeners.get(sessionId) ?? []) l(e);
    return e;
  }

  subscribe(sessionId: string, listener: Listener): () => void {
    const set = this.listeners.get(sessionId) ?? new Set();
    set.add(listener);
    this.listeners.set(sessionId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(sessionId) === set) this.listeners.delete(sessionId);
    };
  }

  /**
   * Events after `lastId`, or `undefined` when they cannot be known (the id is older than the history, came from
   * another process, or the history was forgotten): the client must then refetch its lists.
   */
  since(sessionId: string, lastId: number): BusEvent[] | undefined {
    this.expire(this.now());
    const h = this.history.get(sessionId)?.events ?? [];
    if (lastId >= this.nextId) return undefined; // from another process or a previous run
    if (h.length && lastId < h[0].id - 1) return undefined; // fell out of the history
    if (!h.length && lastId < this.nextId - 1) return undefined; // nothing kept for this session
    return h.filter((e) => e.id > lastId);
  }

  /** The room ended: its history is of no more use. Subscribers stay (they may outlive the room). */
  forget(sessionId: string): void {
    const h = this.history.get(sessionId);
    if (h) this.drop(sessionId, h);
  }

  subscriberCount(sessionId: string): number {
    return this.listeners.get(sessionId)?.size ?? 0;
  }

  /** Rooms with a history and the events kept, for monitoring. */
  stats(): { rooms: number; events: number } {
    return { rooms: this.history.size, events: this.eventCount };
  }

  private drop(sessionId: string, h: History): void {
    this.history.delete(sessionId);
    this.eventCount -= h.events.length;
  }

  /** Forget histories idle past maxAgeMs; the oldest are first in the map. */
  private expire(now: number): void {
    for (const [id, h] of this.history) {
      if (now - h.at <= this.maxAgeMs) break;
      this.drop(id, h);
    }
  }
}
