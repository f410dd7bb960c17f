/** One server-sent event. `id` is unique and increasing within this process. */
export interface BusEvent {
  id: number;
  type: 'clip' | 'clip-deleted' | 'snapshot' | 'snapshot-deleted';
  data: unknown;
}

type Listener = (e: BusEvent) => void;

/** How many recent events per session are kept for `Last-Event-ID` resumption. */
const HISTORY = 200;

/**
 * Per-session fan-out of live events to SSE subscribers, with a short history so a client that reconnects with
 * `Last-Event-ID` gets what it missed. In-process: other instances learn of clips through OpenVidu signals and
 * webhooks, and a client resuming against another instance is told to resync (see `since`).
 */
export class EventBus {
  // Ids start at the boot time in ms, so ids from an earlier run of the server are always older than ours.
  private nextId = Date.now();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly history = new Map<string, BusEvent[]>();

  publish(sessionId: string, type: BusEvent['type'], data: unknown): BusEvent {
    const e: BusEvent = { id: this.nextId++, type, data };
    const h = this.history.get(sessionId) ?? [];
    h.push(e);
    if (h.length > HISTORY) h.splice(0, h.length - HISTORY);
    this.history.set(sessionId, h);
    for (const l of this.listeners.get(sessionId) ?? []) l(e);
    return e;
  }

  subscribe(sessionId: string, listener: Listener): () => void {
    const set = this.listeners.get(sessionId) ?? new Set();
    set.add(listener);
    this.listeners.set(sessionId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(sessionId);
    };
  }

  /**
   * Events after `lastId`, or `undefined` when they cannot be known (the id is older than the history or came
   * from another process): the client must then refetch its lists.
   */
  since(sessionId: string, lastId: number): BusEvent[] | undefined {
    const h = this.history.get(sessionId) ?? [];
    if (lastId >= this.nextId) return undefined; // from another process or a previous run
    if (h.length && lastId < h[0].id - 1) return undefined; // fell out of the history
    if (!h.length && lastId < this.nextId - 1) return undefined; // nothing kept for this session
    return h.filter((e) => e.id > lastId);
  }

  subscriberCount(sessionId: string): number {
    return this.listeners.get(sessionId)?.size ?? 0;
  }
}
