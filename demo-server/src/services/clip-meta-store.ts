import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { errors } from '../errors.js';
import { CLIP_ID_PATTERN, SESSION_ID_PATTERN } from '../schemas/common.js';
import type { Clip } from '../schemas/clips.js';
import { normalizeClipName } from './recording-to-clip.js';

const Seconds = Type.Number({ minimum: 0 });
const Time = Type.Integer({ minimum: 1 });
/** A metadata file, every field checked at load. */
const MetaFile = Type.Object(
  {
    version: Type.Literal(1),
    id: Type.String({ pattern: CLIP_ID_PATTERN }),
    sessionId: Type.String({ pattern: SESSION_ID_PATTERN }),
    /** The recording's start time: metadata of a deleted clip never applies to a later one given the same id. */
    createdAt: Time,
    name: Type.Optional(Type.String({ maxLength: 400 })),
    /** While trimmed: the range of the original served, the cut's size (checked at load), whether it has a thumbnail. */
    trim: Type.Optional(
      Type.Object(
        { start: Seconds, end: Seconds, originalDuration: Seconds, bytes: Type.Integer({ minimum: 0 }), thumbnail: Type.Boolean() },
        { additionalProperties: false },
      ),
    ),
    /** Part of every share link's signature: a new salt revokes the clip's links. */
    shareSalt: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$' })),
    /** Last rename, trim or restore (ms); absent while only a share salt is stored. */
    updatedAt: Type.Optional(Time),
  },
  { additionalProperties: false },
);

/** What the reference server keeps about a clip beside OpenVidu's recording. */
export type ClipMeta = Omit<Static<typeof MetaFile>, 'version'>;

export interface ClipMetaStoreOptions {
  /** Root folder (`<dataDir>/clips`); created when missing. */
  dir: string;
  /** Clock, for tests. */
  now?: () => number;
}

type ClipIds = Pick<Clip, 'id' | 'sessionId'>;

const SESSION_ID_RE = new RegExp(SESSION_ID_PATTERN);
const CLIP_ID_RE = new RegExp(CLIP_ID_PATTERN);
const ID = '[A-Za-z0-9_-]{1,64}(?:~[0-9]{1,6})?';
const META_FILE_RE = new RegExp(`^(${ID})\\.json$`);
const CUT_FILE_RE = new RegExp(`^(${ID})\\.cut\\.(mp4|jpg)$`);
/** `.<clipId>.<label>.<16 hex>.tmp`: what an interrupted write or cut leaves. */
const LABEL = '[a-z0-9]{1,8}(?:\\.[a-z0-9]{1,8})?';
const TEMP_FILE_RE = new RegExp(`^\\.${ID}\\.${LABEL}\\.[a-f0-9]{16}\\.tmp$`);
const LABEL_RE = new RegExp(`^${LABEL}$`);
/** Deleted clips remembered, so an edit finishing after the delete does not bring their metadata back. */
const TOMBSTONES = 1000;

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const removeFile = (file: string) => unlink(file).catch(() => {});
const serialize = (m: ClipMeta) => `${JSON.stringify({ version: 1, ...m })}\n`;

/** Flush a file or folder to disk. */
async function fsync(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Write to a temporary file in the same folder, flush it, then rename: readers see the whole file or nothing. */
async function writeAtomic(file: string, data: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { flag: 'wx', mode: 0o644 });
    await fsync(tmp);
    await rename(tmp, file);
  } catch (err) {
    await removeFile(tmp);
    throw err;
  }
}

function checkIds(clip: ClipIds) {
  if (typeof clip.id !== 'string' || !CLIP_ID_RE.test(clip.id)) throw new Error('clip meta store: bad clip id');
  if (typeof clip.sessionId !== 'string' || !SESSION_ID_RE.test(clip.sessionId)) throw new Error('clip meta store: bad session id');
}

/**
 * Clip metadata beside OpenVidu's recordings: `<dir>/<sessionId>/<clipId>.json` (name, trim, share salt), and while
 * trimmed the cut `<clipId>.cut.mp4` and its thumbnail `<clipId>.cut.jpg`. Every file is written under a temporary
 * name and renamed; `load()` removes what an interrupted write leaves. Ids are checked against their patterns and
 * every path is checked to stay inside `dir`. Metadata applies only to the recording with the same `createdAt`.
 *
 * Bounded: one small file (and at most one cut) per clip. A clip leaves the index and the disk on `delete`: the
 * DELETE route, the gateway's 404 for the clip (found gone), and `prune` after a room's list. Edits of one clip run
 * one at a time.
 */
export class ClipMetaStore {
  readonly dir: string;
  private readonly now: () => number;
  private readonly byId = new Map<string, ClipMeta>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** clip id → createdAt of deleted clips, oldest first. */
  private readonly gone = new Map<string, number>();

  constructor(opts: ClipMetaStoreOptions) {
    this.dir = path.resolve(opts.dir);
    this.now = opts.now ?? Date.now;
  }

