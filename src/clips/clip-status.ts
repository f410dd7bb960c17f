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
  if (!isEdit(update) || update.id !== known.id || update.createdAt !== known.createdAt) return undefined;
  if (known.updatedAt !== undefined && update.updatedAt <= known.updatedAt) return undefined;
  const { status: _status, ...edit } = update;
  const next = { ...known, ...edit };
  // A restore removes the trim: absent fields in the update are absent in the result.
  if (!update.trim) delete next.trim;
  if (update.originalDuration === undefined) delete next.originalDuration;
  return next;
}

/** An edit as it may arrive from the wire: a clip id, its start time and the edit's time, all well formed. */
function isEdit(clip: Clip | undefined): clip is Clip & { updatedAt: number } {
  return typeof clip?.id === 'string' && Number.isFinite(clip.createdAt) && Number.isFinite(clip.updatedAt);
}

/**
 * News of a clip's status (an event, a list) that left the server before the last edit `known` has: the clip as the
 * news says, with that edit kept (a `processing` published before a rename does not bring the old name back).
 */
export function withLatestEdit<C extends Clip>(news: C, known: Clip | undefined): C {
  if (!known || known.id !== news.id || known.createdAt !== news.createdAt || known.updatedAt === undefined) return news;
  if (news.updatedAt !== undefined && news.updatedAt >= known.updatedAt) return news;
  const next: C = { ...news, name: known.name, updatedAt: known.updatedAt };
  if (known.trim) return { ...next, trim: known.trim, originalDuration: known.originalDuration, duration: known.duration };
  // Restored since: the whole recording again.
  if (news.trim) next.duration = news.originalDuration ?? news.duration;
  delete next.trim;
  delete next.originalDuration;
  return next;
}

/**
 * The last version of each clip a receiver knows, for its edits; the oldest ids go beyond `max`. Status news goes
 * through `note` (after the status rule said it was news), edits through `update` (the edit rule).
 */
export class KnownClips {
  readonly #clips = new Map<string, Clip>();

  constructor(private readonly max = 1000) {}

  get size(): number {
    return this.#clips.size;
  }

  get(id: string): Clip | undefined {
    return this.#clips.get(id);
  }

  #set(clip: Clip): Clip {
    this.#clips.delete(clip.id); // re-inserted last: the map's order is the eviction order
    this.#clips.set(clip.id, clip);
    if (this.#clips.size > this.max) this.#clips.delete(this.#clips.keys().next().value!);
    return clip;
  }

  /** Status news of `clip`: recorded with the newest edit known, and returned so. */
  note(clip: Clip): Clip {
    return this.#set(withLatestEdit(clip, this.#clips.get(clip.id)));
  }

  /**
   * An edit: the clip to show when it is news for the clip known (same id and start time, newer `updatedAt`), else
   * undefined. A clip not known (or a new one under a reused id) is recorded and returned only with `learn`: a
   * receiver that holds no list of its own passes every first edit on.
   */
  update(clip: Clip, learn = false): Clip | undefined {
    if (!isEdit(clip)) return undefined;
    const known = this.#clips.get(clip.id);
    if (known?.createdAt === clip.createdAt) {
      const next = applyClipUpdate(known, clip);
      return next && this.#set(next);
    }
    // Not known, or known with an earlier start time (the id was given again since); an edit of a clip older than
    // the one known is late news.
    if (!learn || (known && known.createdAt > clip.createdAt)) return undefined;
    return this.#set(clip);
  }

  delete(id: string) {
    this.#clips.delete(id);
  }

  clear() {
    this.#clips.clear();
  }
}
