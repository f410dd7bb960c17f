// Rooms' replay buffers: a rolling session recording, through OpenVidu's standard REST API only (CE and the embedded
// server alike). The recording is stopped every REPLAY_SEGMENT_SECONDS and the next one started at once; each stopped
// segment, once ready, is downloaded to DATA_DIR/replay/<room>/ and deleted from OpenVidu. A supervisor per room
// (its only timer) polls who publishes, rotates, and ends the buffer when the room is gone.
import type { ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import { ApiError } from '../errors.js';
import type { Replay } from '../schemas/replay.js';
import { removeFile } from './atomic-file.js';
import type { EventBus } from './event-bus.js';
import type { OpenViduGateway } from './openvidu-gateway.js';
import type { RecordingFacts } from './recording-to-clip.js';
import { probeSegment } from './replay-cut.js';
import { ReadyWaits } from './replay-ready.js';
import { locked, newRoom, useSegments, type Room } from './replay-room.js';
import { heldSeconds, segmentsToDrop, type Segment } from './replay-segments.js';

export const REPLAY_SIGNAL = 'ov-replay';
const STARTING_POLL_MS = 1000;
const ON_POLL_MS = 2000;
/** Longest wait for a stopped segment to be ready, and for its download. */
const READY_WAIT_MS = 30_000;
/** Tries (100 ms apart) to start the next segment while OpenVidu still holds the previous one as the session's recording. */
const START_TRIES = 30;

export type BufferGateway = Pick<
  OpenViduGateway,
  'startBufferRecording' | 'stopRecording' | 'getRecording' | 'deleteRecording' | 'publisherCount' | 'downloadRecording' | 'signal'
>;

export interface ReplayBufferOptions {
  config: Pick<Config, 'replaySeconds' | 'replaySegmentSeconds' | 'replayMaxRooms' | 'dataDir' | 'ffprobePath' | 'ffmpegPath'>;
  gateway: BufferGateway;
  bus: Pick<EventBus, 'publish'>;
  log: FastifyBaseLogger;
  /** Children (ffprobe) started, killed on close. */
  children: Set<ChildProcess>;
  /** Called under the room's lock when it ends, before its folder goes (its running user clips are finished). */
  onEnd?: (room: Room) => Promise<void>;
}

export class ReplayBuffers {
  readonly dir: string;
  private readonly rooms = new Map<string, Room>();
  private readonly waits: ReadyWaits;
  private closing = false;

  constructor(private readonly o: ReplayBufferOptions) {
    this.dir = path.join(o.config.dataDir, 'replay');
    this.waits = new ReadyWaits((id) => o.gateway.getRecording(id), READY_WAIT_MS);
  }

  get seconds(): number {
    return this.o.config.replaySeconds;
  }

  room(sessionId: string): Room | undefined {
    const room = this.rooms.get(sessionId);
    return room && !room.ended ? room : undefined;
  }

  state(sessionId: string): Replay {
    const room = this.room(sessionId);
    if (!room) return { sessionId, state: 'off', seconds: this.seconds, held: 0 };
    const running = room.current ? [{ duration: (Date.now() - room.current.startedAt) / 1000 } as Segment] : [];
    const state = room.current || room.segments.length ? 'on' : 'starting';
    return { sessionId, state, seconds: this.seconds, held: heldSeconds([...room.segments, ...running], this.seconds) };
  }

  /** Turn the room's buffer on (idempotent). */
  async ensure(sessionId: string): Promise<Replay> {
    if (!this.seconds) throw new ApiError(409, 'REPLAY_OFF', 'Instant replay is off on this server');
    await this.rooms.get(sessionId)?.ended; // a buffer still being taken down goes first (same folder)
    if (this.room(sessionId)) return this.state(sessionId);
    if (this.closing) throw new ApiError(503, 'OV_REPLAY_BUSY', 'The server is stopping');
    if (this.rooms.size >= this.o.config.replayMaxRooms)
      throw new ApiError(503, 'OV_REPLAY_BUSY', 'Too many rooms have a replay buffer on this server; try again later');
    if ((await this.o.gateway.publisherCount(sessionId)) === undefined) throw new ApiError(409, 'OV_SESSION_NOT_LIVE', `Nobody is in ${sessionId}`);
    if (this.room(sessionId)) return this.state(sessionId); // asked twice at once
    const room = newRoom(sessionId, path.join(this.dir, sessionId));
    this.rooms.set(sessionId, room);
    await mkdir(room.dir, { recursive: true });
    this.refresh(room);
    await this.locked(room, () => this.tick(room)).finally(() => this.schedule(room));
    return this.state(sessionId);
  }

  /** Turn the room's buffer off: its recording stops and goes, and everything it held. */
  async stop(sessionId: string): Promise<Replay> {
    const room = this.rooms.get(sessionId);
    if (room) await this.end(room);
    return this.state(sessionId);
  }

  /** The room ended in OpenVidu (webhook). */
  roomEnded(sessionId: string): void {
    const room = this.room(sessionId);
    if (room) void this.end(room);
  }

  /** A buffer recording's status changed (webhook): a wait for `ready` ends at once. */
  recordingChanged(id: string, status: string): void {
    this.waits.changed(id, status);
  }

  /** Run `fn` alone among the room's operations. */
  locked<T>(room: Room, fn: () => Promise<T>): Promise<T> {
    return locked(room, fn);
  }

  /** Keep `segments` on disk until the returned function is called; the room's end waits for it. */
  use(room: Room, segments: readonly Segment[]): () => void {
    return useSegments(room, segments, () => void this.retain(room));
  }

  /**
   * End the current segment now (under the room's lock): stop it, start the next in the background once the stop
   * answered (`restart`), wait for the stopped one to be ready, download it, delete it from OpenVidu.
   */
  async rotate(room: Room, restart: boolean): Promise<void> {
    await room.starting;
    const cur = room.current;
    if (!cur) return;
    let stoppedAt = Date.now();
    let facts: RecordingFacts | undefined;
    for (let i = 0; !facts; i++) {
      try {
        facts = await this.o.gateway.stopRecording(cur.id);
      } catch (err) {
        // Still starting (CE takes seconds): asked again for up to 3 s, else kept and rotated next time.
        if ((err as ApiError).code === 'OV_CLIP_STARTING' && i < 30) await new Promise((r) => setTimeout(r, 100));
        else if ((err as ApiError).code === 'OV_CLIP_STARTING') return;
        else {
          room.current = undefined;
          this.o.log.warn({ err, sessionId: room.id }, 'replay: a buffer segment could not be stopped');
          return;
        }
        stoppedAt = Date.now();
      }
    }
    room.current = undefined;
    if (restart && !room.ended && !this.closing) this.startSoon(room);
    await this.collect(room, cur.id, facts, stoppedAt);
  }

  /** The supervisor's tick (under the lock): the room's publishers decide whether its buffer records. */
  async tick(room: Room): Promise<void> {
    if (room.ended) return;
    const n = await this.o.gateway.publisherCount(room.id).catch(() => null);
    if (room.ended) return;
    if (n === undefined) return (room.ended = this.teardown(room)); // the session is gone (teardown never rejects)
    if (n !== null) {
      await room.starting;
      if (room.current && (n === 0 || Date.now() - room.current.startedAt >= this.o.config.replaySegmentSeconds * 1000)) await this.rotate(room, n > 0);
      else if (!room.current && n > 0) await this.start(room, 1);
    }
    this.refresh(room);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.rooms.values()].map((room) => this.end(room)));
  }

  /** Publish the room's state if it changed: SSE `replay` and the `ov-replay` signal. */
  private refresh(room: Room, final = false): void {
    if (room.ended && !final) return; // `off` is told once the folder is gone
    const replay = this.state(room.id);
    if (replay.state === room.published) return;
    room.published = replay.state;
    this.o.bus.publish(room.id, 'replay', replay);
    void this.o.gateway.signal(room.id, REPLAY_SIGNAL, JSON.stringify(replay));
  }

  /** The supervisor's next tick: every 1 s while starting, 2 s while on, sooner when a rotation is due. */
  private schedule(room: Room): void {
    clearTimeout(room.timer);
    if (room.ended || this.closing) return;
    let delay = room.current || room.segments.length ? ON_POLL_MS : STARTING_POLL_MS;
    if (room.current) delay = Math.min(delay, Math.max(0, room.current.startedAt + this.o.config.replaySegmentSeconds * 1000 - Date.now()));
    const tick = () => this.locked(room, () => this.tick(room)).catch((err) => this.o.log.warn({ err, sessionId: room.id }, 'replay: supervisor tick failed'));
    room.timer = setTimeout(() => void tick().finally(() => this.schedule(room)), delay);
  }

  private startSoon(room: Room): void {
    const p: Promise<void> = this.start(room, START_TRIES).finally(() => {
      if (room.starting === p) room.starting = undefined;
      this.refresh(room);
      this.schedule(room);
    });
    room.starting = p;
  }

  /** Start a buffer recording. A user's clip recording (409) or nobody publishing: not now, the supervisor retries. */
  private async start(room: Room, tries: number): Promise<void> {
    for (let i = 0; i < tries && !room.ended && !this.closing; i++) {
      try {
        const r = await this.o.gateway.startBufferRecording(room.id);
        room.current = { id: r.id, startedAt: Date.now() };
        if (room.ended || this.closing) await this.discard(r.id);
        return;
      } catch (err) {
        if ((err as ApiError).code !== 'OV_CLIP_ALREADY_RECORDING' || i === tries - 1) {
          // After a rotation this leaves a gap until the supervisor's next tick.
          const level = tries > 1 ? 'warn' : 'debug';
          this.o.log[level]({ err, sessionId: room.id, tries: i + 1 }, 'replay: buffer recording not started (the supervisor tries again)');
          return;
        }
        await new Promise((r) => setTimeout(r, 100)); // the previous segment is still the session's recording
      }
    }
  }

  /** A stopped segment into the room's folder: ready → downloaded → deleted from OpenVidu → probed → kept. */
  private async collect(room: Room, id: string, facts: RecordingFacts, stoppedAt: number): Promise<void> {
    const ready = facts.status === 'ready' ? facts : await this.waits.ready(id);
    // Named by stop time too: OpenVidu gives a deleted recording's id to the session's next one.
    const file = path.join(room.dir, `${id}.${stoppedAt}.mp4`);
    try {
      if (ready?.status !== 'ready') throw new Error(`segment ${id} is ${ready?.status ?? 'gone'}`);
      await this.o.gateway.downloadRecording(id, file, AbortSignal.timeout(READY_WAIT_MS));
      const { duration, keyframes } = await probeSegment(file, { ...this.o.config, children: this.o.children });
      if (duration > 0.05) room.segments.push({ id: `${id}.${stoppedAt}`, file, stoppedAt, duration, keyframes });
      else await removeFile(file);
    } catch (err) {
      await removeFile(file);
      this.o.log.warn({ err, sessionId: room.id }, 'replay: a buffer segment was lost');
    }
    void this.o.gateway.deleteRecording(id).catch((err) => this.o.log.warn({ err, id }, 'replay: a buffer recording could not be deleted'));
    await this.retain(room);
  }

  /** Drop the oldest segments no longer needed: the rest still covers REPLAY_SECONDS and what clips need. */
  private async retain(room: Room): Promise<void> {
    const keepAfter = room.pins.size ? Math.min(...room.pins.values()) : undefined;
    const drop = segmentsToDrop(room.segments, this.seconds, keepAfter, new Set(room.inUse.keys()));
    room.segments = room.segments.filter((s) => !drop.includes(s));
    for (const s of drop) await removeFile(s.file);
  }

  private async discard(id: string): Promise<void> {
    await this.o.gateway.stopRecording(id).catch(() => undefined);
    await this.o.gateway.deleteRecording(id).catch((err) => this.o.log.warn({ err, id }, 'replay: a buffer recording could not be deleted'));
  }

  private end(room: Room): Promise<void> {
    return (room.ended ??= this.locked(room, () => this.teardown(room)));
  }

  /** The buffer goes (under the lock): recording stopped and deleted, clips finished, folder removed, state off. Never rejects. */
  private async teardown(room: Room): Promise<void> {
    clearTimeout(room.timer);
    try {
      await room.starting;
      const cur = room.current;
      // Running user clips get their last seconds.
      if (cur && room.pins.size) await this.rotate(room, false);
      else if (cur) await this.discard(cur.id);
      room.current = undefined;
      await this.o.onEnd?.(room).catch((err) => this.o.log.warn({ err, sessionId: room.id }, 'replay: clips of an ending buffer failed'));
      await Promise.allSettled([...room.busy]);
      await rm(room.dir, { recursive: true, force: true });
    } catch (err) {
      this.o.log.warn({ err, sessionId: room.id }, 'replay: a buffer could not be removed');
    } finally {
      room.segments = [];
      if (this.rooms.get(room.id) === room) this.rooms.delete(room.id);
      this.refresh(room, true);
    }
  }
}
