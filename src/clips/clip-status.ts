import type { Clip, ClipStatus } from '../types.js';

/** A clip's status as a reducer sees it: the server's four, and `deleted`. */
export type ClipState = ClipStatus | 'deleted';

// recording → processing → ready | failed; deletion after anything. Equal ranks are alternatives, not steps.
const RANK: Record<ClipState, number> = { recording: 0, processing: 1, ready: 2, failed: 2, deleted: 3 };

/**
 * The one rule for a clip's status, wherever news of it arrives (our own calls, signals, SSE, webhooks, lists):
 * it only moves forward. `ready` and `failed` are final, and so is deletion; a late `processing` after `ready`, or a
 * second `ready`, is no news. Returns the status to adopt, or undefined when `next` changes nothing.
 */
export function advanceClipStatus(prev: ClipState | undefined, next: ClipState): ClipState | undefined {
  if (!Object.hasOwn(RANK, next)) return undefined;
  return prev === undefined || RANK[next] > RANK[prev] ? next : undefined;
}

/**
 * Last known status per clip id, moved only by `advanceClipStatus`; the oldest ids go beyond `max`. OpenVidu may
 * give a deleted recording's id to the room's next recording: news with a later `createdAt` than the one on record
 * is a new clip (its history starts over), news with an earlier one is about the old clip and changes nothing.
 * News without `createdAt` (a deletion signal) is about the clip on record.
 */
export class ClipStatusBook {
  readonly #seen = new Map<string, { state: ClipState; createdAt?: number }>();

  constructor(private readonly max = 1000) {}

  /** Clips on record. */
  get size(): number {
    return this.#seen.size;
  }

  get(id: string): ClipState | undefined {
    return this.#seen.get(id)?.state;
  }

  /** Adopts `status` for `id` if it is news; returns whether it was. */
  advance(id: string, status: ClipState, createdAt?: number): boolean {
    const known = this.#seen.get(id);
    const at = createdAt ?? known?.createdAt;
    const newer = known?.createdAt !== undefined && at !== undefined && at !== known.createdAt;
    if (newer && at! < known!.createdAt!) return false;
    const next = advanceClipStatus(newer ? undefined : known?.state, status);
    if (!next) return false;
    this.#seen.delete(id); // re-inserted last: the map's order is the eviction order
    this.#seen.set(id, { state: next, createdAt: at });
    if (this.#seen.size > this.max) this.#seen.delete(this.#seen.keys().next().value!);
    return true;
  }

  clear() {
    this.#seen.clear();
  }
}

/**
 * An edit (rename, trim, restore) of a clip as a receiver sees it: applied only to the same clip (same id and start
 * time: OpenVidu may reuse a deleted clip's id) and only when newer than the last edit it has (`updatedAt`), whatever
 * order the news arrives in. Returns the clip to show, or undefined when `update` changes nothing. The status stays
 * the known one: statuses move only through `advanceClipStatus`.
 */
export function applyClipUpdate<C extends Clip>(known: C, update: Clip): C | undefined {
  if (update.id !== known.id || update.createdAt !== known.createdAt || update.updatedAt === undefined) return undefined;
  if (known.updatedAt !== undefined && update.updatedAt <= known.updatedAt) return undefined;
  const { status: _status, ...edit } = update;
  const next = { ...known, ...edit };
  // A restore removes the trim: absent fields in the update are absent in the result.
  if (!update.trim) delete next.trim;
  if (update.originalDuration === undefined) delete next.originalDuration;
  return next;
}
