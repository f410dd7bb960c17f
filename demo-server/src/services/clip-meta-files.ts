import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { CLIP_ID_PATTERN, SESSION_ID_PATTERN } from '../schemas/common.js';
import type { Clip } from '../schemas/clips.js';
import { removeFile, writeAtomic } from './atomic-file.js';
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

export type ClipIds = Pick<Clip, 'id' | 'sessionId'>;

const SESSION_ID_RE = new RegExp(SESSION_ID_PATTERN);
export const CLIP_ID_RE = new RegExp(CLIP_ID_PATTERN);
const ID = '[A-Za-z0-9_-]{1,64}(?:~[0-9]{1,6}|~r[a-z0-9]{8})?';
const META_FILE_RE = new RegExp(`^(${ID})\\.json$`);
const CUT_FILE_RE = new RegExp(`^(${ID})\\.cut\\.(mp4|jpg)$`);
/** `.<clipId>.<label>.<16 hex>.tmp`: what an interrupted write or cut leaves. */
const LABEL = '[a-z0-9]{1,8}(?:\\.[a-z0-9]{1,8})?';
const TEMP_FILE_RE = new RegExp(`^\\.${ID}\\.${LABEL}\\.[a-f0-9]{16}\\.tmp$`);
const LABEL_RE = new RegExp(`^${LABEL}$`);

const serialize = (m: ClipMeta) => `${JSON.stringify({ version: 1, ...m })}\n`;

export function checkIds(clip: ClipIds) {
  if (typeof clip.id !== 'string' || !CLIP_ID_RE.test(clip.id)) throw new Error('clip meta store: bad clip id');
  if (typeof clip.sessionId !== 'string' || !SESSION_ID_RE.test(clip.sessionId)) throw new Error('clip meta store: bad session id');
}

/**
 * The clip meta store's files: `<dir>/<sessionId>/<clipId>.json` (name, trim, share salt), and while trimmed the cut
 * `<clipId>.cut.mp4` and its thumbnail `<clipId>.cut.jpg`. Every file is written under a temporary name and renamed;
 * `load()` removes what an interrupted write leaves. Ids are checked against their patterns and every path is checked
 * to stay inside `dir`.
 */
export class ClipMetaFiles {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  /** Refill `index` from disk; remove leftovers of interrupted writes and cuts no metadata refers to. */
  async load(index: Map<string, ClipMeta>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    index.clear();
    for (const s of await readdir(this.dir, { withFileTypes: true })) {
      if (!s.isDirectory() || !SESSION_ID_RE.test(s.name)) continue;
      const sessionDir = this.resolve(s.name);
      const names = await readdir(sessionDir).catch(() => [] as string[]);
      for (const name of names) {
        const m = META_FILE_RE.exec(name);
        const meta = m && (await this.readMeta(s.name, m[1]).catch(() => undefined));
        if (!meta || index.has(meta.id)) continue;
        if (meta.trim && !(await this.cutIntact(meta))) {
          delete meta.trim; // a trim interrupted by a crash: the clip is its original again
          await writeAtomic(this.metaFile(meta), serialize(meta));
        }
        index.set(meta.id, meta);
      }
      for (const name of names) {
        const cut = CUT_FILE_RE.exec(name);
        const owner = cut && index.get(cut[1]);
        const used = owner?.sessionId === s.name && owner.trim && (cut![2] === 'mp4' || owner.trim.thumbnail);
        if (TEMP_FILE_RE.test(name) || (cut && !used)) await removeFile(path.join(sessionDir, name));
      }
      await rmdir(sessionDir).catch(() => {}); // only if empty
    }
  }

  /** Write the clip's metadata file (creating the room's folder). */
  async writeMeta(m: ClipMeta): Promise<void> {
    await mkdir(this.resolve(m.sessionId), { recursive: true });
    await writeAtomic(this.metaFile(m), serialize(m));
  }

  /** A temporary file in the clip's folder (`label`: what it is, e.g. `src`); `load()` removes it after a crash. */
  async tempPath(clip: ClipIds, label: string): Promise<string> {
    checkIds(clip);
    if (!LABEL_RE.test(label)) throw new Error(`clip meta store: bad temporary label ${label}`);
    const file = this.resolve(clip.sessionId, `.${clip.id}.${label}.${randomBytes(8).toString('hex')}.tmp`);
    await mkdir(path.dirname(file), { recursive: true });
    return file;
  }

  /** Whether `file` is a temporary file (`tempPath`) in the folder of `sibling`; throws if it is outside `dir`. */
  isTempBeside(sibling: string, file: string): boolean {
    return path.dirname(this.resolve(file)) === path.dirname(sibling) && TEMP_FILE_RE.test(path.basename(file));
  }

  /** The cut video and its thumbnail. */
  cutPaths(m: ClipIds): [string, string] {
    checkIds(m);
    return [this.resolve(m.sessionId, `${m.id}.cut.mp4`), this.resolve(m.sessionId, `${m.id}.cut.jpg`)];
  }

  /** Metadata first (so nothing names the cuts), then the cuts. */
  async remove(m: ClipIds): Promise<void> {
    await removeFile(this.metaFile(m));
    await this.removeCuts(m);
  }

  async removeCuts(m: ClipIds): Promise<void> {
    for (const f of this.cutPaths(m)) await removeFile(f);
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
