import type { Clip } from '../../src/types.js';
import { ClipsClient } from '../internal/core.js';

/** What `<ov-clip-list>` needs from the clips client (REST + live updates). */
export interface ClipFeed {
  /** The session's clips, from the first look of the live updates (SSE, else polling), which follow from then on. */
  list(): Promise<Clip[]>;
  remove(id: string): Promise<void>;
  /** Live updates: a clip changed status (or appeared); a clip was deleted. Returns `off`. */
  onClip(fn: (clip: Clip) => void): () => void;
  onDeleted(fn: (id: string) => void): () => void;
  close(): void;
}

/** A feed whose first list is the one live updates start with: one request, and nothing missed in between. */
export function createClipFeed(api: string, session: string): ClipFeed {
  const c = new ClipsClient(session, { api });
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
    remove: (id) => c.delete(id),
    onClip: (fn) => c.on('clip', (e) => fn(e.clip)),
    onDeleted: (fn) => c.on('clipDeleted', (e) => fn(e.id)),
    close: () => c.close(),
  };
}
