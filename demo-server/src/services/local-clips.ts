// Clips the reference server makes itself (cut from a room's replay buffer), kept on disk beside OpenVidu's
// recordings: `<dir>/<room>/<id>.json` (the clip), `<id>.mp4` (its media) and `<id>.jpg` (its thumbnail). The gateway
// serves them as ordinary clips.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Value } from 'typebox/value';
import { LOCAL_CLIP_ID_PATTERN, SESSION_ID_PATTERN } from '../schemas/common.js';
import type { Clip } from '../schemas/clips.js';
import { errors } from '../errors.js';
import { removeFile, syncDir, writeAtomic } from './atomic-file.js';
import { CLIP_FILE_RE, ClipFile, MAX_CLIP_FILE_BYTES, moveFile, type StoredClip } from './local-clip-files.js';

/** The OpenVidu recording name of a room's rolling buffer recording: never shown as a clip. */
export const BUFFER_RECORDING_NAME = 'replay~buffer';

const LOCAL_ID_RE = new RegExp(LOCAL_CLIP_ID_PATTERN);
const SESSION_ID_RE = new RegExp(SESSION_ID_PATTERN);
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 8;

/** Is this a clip id of a local clip (`<room>~r<8 chars>`)? */
export function isLocalClipId(id: string): boolean {
  return typeof id === 'string' && LOCAL_ID_RE.test(id);
}

export interface LocalClipsOptions {
  /** Root folder (`<dataDir>/replay-clips`); created when missing. */
  dir: string;
  /** Base path of the public API, for the clips' media URLs (default `/api`). */
  apiBase?: string;
}

/**
 * Local clips: created `recording` or `processing`, then `finish`ed (ready, with its files) or `fail`ed. Each change is
 * written atomically before it is answered; changes to one clip run one at a time. Ids are checked against their
 * pattern and every path is checked to stay inside `dir`.
 */
export class LocalClips {
  readonly dir: string;
  private readonly apiBase: string;
  private readonly clips = new Map<string, StoredClip>();
  /** The last write of each clip, so that writes to one clip land in order. */
  private readonly writes = new Map<string, Promise<unknown>>();

  constructor(opts: LocalClipsOptions) {
    this.dir = path.resolve(opts.dir);
    this.apiBase = opts.apiBase ?? '/api';
  }

