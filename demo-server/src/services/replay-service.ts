// Instant replay as the routes see it: rooms' buffers (replay-buffer.ts), and the clips cut from them: "the last N
// seconds", and a user's clip in a room whose buffer is the session's one recording (cut from its start to its stop).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import { ApiError } from '../errors.js';
import type { Clip } from '../schemas/clips.js';
import type { Replay } from '../schemas/replay.js';
import { removeFile } from './atomic-file.js';
import type { ClipEvents } from './clip-events.js';
import type { EventBus } from './event-bus.js';
import type { LocalClips } from './local-clips.js';
import type { OpenViduGateway } from './openvidu-gateway.js';
import { ReplayBuffers } from './replay-buffer.js';
import type { Room } from './replay-room.js';
import { CutSlots, cutPlan, probeSegment } from './replay-cut.js';
import { planLast, planRange, type CutPlan, type Segment } from './replay-segments.js';

export interface ReplayServiceOptions {
  config: Config;
  gateway: OpenViduGateway;
  bus: EventBus;
  clips: Pick<ClipEvents, 'publish'>;
  local: LocalClips;
  log: FastifyBaseLogger;
}

const CUT_TIMEOUT_MS = 30_000;
const SEGMENT_FILE = /^([A-Za-z0-9_~-]{1,80})\.([0-9]{13})\.mp4$/;

export class ReplayService {
  readonly buffers: ReplayBuffers;
  private readonly children = new Set<ChildProcess>();
  private readonly slots = new CutSlots(4, 32, () => new ApiError(503, 'OV_REPLAY_BUSY', 'The server is busy cutting other clips; try again in a moment'));
  /** User clips being stopped, so a second stop waits for the first. */
  private readonly stopping = new Map<string, Promise<Clip>>();

  constructor(private readonly o: ReplayServiceOptions) {
    this.buffers = new ReplayBuffers({ ...o, children: this.children, onEnd: (room) => this.finishPinned(room) });
  }

  state(sessionId: string): Replay {
    return this.buffers.state(sessionId);
  }

  /** Is the room's buffer the session's recording now (so a user's clip is cut from it)? */
  buffering(sessionId: string): boolean {
    const room = this.buffers.room(sessionId);
    return !!room && (!!room.current || !!room.starting || room.segments.length > 0);
  }

  /** "Clip the last N seconds": the current segment ends now, the clip is cut from the newest ones. Ready when answered. */
  async clipLast(sessionId: string, seconds: number, name?: string): Promise<Clip> {
    const room = this.buffers.room(sessionId);
    if (!this.buffers.seconds || !room) throw new ApiError(409, 'REPLAY_OFF', `${sessionId} has no replay buffer`);
    const t0 = performance.now();
    const { plan, release } = await this.buffers.locked(room, async () => {
      if (room.current) await this.buffers.rotate(room, true);
      const plan = planLast(room.segments, Math.min(seconds, this.buffers.seconds));
      if (!plan) throw new ApiError(409, 'REPLAY_EMPTY', `The replay buffer of ${sessionId} holds nothing yet`);
      return { plan, release: this.buffers.use(room, room.segments) };
    });
    try {
      const t1 = performance.now();
      const clip = await this.cut(room, plan, { name, createdAt: plan.startsAt, status: 'processing' });
      this.o.clips.publish(clip);
      const ms = (t: number) => Math.round(t);
      this.o.log.info({ clipId: clip.id, rotateMs: ms(t1 - t0), cutMs: ms(performance.now() - t1), duration: clip.duration }, 'replay clip ready');
      return clip;
    } finally {
      release();
    }
  }

