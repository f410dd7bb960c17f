import type { Clip, ClipShare } from '../../src/types.js';
import { ClipsClient } from '../internal/core.js';

/** What `<ov-clip-list>` needs from the clips client (REST + live updates). */
export interface ClipFeed {
  /** The session's clips, from the first look of the live updates (SSE, else polling), which follow from then on. */
  list(): Promise<Clip[]>;
  remove(id: string): Promise<void>;
  rename(id: string, name: string): Promise<Clip>;
  /** Serves the clip as the cut [start, end] of its original (seconds). */
  trim(id: string, start: number, end: number): Promise<Clip>;
  /** Undoes a trim. */
  restore(id: string): Promise<Clip>;
  /** A signed link to the clip's watch page, valid `expiresIn` seconds (the server's default when absent). */
  share(id: string, expiresIn?: number): Promise<ClipShare>;
  /** Live updates: a clip changed status (or appeared); a clip was deleted; a clip was edited. Returns `off`. */
  onClip(fn: (clip: Clip) => void): () => void;
  onDeleted(fn: (id: string) => void): () => void;
  onUpdated(fn: (clip: Clip) => void): () => void;
  close(): void;
}

/**
 * A feed whose first list is the one live updates start with: one request, and nothing missed in between. Its writes
 * carry the access pass `access` answers at each one, if any.
 */
export function createClipFeed(api: string, session: string, access?: () => string | undefined): ClipFeed {
  const c = new ClipsClient(session, { api, access });
  return {
    list: () =>
      new Promise((resolve, reject) => {
        const offs = [c.on('clips', (e) => settle(resolve, e.clips)), c.on('error', (e) => settle(reject, e.error))];
        const settle = <T>(fn: (v: T) => void, v: T) => {
          offs.forEach((off) => off());
          fn(v);
        };
        c.subscribe();
      }),
    remove: c.delete.bind(c),
    rename: c.rename.bind(c),
    trim: c.trim.bind(c),
    restore: c.restore.bind(c),
    share: c.share.bind(c),
    onClip: (fn) => c.on('clip', (e) => fn(e.clip)),
    onDeleted: (fn) => c.on('clipDeleted', (e) => fn(e.id)),
    onUpdated: (fn) => c.on('clipUpdated', (e) => fn(e.clip)),
    close: c.close.bind(c),
  };
}

/** `url` (resolved against `api`), with `?v=<updatedAt>` while the clip is trimmed, so caches fetch the cut. */
export function clipUrl(url: string, api: string, clip: Clip): string {
  const u = new URL(url, new URL(api, location.href));
  if (clip.trim) u.searchParams.set('v', String(clip.updatedAt ?? 0));
  return u.href;
}

/**
 * `clip` (a status change) merged over `old`: an edit `old` knows that is newer than the one `clip` carries stays
 * (statuses and edits travel on different channels, and may cross).
 */
export function mergeClip(old: Clip | undefined, clip: Clip): Clip {
  const keep =
    old && (clip.updatedAt ?? 0) < (old.updatedAt ?? 0)
      ? { name: old.name, trim: old.trim, originalDuration: old.originalDuration, updatedAt: old.updatedAt, ...(old.trim && { duration: old.duration }) }
      : {};
  return { ...old, ...clip, ...keep };
}
