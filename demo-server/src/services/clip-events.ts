import type { FastifyBaseLogger } from 'fastify';
import { ClipStatusBook } from '../../../src/clips/clip-status.js';
import type { Clip } from '../schemas/clips.js';
import type { EventBus } from './event-bus.js';
import type { OpenViduGateway } from './openvidu-gateway.js';

/** Signal types sent to everyone in the OpenVidu session (openvidu-browser sees `signal:ov-clip`). */
export const CLIP_SIGNAL = 'ov-clip';
export const CLIP_DELETED_SIGNAL = 'ov-clip-deleted';
export const CLIP_UPDATED_SIGNAL = 'ov-clip-updated';

const FAST_POLL_MS = 100;
const SLOW_POLL_MS = 1000;
const FAST_POLL_FOR_MS = 10_000;
const WATCH_LIMIT_MS = 10 * 60_000;
const REMEMBERED = 2000;

/**
 * Tells everyone about clip status changes: SSE subscribers through the event bus, and the session's participants
 * through an OpenVidu signal, which reaches them whichever instance of the server they are connected to. News of a
 * clip comes from our own calls, the webhook, and the watcher that polls a stopped clip until it is ready (so live
 * updates work without a webhook too), in any order: it is published only when the core's ordering rule
 * (`advanceClipStatus`: recording → processing → ready | failed, never backwards, deletion final) says it is news.
 */
export class ClipEvents {
  private readonly statuses = new ClipStatusBook(REMEMBERED);
  private readonly watchers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly gateway: OpenViduGateway,
    private readonly bus: EventBus,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Publish a clip's state if it is news (a step forward for that clip). Returns whether it was published. */
  publish(clip: Clip): boolean {
    // Keyed by id and start time: OpenVidu may give a deleted recording's id to the room's next recording.
    if (!this.statuses.advance(clip.id, clip.status, clip.createdAt)) return false;
    this.bus.publish(clip.sessionId, 'clip', clip);
    void this.gateway.signal(clip.sessionId, CLIP_SIGNAL, JSON.stringify(clip));
    if (clip.status === 'processing') this.watch(clip.id);
    return true;
  }

  /**
   * A clip was renamed, trimmed or restored (`clip` with its metadata applied, `updatedAt` set): SSE `clip-updated`
   * and the signal `ov-clip-updated`. Always sent: receivers keep only edits newer than theirs (`updatedAt`).
   */
  updated(clip: Clip): void {
    this.bus.publish(clip.sessionId, 'clip-updated', clip);
    void this.gateway.signal(clip.sessionId, CLIP_UPDATED_SIGNAL, JSON.stringify(clip));
  }

  /** A clip was deleted (`createdAt`: its start time; default, the clip on record with that id): nothing later about it is news. */
  deleted(sessionId: string, clipId: string, createdAt?: number): void {
    this.statuses.advance(clipId, 'deleted', createdAt);
    this.stopWatching(clipId);
    this.bus.publish(sessionId, 'clip-deleted', { id: clipId, sessionId });
    void this.gateway.signal(sessionId, CLIP_DELETED_SIGNAL, JSON.stringify({ id: clipId, sessionId }));
  }

  /** Poll a stopped clip until it is ready or failed: fast at first (encoding finishes within a second or so). */
  private watch(clipId: string): void {
    if (this.watchers.has(clipId) || this.closed) return;
    const started = Date.now();
    const tick = async () => {
      if (this.closed) return;
      try {
        const clip = await this.gateway.getClip(clipId);
        if (clip.status === 'ready' || clip.status === 'failed') {
          this.watchers.delete(clipId);
          this.publish(clip);
          return;
        }
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) {
          this.watchers.delete(clipId);
          return;
        }
        this.log.debug({ err, clipId }, 'clip watcher: OpenVidu not answering, retrying');
      }
      const elapsed = Date.now() - started;
      if (elapsed > WATCH_LIMIT_MS) {
        this.watchers.delete(clipId);
        this.log.warn({ clipId }, 'clip still processing after 10 minutes: no longer watched');
        return;
      }
      this.watchers.set(clipId, setTimeout(tick, elapsed < FAST_POLL_FOR_MS ? FAST_POLL_MS : SLOW_POLL_MS));
    };
    this.watchers.set(clipId, setTimeout(tick, FAST_POLL_MS));
  }

  private stopWatching(clipId: string) {
    clearTimeout(this.watchers.get(clipId));
    this.watchers.delete(clipId);
  }

  close(): void {
    this.closed = true;
    for (const t of this.watchers.values()) clearTimeout(t);
    this.watchers.clear();
  }
}