  /** A user's clip in a buffered room: `recording` from now, cut from the buffer when it stops. */
  async startUserClip(sessionId: string, name?: string): Promise<Clip> {
    const room = this.buffers.room(sessionId);
    if (!room) return this.o.gateway.startClip(sessionId, name);
    const clip = await this.buffers.locked(room, async () => {
      if (this.o.local.recordingIn(sessionId)) throw new ApiError(409, 'OV_CLIP_ALREADY_RECORDING', `A clip is already being recorded in ${sessionId}`);
      if (!(await this.o.gateway.publisherCount(sessionId))) throw new ApiError(409, 'OV_SESSION_NOT_LIVE', `Nobody is live in ${sessionId}`);
      if (!room.current) await this.buffers.tick(room); // someone publishes again: the buffer records from now
      const { hasAudio, hasVideo } = this.o.config.clip;
      const clip = await this.o.local.create({ sessionId, name, status: 'recording', createdAt: Date.now(), hasAudio, hasVideo });
      room.pins.set(clip.id, clip.createdAt);
      return clip;
    });
    this.o.clips.publish(clip);
    return clip;
  }

  /** Stop a user's local clip (idempotent): the current segment ends now, the clip is cut from its start to now. */
  stopUserClip(clipId: string): Promise<Clip> {
    const running = this.stopping.get(clipId);
    if (running) return running;
    const p = this.stopLocal(clipId).finally(() => this.stopping.delete(clipId));
    this.stopping.set(clipId, p);
    return p;
  }

  private async stopLocal(clipId: string): Promise<Clip> {
    const clip = this.o.local.get(clipId);
    if (clip?.status !== 'recording') return this.o.gateway.getClip(clipId); // 404, or its current state
    const room = this.buffers.room(clip.sessionId);
    const to = Date.now();
    if (!room) return this.publish(await this.o.local.fail(clipId, 'The replay buffer it was cut from has ended'));
    const { plan, release } = await this.buffers.locked(room, async () => {
      if (room.current) await this.buffers.rotate(room, true);
      const plan = planRange(room.segments, clip.createdAt, to);
      room.pins.delete(clipId);
      return { plan, release: this.buffers.use(room, room.segments) };
    });
    try {
      return this.publish(await this.finishFrom(room, clipId, plan));
    } finally {
      release();
    }
  }

  /** Turn a room's buffer on/off; a room ended in OpenVidu; a buffer recording's status (webhook). */
  ensure(sessionId: string): Promise<Replay> {
    return this.buffers.ensure(sessionId);
  }

  stop(sessionId: string): Promise<Replay> {
    return this.buffers.stop(sessionId);
  }

  roomEnded(sessionId: string): void {
    this.buffers.roomEnded(sessionId);
  }

  recordingChanged(id: string, status: string): void {
    this.buffers.recordingChanged(id, status);
  }

  /**
   * At start: user clips left `recording` by a stop of the server are cut from what their room's folder holds
   * (`recovered`), or failed when nothing is; then the folders go. Buffer recordings left in OpenVidu are stopped and
   * deleted in the background, so a server whose OpenVidu is down still starts.
   */
  async recover(): Promise<void> {
    const rooms = await readdir(this.buffers.dir, { withFileTypes: true }).catch(() => []);
    const segments = new Map<string, Segment[]>();
    for (const d of rooms) {
      if (!d.isDirectory()) continue;
      const dir = path.join(this.buffers.dir, d.name);
      const list: Segment[] = [];
      for (const f of await readdir(dir).catch(() => [] as string[])) {
        const m = SEGMENT_FILE.exec(f);
        if (!m) continue;
        const file = path.join(dir, f);
        const probed = await probeSegment(file, this.tools()).catch(() => undefined);
        if (probed?.duration) list.push({ id: `${m[1]}.${m[2]}`, file, stoppedAt: Number(m[2]), ...probed });
      }
      segments.set(
        d.name,
        list.sort((a, b) => a.stoppedAt - b.stoppedAt),
      );
    }
    for (const clip of this.o.local.list().filter((c) => c.status === 'recording' || c.status === 'processing')) {
      // A replay clip left processing: its range is unknown.
      if (clip.status === 'processing') {
        await this.o.local.fail(clip.id, 'The server stopped before the clip was cut');
        continue;
      }
      const plan = planRange(segments.get(clip.sessionId) ?? [], clip.createdAt, Infinity);
      const room = { id: clip.sessionId, dir: path.join(this.buffers.dir, clip.sessionId) } as Room;
      await this.finishFrom(room, clip.id, plan, true).catch((err) => this.o.log.warn({ err, clipId: clip.id }, 'replay: a clip could not be recovered'));
    }
    for (const d of rooms) if (d.isDirectory()) await rm(path.join(this.buffers.dir, d.name), { recursive: true, force: true });
    void (async () => {
      for (const r of await this.o.gateway.listBufferRecordings()) {
        await this.o.gateway.stopRecording(r.id).catch(() => undefined);
        await this.o.gateway.deleteRecording(r.id);
      }
    })().catch((err) => this.o.log.warn({ err }, 'replay: buffer recordings left in OpenVidu could not be removed'));
  }

