import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Connection, PublishedStream, RecordingProperties, Role, Session } from '../model.js';
import { bareError, HttpError } from '../errors.js';
import { RECORDING_ID_RE } from '../ids.js';
import { sweepStrays, trackFolder, untrackFolder } from './processes.js';
import { probe } from './ffmpeg.js';
import { defaultRecorderFactory } from './recorders.js';
import type { Recorder, RecorderFactory, RecordingHost, RecordingRecord } from './types.js';

export type { Recorder, RecorderFactory, RecorderRequest, RecordingHost, RecordingRecord, RecordingStatus } from './types.js';

export interface RecordingManagerOptions {
  /** Folder holding one sub-folder per recording. */
  path: string;
  /** Public base URL (`https://host:port`, no trailing slash) for recording `url`s. */
  publicUrl: string;
  ffmpegPath: string;
  /** Who receives recordingStarted/Stopped: OpenVidu's `publisher_moderator` default. */
  notification: 'all' | 'publisher_moderator' | 'moderator' | 'none';
  autostopTimeoutSec: number;
  host: string;
  /** Makes each recording's recorder (default: INDIVIDUAL or COMPOSED with ffmpeg, see recorders.ts). */
  recorderFactory?: RecorderFactory;
  /**
   * CE-strict mode: no rebuild of recordings a crash interrupted (they become `failed`), no `recovered` field,
   * no autostop when the last publisher unpublishes (docs/embedded-openvidu.md#ce-strict-mode).
   */
  ceStrict?: boolean;
}

/** Why an autostop countdown runs out: CE's `lastParticipantLeft` when the timeout is 0, else `automaticStop`. */
type AutostopReason = 'automaticStop' | 'lastParticipantLeft';

const META_PREFIX = '.recording.';

/**
 * OpenVidu's recording module: ids, statuses, notifications, webhooks and metadata on disk, in front of the
 * recorders that produce the files while the session runs.
 */
export class RecordingManager {
  private readonly records = new Map<string, RecordingRecord>();
  private readonly recorders = new Map<string, Recorder>();
  private readonly finishing = new Map<string, Promise<void>>();
  private readonly writes = new Map<string, Promise<void>>();
  private writeSeq = 0;
  /** Recoveries of recordings interrupted by a crash run one after the other, in the background. */
  private recoveryQueue: Promise<void> = Promise.resolve();
  private closing = false;
  /** Makes the recorder of each recording that starts from now on (tests give a server a stub recorder here). */
  recorderFactory: RecorderFactory;

  constructor(
    private readonly core: RecordingHost,
    private readonly opts: RecordingManagerOptions,
  ) {
    this.recorderFactory = opts.recorderFactory ?? defaultRecorderFactory;
  }

  /**
   * Read the metadata of recordings made before a restart. First kill any encoder a previous server left running
   * here (processes.ts). A recording that was in progress when that server died is recovered in the background
   * from what its recorder had written (`stopped` meanwhile, then `ready` with `recovered`); when nothing can be
   * recovered it becomes `failed`.
   */
  async load(): Promise<void> {
    await mkdir(this.opts.path, { recursive: true });
    const killed = await sweepStrays(this.opts.path);
    if (killed.length) this.core.log.warn(`killed ${killed.length} encoder(s) left running by a previous server: ${killed.join(', ')}`);
    trackFolder(this.opts.path);
    const interrupted: RecordingRecord[] = [];
    for (const dir of await readdir(this.opts.path, { withFileTypes: true })) {
      if (!dir.isDirectory() || !RECORDING_ID_RE.test(dir.name)) continue;
      const meta = path.join(this.opts.path, dir.name, META_PREFIX + dir.name);
      try {
        const rec = JSON.parse(await readFile(meta, 'utf8')) as RecordingRecord;
        if (rec.id !== dir.name) continue;
        if (rec.status === 'started' || rec.status === 'starting' || rec.status === 'stopped') {
          rec.status = 'stopped';
          rec.reason ??= 'openviduServerStopped';
          await this.persist(rec);
          interrupted.push(rec);
        }
        this.records.set(rec.id, rec);
      } catch {
        /* not a recording folder of ours */
      }
    }
    for (const rec of interrupted.sort((a, b) => a.createdAt - b.createdAt)) {
      const done = (this.recoveryQueue = this.recoveryQueue.then(() => this.recover(rec)));
      this.finishing.set(rec.id, done);
      void done.finally(() => {
        if (this.finishing.get(rec.id) === done) this.finishing.delete(rec.id);
      });
    }
  }

