// The replay buffer's wall-clock mapping, pure: what is held, what is kept, which parts a cut takes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  concatList,
  heldSeconds,
  keyframeAtOrBefore,
  planLast,
  planRange,
  segmentStart,
  segmentsToDrop,
  type Segment,
} from '../../demo-server/src/services/replay-segments.js';

const T = 1_700_000_000_000;
/** A segment of `duration` s ending at T + `endS` s, a keyframe every second. */
const seg = (id: string, endS: number, duration: number): Segment => ({
  id,
  file: `/r/${id}.mp4`,
  stoppedAt: T + endS * 1000,
  duration,
  keyframes: Array.from({ length: Math.ceil(duration) }, (_, i) => i),
});

describe('replay segments', () => {
  it('a segment is end-anchored: its media ends at stoppedAt', () => {
    assert.equal(segmentStart(seg('a', 10, 4)), T + 6000);
  });

  it('held: the sum of durations, capped, rounded down to one decimal', () => {
    assert.equal(heldSeconds([], 30), 0);
    assert.equal(heldSeconds([seg('a', 4, 3.96), seg('b', 8, 3.97)], 30), 7.9);
    assert.equal(heldSeconds([seg('a', 4, 4), seg('b', 8, 4)], 6), 6);
  });

  it('keyframe at or before a time (equal within 1 ms counts)', () => {
    assert.equal(keyframeAtOrBefore([0, 1, 2, 3], 2.5), 2);
    assert.equal(keyframeAtOrBefore([0, 1, 2, 3], 1.9995), 2);
    assert.equal(keyframeAtOrBefore([0.04, 1], 0.01), 0);
    assert.equal(keyframeAtOrBefore([], 5), 0);
  });

  it('retention: the newest segments that still cover the buffer are kept, the oldest dropped', () => {
    const s = [seg('a', 4, 4), seg('b', 8, 4), seg('c', 12, 4), seg('d', 16, 4)];
    assert.deepEqual(
      segmentsToDrop(s, 6).map((x) => x.id),
      ['a', 'b'],
    );
    // Exactly covering: the oldest is dropped only while the rest still covers.
    assert.deepEqual(
      segmentsToDrop(s, 8).map((x) => x.id),
      ['a', 'b'],
    );
    assert.deepEqual(
      segmentsToDrop(s, 8.5).map((x) => x.id),
      ['a'],
    );
    // Short segments (start latency): more of them are kept.
    const short = [seg('a', 4, 2.5), seg('b', 8, 2.5), seg('c', 12, 2.5), seg('d', 16, 2.5)];
    assert.deepEqual(
      segmentsToDrop(short, 6).map((x) => x.id),
      ['a'],
    );
    // What is kept never exceeds seconds + one segment.
    for (const set of [s, short]) {
      const kept = set.filter((x) => !segmentsToDrop(set, 6).includes(x));
      assert.ok(kept.reduce((n, x) => n + x.duration, 0) < 6 + 4 + 1e-9);
    }
  });

  it('retention: a running user clip keeps what it overlaps, and a cut keeps what it reads', () => {
    const s = [seg('a', 4, 4), seg('b', 8, 4), seg('c', 12, 4), seg('d', 16, 4)];
    // A clip started at T+3 s needs a (it ends at 4 s) and everything after it.
    assert.deepEqual(segmentsToDrop(s, 6, T + 3000), []);
    assert.deepEqual(
      segmentsToDrop(s, 6, T + 5000).map((x) => x.id),
      ['a'],
    );
    assert.deepEqual(
      segmentsToDrop(s, 6, undefined, new Set(['b'])).map((x) => x.id),
      ['a'],
    );
    assert.deepEqual(segmentsToDrop([], 6), []);
  });

  it('the last N seconds: whole newest segments, the oldest one from the keyframe at or before its in point', () => {
    const s = [seg('a', 4, 4), seg('b', 8.5, 4), seg('c', 12.5, 4)];
    const p = planLast(s, 5.5)!;
    // c whole (4 s), then 1.5 s of b: its in point is 2.5 s, keyframe 2.
    assert.deepEqual(p.parts, [{ file: '/r/b.mp4', inpoint: 2 }, { file: '/r/c.mp4' }]);
    assert.equal(p.duration, 6);
    assert.equal(p.startsAt, T + 4500 + 2000);
    // Asking more than held: everything.
    const all = planLast(s, 30)!;
    assert.deepEqual(
      all.parts.map((x) => x.file),
      ['/r/a.mp4', '/r/b.mp4', '/r/c.mp4'],
    );
    assert.equal(all.duration, 12);
    assert.equal(all.startsAt, T);
    // A whole number of segments: no in point.
    assert.deepEqual(planLast(s, 8)!.parts, [{ file: '/r/b.mp4' }, { file: '/r/c.mp4' }]);
    assert.equal(planLast([], 5), undefined);
  });

  it('a wall-clock range: parts clipped to it, gaps between segments skipped', () => {
    const s = [seg('a', 4, 4), seg('b', 9, 4), seg('c', 13, 4)]; // a: 0-4, b: 5-9, c: 9-13
    const p = planRange(s, T + 2500, T + 11_000)!;
    assert.deepEqual(p.parts, [{ file: '/r/a.mp4', inpoint: 2 }, { file: '/r/b.mp4' }, { file: '/r/c.mp4', outpoint: 2 }]);
    assert.equal(p.duration, 2 + 4 + 2);
    assert.equal(p.startsAt, T + 2000);
    // Up to now (past the last segment's end): the last one whole.
    assert.deepEqual(planRange(s, T + 6000, T + 20_000)!.parts, [{ file: '/r/b.mp4', inpoint: 1 }, { file: '/r/c.mp4' }]);
    // Inside a gap, or before everything: nothing.
    assert.equal(planRange(s, T + 4100, T + 4900), undefined);
    assert.equal(planRange(s, T - 9000, T - 1000), undefined);
    assert.equal(planRange([], T, T + 1000), undefined);
  });

  it('the concat list quotes paths and writes in/out points', () => {
    assert.equal(
      concatList([
        { file: "/d/it's.mp4", inpoint: 1.5 },
        { file: '/d/b.mp4', outpoint: 2 },
      ]),
      "file '/d/it'\\''s.mp4'\ninpoint 1.500000\nfile '/d/b.mp4'\noutpoint 2.000000\n",
    );
  });
});
