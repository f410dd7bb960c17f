import { randomBytes } from 'node:crypto';
import { rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { errors } from '../errors.js';
import type { Clip } from '../schemas/clips.js';
import { fsyncPath, removeFile, syncDir } from './atomic-file.js';
import { checkIds, CLIP_ID_RE, ClipMetaFiles, type ClipIds, type ClipMeta } from './clip-meta-files.js';
import { normalizeClipName } from './recording-to-clip.js';

export type { ClipMeta } from './clip-meta-files.js';

export interface ClipMetaStoreOptions {
  /** Root folder (`<dataDir>/clips`); created when missing. */
  dir: string;
  /** Clock, for tests. */
  now?: () => number;
}

/** Deleted clips remembered, so an edit finishing after the delete does not bring their metadata back. */
const TOMBSTONES = 1000;

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Clip metadata beside OpenVidu's recordings (name, trim, share salt), indexed in memory; its files on disk (layout,
 * atomic writes, what `load()` checks and removes) are `ClipMetaFiles`'. Metadata applies only to the recording with
 * the same `createdAt`.
 *
 * Bounded: one small file (and at most one cut) per clip. A clip leaves the index and the disk on `delete`: the
 * DELETE route, the gateway's 404 for the clip (found gone), and `prune` after a room's list. Edits of one clip run
 * one at a time.
 */
export class ClipMetaStore {
  readonly dir: string;
  private readonly files: ClipMetaFiles;
  private readonly now: () => number;
  private readonly byId = new Map<string, ClipMeta>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** clip id → createdAt of deleted clips, oldest first. */
  private readonly gone = new Map<string, number>();

  constructor(opts: ClipMetaStoreOptions) {
    this.files = new ClipMetaFiles(opts.dir);
    this.dir = this.files.dir;
    this.now = opts.now ?? Date.now;
  }

  /** Rebuild the index from disk; remove leftovers of interrupted writes and cuts no metadata refers to. */
  async load(): Promise<void> {
    await this.files.load(this.byId);
  }

  get(clipId: string): ClipMeta | undefined {
    const m = typeof clipId === 'string' ? this.byId.get(clipId) : undefined;
    return m && structuredClone(m);
  }

  /** The clip with its metadata applied (name, trim, durations, updatedAt), when the metadata is about this clip. */
  apply(clip: Clip): Clip {
    const m = this.current(clip);
    if (!m) return clip;
    const out: Clip = { ...clip };
    if (m.name !== undefined) out.name = m.name;
    if (m.trim && clip.status === 'ready') {
      out.trim = { start: m.trim.start, end: m.trim.end };
      out.originalDuration = m.trim.originalDuration;
      out.duration = round3(m.trim.end - m.trim.start);
    } else if (out.trim) {
      // A clip with an older trim applied (apply is idempotent): the whole recording again.
      out.duration = out.originalDuration ?? out.duration;
      delete out.trim;
      delete out.originalDuration;
    }
    if (m.updatedAt !== undefined) out.updatedAt = m.updatedAt;
    return out;
  }

  /** The clip's share salt; made (and stored) when `create` and there is none. */
  async shareSalt(clip: Clip, create: boolean): Promise<string | undefined> {
    const salt = this.current(clip)?.shareSalt;
    if (salt || !create) return salt;
    return this.edit(clip, async (m) => (m.shareSalt ??= randomBytes(18).toString('base64url')));
  }

  /** A new salt: every link made so far stops working. */
  async revokeShares(clip: Clip): Promise<void> {
    await this.edit(clip, async (m) => {
      m.shareSalt = randomBytes(18).toString('base64url');
    });
  }

  /** Rename; the name is checked and normalised (`ClipNameError`). */
  async rename(clip: Clip, name: string): Promise<ClipMeta> {
    const normalized = normalizeClipName(name);
    return this.edit(clip, async (m) => {
      m.name = normalized;
      m.updatedAt = this.nextUpdate(m);
      return structuredClone(m);
    });
  }

  /** A temporary file in the clip's folder (`label`: what it is, e.g. `src`); `load()` removes it after a crash. */
  tempPath(clip: ClipIds, label: string): Promise<string> {
    return this.files.tempPath(clip, label);
  }