  /** Rebuild an interrupted recording's file; never throws. */
  private async recover(rec: RecordingRecord): Promise<void> {
    if (this.closing) return; // left `stopped` on disk: the next start recovers it
    const dir = path.join(this.opts.path, rec.id);
    const t0 = Date.now();
    try {
      const complete = await this.completeFile(rec, dir);
      if (complete) {
        Object.assign(rec, complete, { status: 'ready' });
        this.core.log.info(`recording ${rec.id} was complete when the server stopped`);
      } else {
        if (rec.properties.outputMode === 'INDIVIDUAL') throw new Error('INDIVIDUAL recordings are not recovered');
        if (this.opts.ceStrict) throw new Error('recordings are not rebuilt in CE-strict mode');
        // What a half-finished stop may have left: the recovered file replaces it.
        for (const f of [`${rec.name}.mp4`, `${rec.name}.webm`, `${rec.name}.jpg`]) await rm(path.join(dir, f), { force: true });
        const { ComposedRecorder } = await import('./composed-recorder.js');
        const out = await ComposedRecorder.recover({
          dir,
          fileBase: rec.name,
          ffmpegPath: this.opts.ffmpegPath,
          log: (msg, extra) => this.core.log.debug(`recovery of ${rec.id}: ${msg}`, extra),
        });
        Object.assign(rec, { file: path.basename(out.file), size: out.size, duration: Math.round(out.duration * 100) / 100, status: 'ready', recovered: true });
        this.core.log.info(`recording ${rec.id} recovered after an interruption: ${rec.duration} s in ${Date.now() - t0} ms`);
      }
    } catch (err) {
      rec.status = 'failed';
      rec.error = `interrupted by a server restart: ${(err as Error).message}`;
      this.core.log.warn(`recording ${rec.id} could not be recovered: ${(err as Error).message}`);
    }
    await this.persist(rec);
    this.core.recordingHook({ id: rec.sessionId, uniqueSessionId: rec.uniqueSessionId }, this.hookData(rec));
  }

  /**
   * A recorder removes its parts folder only once its file is complete: a recording without one whose file plays
   * was finished when the server died, before it could be marked `ready`.
   */
  private async completeFile(rec: RecordingRecord, dir: string): Promise<Pick<RecordingRecord, 'file' | 'size' | 'duration'> | undefined> {
    if (existsSync(path.join(dir, `.${rec.name}.parts`))) return undefined;
    for (const file of [`${rec.name}.mp4`, `${rec.name}.webm`, `${rec.name}.zip`]) {
      if (!existsSync(path.join(dir, file))) continue;
      if (file.endsWith('.zip')) return { file, size: (await stat(path.join(dir, file))).size, duration: rec.duration };
      const info = await probe(path.join(dir, file)).catch(() => undefined);
      if (info?.duration) return { file, size: info.size, duration: Math.round(info.duration * 100) / 100 };
    }
    return undefined;
  }

  notifies(role: Role): boolean {
    switch (this.opts.notification) {
      case 'all':
        return true;
      case 'publisher_moderator':
        return role === 'PUBLISHER' || role === 'MODERATOR';
      case 'moderator':
        return role === 'MODERATOR';
      default:
        return false;
    }
  }

  get(id: string): RecordingRecord | undefined {
    return this.records.get(id);
  }

  list(): RecordingRecord[] {
    return [...this.records.values()];
  }

