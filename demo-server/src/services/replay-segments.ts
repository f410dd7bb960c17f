// The replay buffer's segments on the wall clock, and which parts of which files a clip is cut from. Pure: no I/O.
//
// A segment is one stopped buffer recording. Its media is end-anchored: it ends at `stoppedAt` (the wall time the
// stop was asked for: a stop is immediate) and starts `duration` seconds earlier (a start's latency varies, by
// seconds on OpenVidu CE). Between segments there may be a gap (a rotation's start latency, or nobody publishing):
// "content seconds" skip the gaps, a wall-clock range does not.

export interface Segment {
  /** The OpenVidu recording id. */
  id: string;
  /** The downloaded media file. */
  file: string;
  /** Wall time (ms) the stop was asked for: where the media ends. */
  stoppedAt: number;
  /** Media duration, seconds. */
  duration: number;
  /** Video keyframe times, seconds, ascending (every packet of an audio-only file may be one). */
  keyframes: number[];
}

/** One file of a cut: `inpoint`/`outpoint` in the file's own seconds (absent: its start / its end). */
export interface CutPart {
  file: string;
  inpoint?: number;
  outpoint?: number;
}

export interface CutPlan {
  parts: CutPart[];
  /** Content seconds the cut holds (from the keyframe the first part starts at). */
  duration: number;
  /** Wall time (ms) the cut's media starts at. */
  startsAt: number;
}

/** Times closer than this (s) are the same: a player's and ffmpeg's rounding. */
const EPS = 0.001;

/** Wall time (ms) a segment's media starts at. */
export const segmentStart = (s: Segment) => s.stoppedAt - s.duration * 1000;

/** Content seconds held by the segments, at most `max`, one decimal (rounded down, so it is never over-promised). */
export function heldSeconds(segments: readonly Segment[], max: number): number {
  const sum = segments.reduce((n, s) => n + s.duration, 0);
  return Math.floor(Math.min(sum, max) * 10 + 1e-6) / 10;
}

/** The keyframe at or before `t` (0 when there is none). */
export function keyframeAtOrBefore(keyframes: readonly number[], t: number): number {
  let k = 0;
  for (const x of keyframes) {
    if (x > t + EPS) break;
    k = x;
  }
  return k;
}

/**
 * Segments to drop (oldest first) so that what is kept is the newest segments whose durations still sum to at
 * least `seconds`, plus any segment whose media ends after `keepAfter` (a running user clip needs it) or that is
 * `inUse` (a cut reads it). Segments are given oldest first.
 */
export function segmentsToDrop(segments: readonly Segment[], seconds: number, keepAfter?: number, inUse: ReadonlySet<string> = new Set()): Segment[] {
  const drop: Segment[] = [];
  let rest = segments.reduce((n, s) => n + s.duration, 0);
  for (const s of segments) {
    if (rest - s.duration < seconds - EPS) break; // the rest would no longer cover it
    if ((keepAfter !== undefined && s.stoppedAt > keepAfter) || inUse.has(s.id)) break; // kept, and so is every newer one
    drop.push(s);
    rest -= s.duration;
  }
  return drop;
}

/** The last `seconds` content seconds of the segments (oldest first); undefined when nothing is held. */
export function planLast(segments: readonly Segment[], seconds: number): CutPlan | undefined {
  const parts: CutPart[] = [];
  let need = seconds;
  let startsAt = 0;
  let duration = 0;
  for (let i = segments.length - 1; i >= 0 && need > EPS; i--) {
    const s = segments[i];
    if (s.duration <= EPS) continue;
    if (s.duration <= need + EPS) {
      parts.unshift({ file: s.file });
      need -= s.duration;
      duration += s.duration;
      startsAt = segmentStart(s);
    } else {
      const inpoint = keyframeAtOrBefore(s.keyframes, s.duration - need);
      parts.unshift(inpoint > EPS ? { file: s.file, inpoint } : { file: s.file });
      duration += s.duration - inpoint;
      startsAt = segmentStart(s) + inpoint * 1000;
      need = 0;
    }
  }
  return parts.length ? { parts, duration, startsAt } : undefined;
}

/**
 * The media of the wall-clock range [from, to] (ms) from the segments (oldest first), the first part starting at
 * the keyframe at or before its in point; undefined when no segment overlaps the range.
 */
export function planRange(segments: readonly Segment[], from: number, to: number): CutPlan | undefined {
  const parts: CutPart[] = [];
  let duration = 0;
  let startsAt = 0;
  for (const s of segments) {
    const start = segmentStart(s);
    if (s.stoppedAt <= from || start >= to || s.duration <= EPS) continue;
    let inpoint = Math.max(0, (from - start) / 1000);
    if (!parts.length) inpoint = keyframeAtOrBefore(s.keyframes, inpoint);
    const outpoint = Math.min(s.duration, (to - start) / 1000);
    if (outpoint - inpoint <= EPS) continue;
    const part: CutPart = { file: s.file };
    if (inpoint > EPS) part.inpoint = inpoint;
    if (outpoint < s.duration - EPS) part.outpoint = outpoint;
    if (!parts.length) startsAt = start + inpoint * 1000;
    parts.push(part);
    duration += outpoint - inpoint;
  }
  return parts.length ? { parts, duration, startsAt } : undefined;
}

/** The concat demuxer's list for the parts (paths quoted as it reads them). */
export function concatList(parts: readonly CutPart[]): string {
  const quote = (p: string) => `'${p.replace(/'/g, "'\\''")}'`;
  return parts
    .map((p) => {
      const lines = [`file ${quote(p.file)}`];
      if (p.inpoint !== undefined) lines.push(`inpoint ${p.inpoint.toFixed(6)}`);
      if (p.outpoint !== undefined) lines.push(`outpoint ${p.outpoint.toFixed(6)}`);
      return lines.join('\n');
    })
    .join('\n')
    .concat('\n');
}
