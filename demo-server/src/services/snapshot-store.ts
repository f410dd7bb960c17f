import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { SESSION_ID_PATTERN, SNAPSHOT_ID_PATTERN } from '../schemas/common.js';
import { SNAPSHOT_NAME_MAX, SNAPSHOT_NAME_PATTERN, STREAM_ID_PATTERN, type Snapshot } from '../schemas/snapshots.js';
import { syncDir, writeAtomic } from './atomic-file.js';
import { extensionOf, imageTooLarge, imageTypeOf, sniffImage, type ImageContentType, type ImageLimits } from './image-info.js';

export interface SnapshotStoreOptions {
  /** Root folder; created when missing. */
  dir: string;
  /** Largest image accepted, bytes. */
  maxBytes: number;
  /** Largest image accepted, pixels; unset: any size a header can declare. */
  maxImage?: ImageLimits;
}

export interface SaveSnapshotOptions {
  name?: string;
  streamId?: string;
}

/** Why `save` refused the input (the route turns these into 4xx answers). */
export type SnapshotRejection =
  | 'invalid-input' // session id, name or stream id outside their patterns
  | 'empty' // no bytes
  | 'too-large' // over maxBytes
  | 'unsupported' // not JPEG, PNG or WebP by magic bytes
  | 'unreadable' // JPEG/PNG/WebP magic, but no width/height in the header
  | 'too-many-pixels'; // a width, height or pixel count over maxImage

export class SnapshotRejectedError extends Error {
  constructor(
    readonly reason: SnapshotRejection,
    message: string,
  ) {
    super(message);
    this.name = 'SnapshotRejectedError';
  }
}

interface Entry {
  snapshot: Snapshot;
  file: string;
}

const SESSION_ID_RE = new RegExp(SESSION_ID_PATTERN);
const SNAPSHOT_ID_RE = new RegExp(SNAPSHOT_ID_PATTERN);
const NAME_RE = new RegExp(SNAPSHOT_NAME_PATTERN, 'u');
const STREAM_ID_RE = new RegExp(STREAM_ID_PATTERN);
const CONTENT_TYPES: readonly ImageContentType[] = ['image/jpeg', 'image/png', 'image/webp'];
/** Files this store writes: `<id>.<ext>`, `<id>.json`, and their temporary `.<id>.<ext|json>.<random>.tmp`. */
const IMAGE_FILE_RE = /^(snap_[A-Za-z0-9]{16})\.(jpg|png|webp)$/;
const META_FILE_RE = /^(snap_[A-Za-z0-9]{16})\.json$/;
const TEMP_FILE_RE = /^\.snap_[A-Za-z0-9]{16}\.(jpg|png|webp|json)\.[a-f0-9]{8,32}\.tmp$/;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const isNameOk = (name: string) => NAME_RE.test(name) && [...name].length <= SNAPSHOT_NAME_MAX;
const isSize = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;

/** `snap_` + 16 uniformly random letters and digits (rejection sampling: no modulo bias). */
function newSnapshotId(): string {
  let id = '';
  while (id.length < 16) {
    for (const byte of randomBytes(24)) {
      if (byte < 248 && id.length < 16) id += ALPHANUMERIC[byte % 62]; // 248 = 4 × 62
    }
  }
  return `snap_${id}`;
}