  toJSON(r: RecordingRecord): Record<string, unknown> {
    const p = r.properties;
    const out: Record<string, unknown> = {
      id: r.id,
      object: 'recording',
      name: r.name,
      outputMode: p.outputMode,
    };
    if (p.outputMode !== 'INDIVIDUAL' && p.hasVideo) {
      out.resolution = p.resolution;
      out.frameRate = p.frameRate;
      out.recordingLayout = p.recordingLayout;
      if (p.recordingLayout === 'CUSTOM') out.customLayout = p.customLayout ?? '';
    }
    Object.assign(out, {
      sessionId: r.sessionId,
      createdAt: r.createdAt,
      size: r.size,
      duration: r.duration,
      url: r.file && (r.status === 'ready' || r.status === 'failed') ? `${this.opts.publicUrl}/openvidu/recordings/${r.id}/${r.file}` : null,
      hasAudio: p.hasAudio,
      hasVideo: p.hasVideo,
      status: r.status,
    });
    // Not in OpenVidu's JSON (its clients ignore it); the file name `<name>.recovered.<ext>` in `url` says the same.
    if (r.recovered && !this.opts.ceStrict) out.recovered = true;
    return out;
  }

  /** Absolute path of a recording file, or undefined. Both parts are checked: no user input reaches the disk raw. */
  filePath(id: string, file: string): string | undefined {
    const rec = this.records.get(id);
    if (!rec || !RECORDING_ID_RE.test(id)) return undefined;
    const allowed = new Set([rec.file, rec.file && rec.file.replace(/\.[a-z0-9]+$/, '.jpg')].filter(Boolean));
    if (!allowed.has(file)) return undefined;
    const full = path.join(this.opts.path, id, file);
    return full.startsWith(path.join(this.opts.path, id) + path.sep) ? full : undefined;
  }

  private nextId(sessionId: string): string {
    const taken = (id: string) => this.records.has(id) || existsSync(path.join(this.opts.path, id));
    if (!taken(sessionId)) return sessionId;
    for (let n = 1; ; n++) if (!taken(`${sessionId}~${n}`)) return `${sessionId}~${n}`;
  }

  /** CE's refusals of a recording start, in CE's order: 409 (RELAYED, or already recorded), 406 (nobody in it). */
  assertStartable(session: Session): void {
    if (session.properties.mediaMode !== 'ROUTED' || session.recordingId) throw bareError(409, `Session ${session.id} is already being recorded`);
    if (session.active().length === 0) throw bareError(406, `Session ${session.id} has no connected participants`);
  }

  async start(session: Session, props: RecordingProperties): Promise<RecordingRecord> {
    this.assertStartable(session);
    const id = this.nextId(session.id);
    const rec: RecordingRecord = {
      id,
      name: props.name || id,
      sessionId: session.id,
      uniqueSessionId: session.uniqueSessionId,
      createdAt: Date.now(),
      status: 'starting',
      properties: { ...props, name: props.name || id },
      size: 0,
      duration: 0,
    };
    session.recordingId = id;
    this.records.set(id, rec);
    const dir = path.join(this.opts.path, id);
    try {
      await mkdir(dir, { recursive: true });
      await this.persist(rec);
      const recorder = await this.createRecorder(rec, dir, session);
      this.recorders.set(id, recorder);
      await recorder.start(session.publishers().map((c) => c.publisher!.endpoint));
    } catch (err) {
      session.recordingId = undefined;
      this.recorders.delete(id);
      this.records.delete(id);
      await rm(dir, { recursive: true, force: true });
      this.core.log.error(`recording ${id} could not start: ${(err as Error).message}`);
      throw new HttpError(500, 'Recording could not start');
    }
    rec.status = 'started';
    await this.persist(rec);
    for (const c of session.active()) if (this.notifies(c.role)) c.notify('recordingStarted', { id: rec.id, name: rec.name });
    this.core.recordingHook(session, this.hookData(rec));
    // A recording with nobody publishing stops by itself after the autostop timeout.
    if (session.publishers().length === 0) this.scheduleAutostop(session, 'automaticStop');
    return rec;
  }

  private createRecorder(rec: RecordingRecord, dir: string, session: Session): Promise<Recorder> {
    const log = (msg: string, extra?: object) => this.core.log.debug(`recorder ${rec.id}: ${msg}`, extra);
    return this.recorderFactory({ record: rec, dir, session, ffmpegPath: this.opts.ffmpegPath, host: this.opts.host, log });
  }

