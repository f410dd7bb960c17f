// One room's replay buffer as held in memory: its segments, the recording running, and what must wait for what.
import type { Replay } from '../schemas/replay.js';
import type { Segment } from './replay-segments.js';

export interface Room {
  id: string;
  dir: string;
  /** Completed, downloaded segments, oldest first. */
  segments: Segment[];
  /** The buffer recording running, and when its start answered. */
  current?: { id: string; startedAt: number };
  /** A start in flight (after a rotation it runs in the background). */
  starting?: Promise<void>;
  /** Running user clips (id → createdAt): the segments they overlap are kept. */
  pins: Map<string, number>;
  /** Segments a cut reads (id → readers), and the cuts' completions, awaited before the folder goes. */
  inUse: Map<string, number>;
  busy: Set<Promise<void>>;
  lock: Promise<unknown>;
  timer?: NodeJS.Timeout;
  /** Set when the buffer starts ending: it then answers as `off`. */
  ended?: Promise<void>;
  published: Replay['state'];
}

export const newRoom = (id: string, dir: string): Room => ({
  id,
  dir,
  segments: [],
  pins: new Map(),
  inUse: new Map(),
  busy: new Set(),
  lock: Promise.resolve(),
  published: 'off',
});

/** Run `fn` alone among the room's operations (rotation, supervisor, clips, end), in the order asked. */
export function locked<T>(room: Room, fn: () => Promise<T>): Promise<T> {
  const run = room.lock.then(fn);
  room.lock = run.catch(() => {});
  return run;
}

/** Mark `segments` as read by a cut until the returned function is called (then `released` runs). */
export function useSegments(room: Room, segments: readonly Segment[], released: () => void): () => void {
  for (const s of segments) room.inUse.set(s.id, (room.inUse.get(s.id) ?? 0) + 1);
  let done!: () => void;
  const p = new Promise<void>((r) => (done = r));
  room.busy.add(p);
  let once = false;
  return () => {
    if (once) return;
    once = true;
    for (const s of segments) {
      const n = (room.inUse.get(s.id) ?? 1) - 1;
      if (n > 0) room.inUse.set(s.id, n);
      else room.inUse.delete(s.id);
    }
    room.busy.delete(p);
    done();
    released();
  };
}
