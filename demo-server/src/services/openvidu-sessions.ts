// The gateway's cache of rooms' Sessions (its second layer, see openvidu-gateway.ts): a token costs one call to
// OpenVidu, and the node client's recording calls find the room in its list.
import { Recording, RecordingMode, Session } from 'openvidu-node-client';
import type { GatewayOptions } from './openvidu-gateway.js';
import { OpenViduRest } from './openvidu-rest.js';

interface CachedSession {
  pending: Promise<Session>;
  /** Once created. */
  session?: Session;
  usedAt: number;
}

export abstract class OpenViduSessions extends OpenViduRest {
  /**
   * Session objects are kept so a token costs one call to OpenVidu (its connection), not two. One creation at a
   * time per room. In least-recently-used order; bounded by count and idle time, and a room is forgotten when it
   * ends (`sessionEnded`), so the map does not grow with the number of rooms ever seen. Forgetting a live room only
   * costs its next token a creation call (409 → the session exists), never a download of its connections.
   */
  private readonly sessions = new Map<string, CachedSession>();
  private readonly cacheSize: number;
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(opts: GatewayOptions) {
    super(opts);
    this.cacheSize = opts.sessionCacheSize ?? 1000;
    this.idleMs = opts.sessionIdleMs ?? 60 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** The room's Session, created in OpenVidu if needed, or the one that exists. */
  protected session(sessionId: string): Promise<Session> {
    const now = this.now();
    this.prune(now);
    const cached = this.sessions.get(sessionId);
    if (cached) {
      this.sessions.delete(sessionId); // to the end: most recently used
      cached.usedAt = now;
      this.sessions.set(sessionId, cached);
      return cached.pending;
    }
    const created = this.call(() => this.openSession(sessionId)).then((session) => {
      // The node client's recording calls look the room up in its list: keep the newest Session per room there,
      // and none when the room was forgotten while being created.
      const entry = this.sessions.get(sessionId);
      const kept = entry?.pending === created;
      this.ov.activeSessions = this.ov.activeSessions.filter((s) => s.sessionId !== sessionId);
      if (kept) {
        entry.session = session;
        this.ov.activeSessions.push(session);
      }
      return session;
    });
    this.sessions.set(sessionId, { pending: created, usedAt: now });
    this.prune(now);
    created.catch(() => {
      if (this.sessions.get(sessionId)?.pending === created) this.sessions.delete(sessionId);
    });
    return created;
  }

  /**
   * Create the room in OpenVidu, or learn that it exists. Plain REST: on a 409 the node client's `createSession`
   * fetches the session with every pending connection (each unused token), megabytes and seconds in a busy room,
   * while a token needs only the session id. The Session object is the node client's, for its recording calls.
   */
  private async openSession(sessionId: string): Promise<Session> {
    const properties = {
      customSessionId: sessionId,
      mediaMode: 'ROUTED',
      recordingMode: RecordingMode.MANUAL,
      defaultRecordingProperties: {
        outputMode: Recording.OutputMode.COMPOSED,
        resolution: this.opts.clip.resolution,
        frameRate: this.opts.clip.frameRate,
        hasAudio: this.opts.clip.hasAudio,
        hasVideo: this.opts.clip.hasVideo,
      },
    };
    const { status, body } = await this.post('/openvidu/api/sessions', properties, [200, 409]);
    // After a 409 the creation time is unknown: any `sessionEnded` of the room then forgets it (one more creation call).
    const createdAt = status === 200 && typeof body?.createdAt === 'number' ? body.createdAt : undefined;
    // The node client builds a Session from OpenVidu's JSON this way itself (`OpenVidu.fetch`); no connections here.
    return new Session(this.ov, { ...properties, sessionId, createdAt, connections: { numberOfElements: 0, content: [] } });
  }

  /** Forget a room's Session (it closed in OpenVidu), unless another request already replaced it. */
  protected forget(sessionId: string, stale: Promise<Session>) {
    const entry = this.sessions.get(sessionId);
    if (entry?.pending === stale) this.evict(sessionId, entry);
  }

  /**
   * The room ended in OpenVidu (webhook `sessionDestroyed`; `startTime` is when that session was created): forget
   * its Session, unless the cached one is newer, created after the one that ended.
   */
  sessionEnded(sessionId: string, startTime?: number): void {
    const entry = this.sessions.get(sessionId);
    if (!entry) return;
    if (startTime !== undefined && entry.session?.createdAt !== undefined && entry.session.createdAt > startTime) return;
    this.evict(sessionId, entry);
  }

  /** Rooms with a cached Session, for monitoring. */
  cachedSessionCount(): number {
    return this.sessions.size;
  }

  private evict(sessionId: string, entry: CachedSession) {
    this.sessions.delete(sessionId);
    // Still being created: the creation sees it was forgotten and keeps nothing.
    if (entry.session) this.ov.activeSessions = this.ov.activeSessions.filter((s) => s !== entry.session);
  }

  /** Drop sessions idle past the limit and, least recently used first, those over the cache size. */
  private prune(now: number) {
    for (const [id, entry] of this.sessions) {
      if (this.sessions.size <= this.cacheSize && now - entry.usedAt <= this.idleMs) break;
      this.evict(id, entry);
    }
  }
}