  /** Every buffer ends (its recording stopped and deleted, running user clips cut, folders removed); children killed. */
  async close(): Promise<void> {
    await this.buffers.close();
    for (const c of this.children) c.kill('SIGKILL');
  }

  /** A room's buffer ends: its running user clips are cut from what it holds. */
  private async finishPinned(room: Room): Promise<void> {
    const now = Date.now();
    for (const id of [...room.pins.keys()]) {
      const clip = this.o.local.get(id);
      room.pins.delete(id);
      if (clip?.status === 'recording') this.publish(await this.finishFrom(room, id, planRange(room.segments, clip.createdAt, now)));
    }
  }

  /** Cut an existing local clip's media from the plan and make it ready, or fail it when there is nothing to cut. */
  private async finishFrom(room: Room, clipId: string, plan: CutPlan | undefined, recovered = false): Promise<Clip> {
    if (!plan) return this.o.local.fail(clipId, 'Nothing was recorded while the clip ran');
    try {
      const files = await this.slots.run(() => this.cutFiles(room, plan));
      return await this.o.local.finish(clipId, files, { duration: files.duration, recovered });
    } catch (err) {
      this.o.log.warn({ err, clipId }, 'replay: a clip could not be cut');
      return this.o.local.fail(clipId, 'The clip could not be cut from the replay buffer');
    }
  }

  /** A new local clip cut from the plan (created once its media exists). */
  private async cut(room: Room, plan: CutPlan, c: { name?: string; createdAt: number; status: 'processing' }): Promise<Clip> {
    const files = await this.slots
      .run(() => this.cutFiles(room, plan))
      .catch((err) => {
        if (err instanceof ApiError) throw err;
        this.o.log.warn({ err, sessionId: room.id }, 'replay: a replay clip could not be cut');
        throw new ApiError(500, 'OV_REPLAY_FAILED', 'The replay could not be cut');
      });
    try {
      const { hasAudio, hasVideo } = this.o.config.clip;
      const clip = await this.o.local.create({ sessionId: room.id, name: c.name, status: c.status, createdAt: c.createdAt, hasAudio, hasVideo });
      return await this.o.local.finish(clip.id, files, { duration: files.duration });
    } finally {
      await removeFile(files.media);
      if (files.thumbnail) await removeFile(files.thumbnail);
    }
  }

  /** The plan's media and thumbnail as temporary files in the room's folder (hidden names; moved away by `finish`). */
  private async cutFiles(room: Room, plan: CutPlan): Promise<{ media: string; thumbnail?: string; duration: number }> {
    const base = path.join(room.dir, `.cut-${randomBytes(6).toString('hex')}`);
    const media = `${base}.mp4`;
    const thumbnail = `${base}.jpg`;
    try {
      const r = await cutPlan({ ...this.tools(), plan, media, thumbnail, hasVideo: this.o.config.clip.hasVideo });
      return { media, thumbnail: r.thumbnail ? thumbnail : undefined, duration: r.duration };
    } catch (err) {
      await removeFile(media);
      await removeFile(thumbnail);
      throw err;
    }
  }

  private tools() {
    const { ffmpegPath, ffprobePath } = this.o.config;
    return { ffmpegPath, ffprobePath, children: this.children, timeoutMs: CUT_TIMEOUT_MS };
  }

  private publish(clip: Clip): Clip {
    this.o.clips.publish(clip);
    return clip;
  }
}