  /** Read every clip from disk; remove leftovers of interrupted writes and files no clip owns. */
  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.clips.clear();
    for (const s of await readdir(this.dir, { withFileTypes: true })) {
      if (!s.isDirectory() || !SESSION_ID_RE.test(s.name)) continue;
      const folder = this.resolve(s.name);
      const names = await readdir(folder).catch(() => [] as string[]);
      for (const name of names) {
        const m = CLIP_FILE_RE.exec(name);
        if (!m || m[2] !== 'json') continue;
        const clip = await this.readClip(s.name, m[1]).catch(() => undefined);
        if (!clip) continue;
        if (clip.status === 'ready' && !(await this.mediaIntact(clip))) {
          Object.assign(clip, { status: 'failed', error: 'The clip file is missing', size: 0, thumbnail: false });
          await this.persist(clip);
        }
        this.clips.set(clip.id, clip);
      }
      for (const name of names) {
        const m = CLIP_FILE_RE.exec(name);
        const owner = m && this.clips.get(m[1]);
        const used = m && owner?.sessionId === s.name && (m[2] === 'json' || (owner.status === 'ready' && (m[2] === 'mp4' || owner.thumbnail)));
        if (!used) await removeFile(path.join(folder, name));
      }
      await rmdir(folder).catch(() => {}); // only if empty
    }
  }

  /** A new clip id for the room, `<room>~r<8 chars [a-z0-9]>`, unused here. */
  newId(sessionId: string): string {
    if (typeof sessionId !== 'string' || !SESSION_ID_RE.test(sessionId)) throw new Error('local clips: bad session id');
    for (;;) {
      let suffix = '';
      while (suffix.length < ID_LENGTH) {
        for (const b of randomBytes(ID_LENGTH * 2)) {
          // 252 = 7 × 36: bytes above it would make the first letters likelier
          if (b < 252 && suffix.length < ID_LENGTH) suffix += ID_ALPHABET[b % ID_ALPHABET.length];
        }
      }
      const id = `${sessionId}~r${suffix}`;
      if (!this.clips.has(id)) return id;
    }
  }

  /** Record a new clip (its files come with `finish`). */
  async create(c: {
    sessionId: string;
    name?: string;
    status: 'recording' | 'processing';
    createdAt: number;
    hasAudio: boolean;
    hasVideo: boolean;
  }): Promise<Clip> {
    const clip: StoredClip = {
      id: this.newId(c.sessionId),
      sessionId: c.sessionId,
      name: c.name ?? '',
      status: c.status,
      createdAt: Math.max(1, Math.round(c.createdAt)),
      duration: 0,
      size: 0,
      hasAudio: c.hasAudio,
      hasVideo: c.hasVideo,
      thumbnail: false,
    };
    if (!Value.Check(ClipFile, { version: 1, ...clip })) throw new Error('local clips: bad clip');
    this.clips.set(clip.id, clip); // taken at once: a second newId cannot give it
    try {
      await this.serial(clip.id, () => this.persist(clip));
    } catch (err) {
      this.clips.delete(clip.id);
      throw err;
    }
    return this.toClip(clip);
  }

  /** The clip is ready: its media (and thumbnail) are moved in, its size read from the file. */
  finish(id: string, files: { media: string; thumbnail?: string }, facts: { duration: number; recovered?: boolean }): Promise<Clip> {
    return this.serial(id, async () => {
      const clip = this.existing(id);
      const media = this.resolve(clip.sessionId, `${id}.mp4`);
      await mkdir(path.dirname(media), { recursive: true });
      await moveFile(files.media, media);
      let thumbnail = false;
      if (files.thumbnail) {
        await moveFile(files.thumbnail, this.resolve(clip.sessionId, `${id}.jpg`));
        thumbnail = true;
      }
      const { size } = await stat(media);
      await syncDir(path.dirname(media)); // the files before the JSON that names them
      const next: StoredClip = { ...clip, status: 'ready', size, thumbnail, duration: Math.max(0, Math.round(facts.duration * 100) / 100) };
      delete next.error;
      if (facts.recovered) next.recovered = true;
      return this.commit(next);
    });
  }

  /** The clip could not be made. */
  fail(id: string, error: string): Promise<Clip> {
    return this.serial(id, async () => {
      const clip = this.existing(id);
      return this.commit({ ...clip, status: 'failed', error: String(error).slice(0, 400) || 'The clip could not be made' });
    });
  }

  /** The clip as stored (the gateway applies the clip metadata), or undefined. */
  get(id: string): Clip | undefined {
    const clip = typeof id === 'string' ? this.clips.get(id) : undefined;
    return clip && this.toClip(clip);
  }

  /** Every clip, or the room's, newest first. */
  list(sessionId?: string): Clip[] {
    return [...this.clips.values()]
      .filter((c) => sessionId === undefined || c.sessionId === sessionId)
      .sort((a, b) => b.createdAt - a.createdAt || (b.id > a.id ? 1 : -1))
      .map((c) => this.toClip(c));
  }

  /** The room's clip being recorded, if any. */
  recordingIn(sessionId: string): Clip | undefined {
    for (const c of this.clips.values()) if (c.sessionId === sessionId && c.status === 'recording') return this.toClip(c);
    return undefined;
  }

  /** Remove a clip and its files; false when there was none. */
  delete(id: string): Promise<boolean> {
    if (!isLocalClipId(id) || !this.clips.has(id)) return Promise.resolve(false);
    return this.serial(id, async () => {
      const clip = this.clips.get(id);
      if (!clip) return false;
      this.clips.delete(id);
      // The JSON first: nothing names the files any more, and `load` removes any left behind.
      for (const ext of ['json', 'mp4', 'jpg']) await removeFile(this.resolve(clip.sessionId, `${id}.${ext}`));
      await rmdir(this.resolve(clip.sessionId)).catch(() => {});
      return true;
    });
  }

  /** The clip's media or thumbnail file, when the clip is ready and has it. */
  filePath(id: string, kind: 'media' | 'thumbnail'): string | undefined {
    const clip = isLocalClipId(id) ? this.clips.get(id) : undefined;
    if (!clip || clip.status !== 'ready' || (kind === 'thumbnail' && !clip.thumbnail)) return undefined;
    return this.resolve(clip.sessionId, `${id}.${kind === 'media' ? 'mp4' : 'jpg'}`);
  }

  private toClip(c: StoredClip): Clip {
    const id = encodeURIComponent(c.id);
    const clip: Clip = {
      id: c.id,
      sessionId: c.sessionId,
      name: c.name,
      status: c.status,
      createdAt: c.createdAt,
      duration: c.duration,
      size: c.size,
      hasAudio: c.hasAudio,
      hasVideo: c.hasVideo,
      mediaUrl: `${this.apiBase}/clips/${id}/media`,
      thumbnailUrl: `${this.apiBase}/clips/${id}/thumbnail`,
    };
    if (c.error !== undefined) clip.error = c.error;
    if (c.recovered) clip.recovered = true;
    return clip;
  }

  private existing(id: string): StoredClip {
    const clip = isLocalClipId(id) ? this.clips.get(id) : undefined;
    if (!clip) throw errors.notFound('clip', id);
    return clip;
  }

  /** Write, then make it the clip in memory. */
  private async commit(next: StoredClip): Promise<Clip> {
    await this.persist(next);
    this.clips.set(next.id, next);
    return this.toClip(next);
  }

  private async persist(c: StoredClip): Promise<void> {
    const folder = this.resolve(c.sessionId);
    await mkdir(folder, { recursive: true });
    await writeAtomic(this.resolve(c.sessionId, `${c.id}.json`), `${JSON.stringify({ version: 1, ...c })}\n`);
  }

  /** Run `fn` after the clip's previous write; the chain entry goes when it is the last. */
  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const before = this.writes.get(id) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => {});
    this.writes.set(id, tail);
    void tail.then(() => {
      if (this.writes.get(id) === tail) this.writes.delete(id);
    });
    return run;
  }

  private async mediaIntact(c: StoredClip): Promise<boolean> {
    try {
      if ((await stat(this.resolve(c.sessionId, `${c.id}.mp4`))).size !== c.size) return false;
      if (c.thumbnail) await stat(this.resolve(c.sessionId, `${c.id}.jpg`));
      return true;
    } catch {
      return false;
    }
  }

  /** One clip file, checked against its schema and its file name; undefined if anything is off. */
  private async readClip(sessionId: string, id: string): Promise<StoredClip | undefined> {
    const raw = await readFile(this.resolve(sessionId, `${id}.json`), 'utf8');
    const j: unknown = raw.length <= MAX_CLIP_FILE_BYTES ? JSON.parse(raw) : undefined;
    if (!Value.Check(ClipFile, j) || j.id !== id || j.sessionId !== sessionId || !id.startsWith(`${sessionId}~r`)) return undefined;
    const { version: _version, ...clip } = j;
    return clip;
  }

  /** An absolute path under `dir`; throws if the parts would lead anywhere else. */
  private resolve(...parts: string[]): string {
    const p = path.resolve(this.dir, ...parts);
    if (!p.startsWith(this.dir + path.sep)) throw new Error(`local clips: path outside ${this.dir}`);
    return p;
  }
}