  /** Rebuild the index from disk; remove leftovers of interrupted writes and cuts no metadata refers to. */
  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.byId.clear();
    for (const s of await readdir(this.dir, { withFileTypes: true })) {
      if (!s.isDirectory() || !SESSION_ID_RE.test(s.name)) continue;
      const sessionDir = this.resolve(s.name);
      const names = await readdir(sessionDir).catch(() => [] as string[]);
      for (const name of names) {
        const m = META_FILE_RE.exec(name);
        const meta = m && (await this.readMeta(s.name, m[1]).catch(() => undefined));
        if (!meta || this.byId.has(meta.id)) continue;
        if (meta.trim && !(await this.cutIntact(meta))) {
          delete meta.trim; // a trim interrupted by a crash: the clip is its original again
          await writeAtomic(this.metaFile(meta), serialize(meta));
        }
        this.byId.set(meta.id, meta);
      }
      for (const name of names) {
        const cut = CUT_FILE_RE.exec(name);
        const owner = cut && this.byId.get(cut[1]);
        const used = owner?.sessionId === s.name && owner.trim && (cut![2] === 'mp4' || owner.trim.thumbnail);
        if (TEMP_FILE_RE.test(name) || (cut && !used)) await removeFile(path.join(sessionDir, name));
      }
      await rmdir(sessionDir).catch(() => {}); // only if empty
    }
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
  async tempPath(clip: ClipIds, label: string): Promise<string> {
    checkIds(clip);
    if (!LABEL_RE.test(label)) throw new Error(`clip meta store: bad temporary label ${label}`);
    const file = this.resolve(clip.sessionId, `.${clip.id}.${label}.${randomBytes(8).toString('hex')}.tmp`);
    await mkdir(path.dirname(file), { recursive: true });
    return file;
  }

  /**
   * Make a cut (files from `tempPath`, consumed) the clip's media, replacing any earlier cut. The metadata is written
   * first, then the files renamed: a failed write changes nothing, and after a crash in between `load()` finds the
   * cut's size wrong and serves the original.
   */
  async setTrim(clip: Clip, trim: { start: number; end: number; originalDuration: number }, files: { media: string; thumbnail?: string }): Promise<ClipMeta> {
    const [media, thumb] = this.cutPaths(clip);
    // Only temporary files of this clip's folder are taken (and removed if refused).
    for (const f of [files.media, files.thumbnail ?? files.media])
      if (path.dirname(this.resolve(f)) !== path.dirname(media) || !TEMP_FILE_RE.test(path.basename(f)))
        throw new Error('clip meta store: not a cut of this folder');
    try {
      if (!(trim.start >= 0 && trim.end > trim.start && trim.originalDuration >= 0)) throw new Error('clip meta store: bad trim range');
      const install = async () => {
        await rename(files.media, media);
        await (files.thumbnail ? rename(files.thumbnail, thumb) : removeFile(thumb));
        await fsync(path.dirname(media)).catch(() => {}); // best effort: not every platform can sync a folder
      };
      return await this.edit(
        clip,
        async (m) => {
          await fsync(files.media);
          if (files.thumbnail) await fsync(files.thumbnail);
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
    return this.edit(clip, edit, () => this.removeCuts(clip));
  }

  /** The cut file serving the clip's media or thumbnail, when it is trimmed. */
  cutFile(clip: Clip, kind: 'media' | 'thumbnail'): string | undefined {
    const m = this.current(clip);
    if (!m?.trim || clip.status !== 'ready' || (kind === 'thumbnail' && !m.trim.thumbnail)) return undefined;
    return this.cutPaths(m)[kind === 'media' ? 0 : 1];
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
      await this.removeFiles(m);
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
        await this.removeFiles(old);
      }
      await mkdir(this.resolve(m.sessionId), { recursive: true });
      await writeAtomic(this.metaFile(m), serialize(m));
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

  /** Metadata first (so nothing names the cuts), then the cuts. */
  private async removeFiles(m: ClipMeta) {
    await removeFile(this.metaFile(m));
    await this.removeCuts(m);
  }

  private async removeCuts(m: ClipIds) {
    for (const f of this.cutPaths(m)) await removeFile(f);
  }

  /** The cut video and its thumbnail. */
  private cutPaths(m: ClipIds): [string, string] {
    checkIds(m);
    return [this.resolve(m.sessionId, `${m.id}.cut.mp4`), this.resolve(m.sessionId, `${m.id}.cut.jpg`)];
  }

  private metaFile(m: ClipIds): string {
    checkIds(m);
    return this.resolve(m.sessionId, `${m.id}.json`);
  }

  private async cutIntact(m: ClipMeta): Promise<boolean> {
    const [media, thumb] = this.cutPaths(m);
    try {
      if ((await stat(media)).size !== m.trim!.bytes) return false;
      if (m.trim!.thumbnail) await stat(thumb);
      return true;
    } catch {
      return false;
    }
  }

  /** One metadata file, checked against its schema and its file name; undefined if anything is off. */
  private async readMeta(sessionId: string, id: string): Promise<ClipMeta | undefined> {
    const raw = await readFile(this.resolve(sessionId, `${id}.json`), 'utf8');
    const j: unknown = raw.length <= 16 * 1024 ? JSON.parse(raw) : undefined;
    if (!Value.Check(MetaFile, j) || j.id !== id || j.sessionId !== sessionId) return undefined;
    if ((j.name !== undefined && normalizeClipName(j.name) !== j.name) || (j.trim && j.trim.end <= j.trim.start)) return undefined;
    const { version: _version, ...meta } = j;
    return meta;
  }

  /** An absolute path under `dir`; throws if the parts would lead anywhere else. */
  private resolve(...parts: string[]): string {
    const p = path.resolve(this.dir, ...parts);
    if (!p.startsWith(this.dir + path.sep)) throw new Error(`clip meta store: path outside ${this.dir}`);
    return p;
  }
}