  async stop(id: string, reason = 'recordingStoppedByServer'): Promise<RecordingRecord> {
    const rec = this.records.get(id);
    if (!rec) throw bareError(404, `Recording ${id} not found`);
    if (rec.status === 'starting') throw bareError(406, `Recording ${id} is still starting`);
    // As OpenVidu 2.32: a stopped recording has left its started recordings, so it is "not found" there.
    if (rec.status !== 'started') throw bareError(404, `Recording ${id} is not in progress`);
    const session = this.core.sessions.get(rec.sessionId);
    rec.status = 'stopped';
    rec.reason = reason;
    if (session && session.recordingId === id) {
      session.recordingId = undefined;
      clearTimeout(session.autostopTimer);
      session.autostopTimer = undefined;
      for (const c of session.active()) if (this.notifies(c.role)) c.notify('recordingStopped', { id: rec.id, name: rec.name, reason });
    }
    this.core.recordingHook(session ?? { id: rec.sessionId, uniqueSessionId: rec.uniqueSessionId }, this.hookData(rec));
    // The caller gets the recording as it was at stop: a fast recorder may be ready before we answer.
    const stopped = { ...rec, properties: { ...rec.properties } };
    await this.persist(rec);
    const finished = this.finish(rec)
      .catch((err) => this.core.log.error(`recording ${id}: ${(err as Error).message}`))
      .finally(() => this.finishing.delete(id));
    this.finishing.set(id, finished);
    // Stopped while nobody is left (its autostop countdown running): CE closes the session with the stop's reason,
    // once the file is done (CE's stop returns when its file is).
    if (session && session.active().length === 0 && !session.closed) {
      const why = reason === 'lastParticipantLeft' || reason === 'recordingStoppedByServer' ? reason : 'automaticStop';
      void finished.then(() => {
        if (session.active().length === 0 && !session.recordingId) void this.core.closeSession(session, why);
      });
    }
    return stopped;
  }

  private async finish(rec: RecordingRecord): Promise<void> {
    const recorder = this.recorders.get(rec.id);
    this.recorders.delete(rec.id);
    try {
      if (!recorder) throw new Error('no recorder');
      const out = await recorder.stop();
      rec.file = path.basename(out.file);
      rec.size = out.size;
      rec.duration = Math.round(out.duration * 100) / 100;
      rec.status = 'ready';
    } catch (err) {
      rec.status = 'failed';
      rec.error = (err as Error).message;
      this.core.log.error(`recording ${rec.id} failed: ${rec.error}`);
    }
    await this.persist(rec);
    const session = this.core.sessions.get(rec.sessionId);
    this.core.recordingHook(session ?? { id: rec.sessionId, uniqueSessionId: rec.uniqueSessionId }, this.hookData(rec));
  }

  /** Wait for a stopped recording to become ready or failed. */
  async whenFinished(id: string): Promise<void> {
    await this.finishing.get(id);
  }

  async delete(id: string): Promise<void> {
    const rec = this.records.get(id);
    if (!rec) throw bareError(404, `Recording ${id} not found`);
    if (rec.status === 'started' || rec.status === 'starting') throw bareError(409, `Recording ${id} is in progress`);
    await this.finishing.get(id);
    this.records.delete(id);
    await rm(path.join(this.opts.path, id), { recursive: true, force: true });
  }

  /** Stop the session's recording because the session is going away. */
  async stopForSession(session: Session, reason: string): Promise<void> {
    const id = session.recordingId;
    if (!id) return;
    const rec = this.records.get(id);
    if (rec?.status === 'started') await this.stop(id, reason);
    await this.whenFinished(id);
  }

  /** The last participant left a session being recorded: CE's autostop countdown. */
  lastParticipantLeft(session: Session): void {
    this.scheduleAutostop(session, this.opts.autostopTimeoutSec === 0 ? 'lastParticipantLeft' : 'automaticStop');
  }