function defaultName(createdAt: number): string {
  return `Snapshot ${new Date(createdAt).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const isNotFound = (err: unknown) => (err as NodeJS.ErrnoException)?.code === 'ENOENT';

/**
 * Snapshots on disk: `<dir>/<sessionId>/<id>.<ext>` (the image) and `<dir>/<sessionId>/<id>.json` (its metadata),
 * with an in-memory index rebuilt by `load()`. Each file is written to a temporary name and renamed, the image
 * before the metadata, so a crash can leave an image without metadata (cleaned up by the next `load()`) but never
 * metadata without its image. File names come from the server-generated id only; ids and session ids are
 * checked against their patterns and every path is checked to stay inside `dir`.
 */
export class SnapshotStore {
  readonly dir: string;
  readonly maxBytes: number;
  readonly maxImage?: ImageLimits;
  private readonly byId = new Map<string, Entry>();
  private readonly bySession = new Map<string, Map<string, Entry>>();
  /** Ids being written, so two parallel saves can never pick the same one. */
  private readonly pending = new Set<string>();
  private lastCreatedAt = 0;

  constructor(opts: SnapshotStoreOptions) {
    this.dir = path.resolve(opts.dir);
    this.maxBytes = opts.maxBytes;
    this.maxImage = opts.maxImage;
  }

  /** Rebuild the index from disk. Entries that are incomplete or inconsistent are skipped; leftovers of an interrupted save are removed. */
  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.byId.clear();
    this.bySession.clear();
    const sessions = await readdir(this.dir, { withFileTypes: true });
    for (const s of sessions) {
      if (!s.isDirectory() || !SESSION_ID_RE.test(s.name)) continue;
      const sessionDir = this.resolve(s.name);
      let names: string[];
      try {
        names = await readdir(sessionDir);
      } catch {
        continue;
      }
      const metaIds = new Set<string>();
      for (const name of names) {
        const m = META_FILE_RE.exec(name);
        if (!m) continue;
        metaIds.add(m[1]);
        const entry = await this.readEntry(s.name, m[1]).catch(() => undefined);
        if (entry) this.insert(entry);
      }
      for (const name of names) {
        const image = IMAGE_FILE_RE.exec(name);
        // A temporary file, or an image whose metadata was never written: what an interrupted save leaves.
        if (TEMP_FILE_RE.test(name) || (image && !metaIds.has(image[1]))) await unlink(path.join(sessionDir, name)).catch(() => {});
      }
    }
  }

  /** Validate, sniff and store an image. Throws `SnapshotRejectedError` for bad input, other errors for I/O failures. */
  async save(sessionId: string, bytes: Uint8Array, opts: SaveSnapshotOptions = {}): Promise<Snapshot> {
    if (typeof sessionId !== 'string' || !SESSION_ID_RE.test(sessionId)) throw new SnapshotRejectedError('invalid-input', 'Invalid session id');
    const name = opts.name === undefined ? '' : opts.name;
    if (typeof name !== 'string' || !isNameOk(name))
      throw new SnapshotRejectedError('invalid-input', `The name must be text of at most ${SNAPSHOT_NAME_MAX} characters without control characters`);
    const streamId = opts.streamId ?? '';
    if (typeof streamId !== 'string' || (streamId !== '' && !STREAM_ID_RE.test(streamId)))
      throw new SnapshotRejectedError('invalid-input', 'Invalid stream id');
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new SnapshotRejectedError('empty', 'The image is empty');
    if (bytes.length > this.maxBytes) throw new SnapshotRejectedError('too-large', `The image is larger than ${this.maxBytes} bytes`);
    if (!imageTypeOf(bytes)) throw new SnapshotRejectedError('unsupported', 'Only JPEG, PNG and WebP images are accepted');
    const info = sniffImage(bytes);
    if (!info) throw new SnapshotRejectedError('unreadable', 'The image header is damaged: its width and height cannot be read');
    const tooLarge = this.maxImage && imageTooLarge(info, this.maxImage);
    if (tooLarge) throw new SnapshotRejectedError('too-many-pixels', tooLarge);

    let id: string;
    do id = newSnapshotId();
    while (this.byId.has(id) || this.pending.has(id));
    this.pending.add(id);
    const sessionDir = this.resolve(sessionId);
    const imageFile = this.resolve(sessionId, `${id}.${info.ext}`);
    const metaFile = this.resolve(sessionId, `${id}.json`);
    try {
      // Strictly increasing, so "newest first" is a total order that survives a restart.
      const createdAt = Math.max(Date.now(), this.lastCreatedAt + 1);
      this.lastCreatedAt = createdAt;
      const snapshot: Snapshot = {
        id,
        sessionId,
        name: name.trim() || defaultName(createdAt),
        streamId,
        contentType: info.contentType,
        size: bytes.length,
        width: info.width,
        height: info.height,
        createdAt,
        url: `/api/snapshots/${id}`,
      };
      await mkdir(sessionDir, { recursive: true });
      await writeAtomic(imageFile, bytes);
      await syncDir(sessionDir);
      const { url: _url, ...meta } = snapshot;
      await writeAtomic(metaFile, `${JSON.stringify({ version: 1, ...meta })}\n`);
      const entry = { snapshot, file: imageFile };
      this.insert(entry);
      return { ...snapshot };
    } catch (err) {
      await unlink(metaFile).catch(() => {});
      await unlink(imageFile).catch(() => {});
      throw err;
    } finally {
      this.pending.delete(id);
    }
  }

  /** The session's snapshots, newest first. */
  list(sessionId: string): Snapshot[] {
    if (typeof sessionId !== 'string' || !SESSION_ID_RE.test(sessionId)) return [];
    const entries = [...(this.bySession.get(sessionId)?.values() ?? [])];
    entries.sort((a, b) => b.snapshot.createdAt - a.snapshot.createdAt || (a.snapshot.id < b.snapshot.id ? 1 : a.snapshot.id > b.snapshot.id ? -1 : 0));
    return entries.map((e) => ({ ...e.snapshot }));
  }

  /** A snapshot and the absolute path of its image. */
  get(id: string): { snapshot: Snapshot; file: string } | undefined {
    if (typeof id !== 'string' || !SNAPSHOT_ID_RE.test(id)) return undefined;
    const e = this.byId.get(id);
    return e && { snapshot: { ...e.snapshot }, file: e.file };
  }

  /** Remove a snapshot (metadata first, then the image). `false` when there is no such snapshot. */
  async delete(id: string): Promise<boolean> {
    if (typeof id !== 'string' || !SNAPSHOT_ID_RE.test(id)) return false;
    const entry = this.byId.get(id);
    if (!entry) return false;
    this.remove(entry); // at once, so a parallel delete of the same id answers false and reads answer 404
    const { sessionId } = entry.snapshot;
    try {
      await unlink(this.resolve(sessionId, `${id}.json`));
    } catch (err) {
      if (!isNotFound(err)) {
        this.insert(entry); // still on disk: still there
        throw err;
      }
    }
    // Without its metadata the image is unreachable; if this fails the next load() removes it.
    await unlink(entry.file).catch(() => {});
    return true;
  }

  /** An absolute path under `dir`; throws if the parts would lead anywhere else. */
  private resolve(...parts: string[]): string {
    const p = path.resolve(this.dir, ...parts);
    if (!p.startsWith(this.dir + path.sep)) throw new Error(`snapshot store: path outside ${this.dir}`);
    return p;
  }

  private insert(entry: Entry): void {
    const { id, sessionId, createdAt } = entry.snapshot;
    this.byId.set(id, entry);
    let m = this.bySession.get(sessionId);
    if (!m) this.bySession.set(sessionId, (m = new Map()));
    m.set(id, entry);
    if (createdAt > this.lastCreatedAt) this.lastCreatedAt = createdAt;
  }

  private remove(entry: Entry): void {
    const { id, sessionId } = entry.snapshot;
    this.byId.delete(id);
    const m = this.bySession.get(sessionId);
    m?.delete(id);
    if (m && m.size === 0) this.bySession.delete(sessionId);
  }

  /** One entry from its metadata file, checked against the file names and the image on disk; undefined if anything is off. */
  private async readEntry(sessionId: string, id: string): Promise<Entry | undefined> {
    const raw = await readFile(this.resolve(sessionId, `${id}.json`), 'utf8');
    if (raw.length > 64 * 1024) return undefined;
    const m = JSON.parse(raw) as Record<string, unknown>;
    if (!m || typeof m !== 'object' || m.version !== 1) return undefined;
    if (m.id !== id || m.sessionId !== sessionId) return undefined;
    const contentType = m.contentType as ImageContentType;
    if (!CONTENT_TYPES.includes(contentType)) return undefined;
    if (typeof m.name !== 'string' || !isNameOk(m.name)) return undefined;
    if (typeof m.streamId !== 'string' || (m.streamId !== '' && !STREAM_ID_RE.test(m.streamId))) return undefined;
    if (!isSize(m.size) || !isSize(m.width) || !isSize(m.height) || !isSize(m.createdAt)) return undefined;
    const file = this.resolve(sessionId, `${id}.${extensionOf(contentType)}`);
    const st = await stat(file);
    if (!st.isFile() || st.size !== m.size) return undefined;
    const snapshot: Snapshot = {
      id,
      sessionId,
      name: m.name,
      streamId: m.streamId,
      contentType,
      size: m.size,
      width: m.width,
      height: m.height,
      createdAt: m.createdAt,
      url: `/api/snapshots/${id}`,
    };
    return { snapshot, file };
  }
}