  /**
   * Make a cut (files from `tempPath`, consumed) the clip's media, replacing any earlier cut. The metadata is written
   * first, then the files renamed: a failed write changes nothing, and after a crash in between `load()` finds the
   * cut's size wrong and serves the original.
   */
  async setTrim(clip: Clip, trim: { start: number; end: number; originalDuration: number }, files: { media: string; thumbnail?: string }): Promise<ClipMeta> {
    const [media, thumb] = this.files.cutPaths(clip);
    // Only temporary files of this clip's folder are taken (and removed if refused).
    for (const f of [files.media, files.thumbnail ?? files.media])
      if (!this.files.isTempBeside(media, f)) throw new Error('clip meta store: not a cut of this folder');
    try {
      if (!(trim.start >= 0 && trim.end > trim.start && trim.originalDuration >= 0)) throw new Error('clip meta store: bad trim range');
      const install = async () => {
        await rename(files.media, media);
        await (files.thumbnail ? rename(files.thumbnail, thumb) : removeFile(thumb));
        await syncDir(path.dirname(media));
      };
      return await this.edit(
        clip,
        async (m) => {
          await fsyncPath(files.media);
          if (files.thumbnail) await fsyncPath(files.thumbnail);
          const bytes = (await stat(files.media)).size;
          m.trim = { start: round3(trim.start), end: round3(trim.end), originalDuration: trim.originalDuration, bytes, thumbnail: !!files.thumbnail };
          m.updatedAt = this.nextUpdate(m);
          return structuredClone(m);
        },
        install,
      );
    } finally {
      await removeFile(files.media); // gone after the rename; still there if refused
      if (files.thumbnail) await removeFile(files.thumbnail);
    }
  }

  /** Serve the original again. Undefined when the clip was not trimmed (nothing changes). */
  async clearTrim(clip: Clip): Promise<ClipMeta | undefined> {
    if (!this.current(clip)?.trim) return undefined;
    const edit = async (m: ClipMeta) => {
      if (!m.trim) return undefined;
      delete m.trim;
      m.updatedAt = this.nextUpdate(m);
      return structuredClone(m);
    };
    // Once the metadata no longer names them (a crash in between: load() removes them).
    return this.edit(clip, edit, () => this.files.removeCuts(clip));
  }

  /** The cut file serving the clip's media or thumbnail, when it is trimmed. */
  cutFile(clip: Clip, kind: 'media' | 'thumbnail'): string | undefined {
    const m = this.current(clip);
    if (!m?.trim || clip.status !== 'ready' || (kind === 'thumbnail' && !m.trim.thumbnail)) return undefined;
    return this.files.cutPaths(m)[kind === 'media' ? 0 : 1];
  }

  /** Remove a clip's metadata and cuts (deleted, or found gone). `false` when there was none. */
  async delete(clipId: string): Promise<boolean> {
    if (typeof clipId !== 'string' || !CLIP_ID_RE.test(clipId)) return false;
    return this.serial(clipId, async () => {
      const m = this.byId.get(clipId);
      if (!m) return false;
      this.byId.delete(m.id);
      this.gone.delete(m.id);
      this.gone.set(m.id, m.createdAt);
      if (this.gone.size > TOMBSTONES) this.gone.delete(this.gone.keys().next().value!);
      await this.files.remove(m);
      return true;
    });
  }

  /**
   * After a room's clips were listed: metadata of its clips missing from the list goes (deleted in OpenVidu
   * directly). Only of clips started before `startedBefore`, so one started while the list was fetched stays.
   */
  async prune(sessionId: string, listed: readonly Pick<Clip, 'id'>[], startedBefore: number): Promise<void> {
    const ids = new Set(listed.map((c) => c.id));
    for (const m of [...this.byId.values()]) if (m.sessionId === sessionId && !ids.has(m.id) && m.createdAt < startedBefore) await this.delete(m.id);
  }

  /** Clips with metadata in memory. */
  get size(): number {
    return this.byId.size;
  }

  /** The metadata about this very clip (same id, room and start time). */
  private current(clip: Pick<Clip, 'id' | 'sessionId' | 'createdAt'>): ClipMeta | undefined {
    const m = this.byId.get(clip.id);
    return m && m.createdAt === clip.createdAt && m.sessionId === clip.sessionId ? m : undefined;
  }

  /**
   * Edit the clip's metadata (a copy, stored once `fn` returns), then run `done`; one edit at a time per clip.
   * Metadata of an earlier recording with the same id is replaced (its files removed); a deleted clip answers 404.
   */
  private edit<T>(clip: Clip, fn: (m: ClipMeta) => Promise<T>, done?: () => Promise<void>): Promise<T> {
    checkIds(clip);
    if (!Number.isSafeInteger(clip.createdAt) || clip.createdAt <= 0) throw new Error('clip meta store: bad createdAt');
    return this.serial(clip.id, async () => {
      if (this.gone.get(clip.id) === clip.createdAt) throw errors.notFound('clip', clip.id);
      const old = this.byId.get(clip.id);
      const same = old && old.createdAt === clip.createdAt && old.sessionId === clip.sessionId;
      const m: ClipMeta = same ? structuredClone(old) : { id: clip.id, sessionId: clip.sessionId, createdAt: clip.createdAt };
      const result = await fn(m);
      if (old && !same) {
        this.byId.delete(old.id);
        await this.files.remove(old);
      }
      await this.files.writeMeta(m);
      this.byId.set(m.id, m);
      await done?.();
      return result;
    });
  }

  private async serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(id) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  /** Strictly increasing per clip, so "newer edits win" holds even within one millisecond. */
  private nextUpdate(m: ClipMeta): number {
    return Math.max(this.now(), (m.updatedAt ?? 0) + 1);
  }
}