  /**
   * CE's `initAutomaticRecordingStopThread`: after OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT seconds, a session nobody is
   * in closes (its recording stops first, with the same reason); otherwise only the recording stops. A countdown
   * already running is kept, not restarted; only a new publisher cancels it (`streamPublished`).
   */
  scheduleAutostop(session: Session, reason: AutostopReason): void {
    if (session.autostopTimer) return;
    session.autostopTimer = setTimeout(() => {
      session.autostopTimer = undefined;
      const id = session.recordingId;
      if (!id || session.closed) return;
      const done = session.active().length === 0 ? this.core.closeSession(session, reason) : this.stop(id, reason);
      void done.catch((err) => this.core.log.warn(`autostop of ${id} failed: ${(err as Error).message}`));
    }, this.opts.autostopTimeoutSec * 1000);
    session.autostopTimer.unref();
  }

  streamPublished(session: Session, c: Connection): void {
    if (session.recordingId) {
      clearTimeout(session.autostopTimer);
      session.autostopTimer = undefined;
      this.recorders.get(session.recordingId)?.addSource(c.publisher!.endpoint);
    } else if (session.properties.recordingMode === 'ALWAYS' && c.publisher) {
      void this.start(session, session.properties.defaultRecordingProperties).catch((err) =>
        this.core.log.warn(`automatic recording of ${session.id} failed to start: ${(err as Error).message}`),
      );
    }
  }

  streamUnpublished(session: Session, stream: PublishedStream): void {
    if (!session.recordingId) return;
    this.recorders.get(session.recordingId)?.removeSource(stream.streamId);
    // Beyond CE (which counts down only when the recording starts unpublished or the last participant leaves):
    // a recording whose last publisher unpublished stops after the timeout too.
    if (!this.opts.ceStrict && session.publishers().length === 0 && session.active().length > 0) this.scheduleAutostop(session, 'automaticStop');
  }

  /** Stop every recording in progress and wait for their files (graceful shutdown). */
  async stopAll(reason = 'openviduServerStopped'): Promise<void> {
    this.closing = true;
    for (const rec of this.records.values()) if (rec.status === 'started') await this.stop(rec.id, reason).catch(() => {});
    await Promise.all([...this.finishing.values()]);
    await untrackFolder(this.opts.path);
  }

  private hookData(rec: RecordingRecord): Record<string, unknown> {
    const json = this.toJSON(rec);
    const out: Record<string, unknown> = {
      startTime: rec.createdAt,
      id: rec.id,
      name: rec.name,
      outputMode: rec.properties.outputMode,
    };
    for (const k of ['resolution', 'frameRate', 'recordingLayout', 'customLayout']) if (k in json) out[k] = json[k];
    Object.assign(out, { hasAudio: rec.properties.hasAudio, hasVideo: rec.properties.hasVideo, size: rec.size, duration: rec.duration, status: rec.status });
    if (rec.reason && rec.status !== 'started') out.reason = rec.reason;
    if (rec.recovered && !this.opts.ceStrict) out.recovered = true;
    return out;
  }

  /**
   * Metadata writes for one recording are chained, so a stop and a finish racing each other never share a temp
   * file; each write is atomic (temp file + rename). A failed write is logged, never thrown at a caller that
   * cannot act on it.
   */
  private persist(rec: RecordingRecord): Promise<void> {
    const snapshot = JSON.stringify(rec);
    const prev = this.writes.get(rec.id) ?? Promise.resolve();
    const next = prev.then(async () => {
      const dir = path.join(this.opts.path, rec.id);
      if (!existsSync(dir)) return;
      const file = path.join(dir, META_PREFIX + rec.id);
      const tmp = `${file}.${process.pid}.${++this.writeSeq}.tmp`;
      try {
        await writeFile(tmp, snapshot);
        await rename(tmp, file);
      } catch (err) {
        this.core.log.error(`recording ${rec.id}: metadata not saved: ${(err as Error).message}`);
        await rm(tmp, { force: true }).catch(() => {});
      }
    });
    this.writes.set(rec.id, next);
    void next.then(() => {
      if (this.writes.get(rec.id) === next) this.writes.delete(rec.id);
    });
    return next;
  }
}
