// Cutting a replay out of buffer segments with the real ffmpeg: segments made like the recorder's (H.264 with a
// keyframe every second + AAC), the last N seconds and a wall-clock range, checked with ffprobe; the thumbnail is a
// JPEG; a child past its timeout is killed; the slots refuse a crowd.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { CutSlots, cutPlan, probeDuration, probeSegment } from '../../demo-server/src/services/replay-cut.js';
import { planLast, planRange, type Segment } from '../../demo-server/src/services/replay-segments.js';
import { resolveFfmpegPath, resolveFfprobePath, runTool } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';

const FFMPEG = resolveFfmpegPath(process.env.FFMPEG_PATH);
const T = 1_700_000_000_000;
let dir: string;
const segments: Segment[] = [];

/** `seconds` of testsrc2 + a sine, 320x240 at 25 fps, a keyframe every second (as the recorder writes them). */
async function makeSegment(file: string, seconds: number, offset: number) {
  const r = await runTool(FFMPEG, [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=320x240:rate=25,setpts=PTS+${offset}/TB`,
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '25',
    '-c:a',
    'aac',
    '-ac',
    '2',
    file,
  ]);
  assert.equal(r.code, 0, r.stderr);
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ov-replay-cut-'));
  // Three segments of ~4 s, ending at T+4, T+8.5 and T+12.5 s (a 0.5 s gap before the second).
  for (const [i, end] of [4, 8.5, 12.5].entries()) {
    const file = path.join(dir, `room~${i}.mp4`);
    await makeSegment(file, 4, i * 4);
    const { duration, keyframes } = await probeSegment(file, {});
    segments.push({ id: `room~${i}`, file, stoppedAt: T + end * 1000, duration, keyframes });
  }
});
after(() => rm(dir, { recursive: true, force: true }));

describe('replay cut', () => {
  it('a segment is probed: its duration and a keyframe every second', () => {
    const s = segments[0];
    assert.ok(Math.abs(s.duration - 4) < 0.1, `duration ${s.duration}`);
    assert.deepEqual(
      s.keyframes.map((k) => Math.round(k)),
      [0, 1, 2, 3],
    );
  });

  it('the last 5.5 s: within 1 s of asked (from a keyframe), a JPEG thumbnail; no list left behind', async () => {
    const plan = planLast(segments, 5.5)!;
    const media = path.join(dir, 'last.mp4');
    const thumbnail = path.join(dir, 'last.jpg');
    const t0 = performance.now();
    const r = await cutPlan({ plan, media, thumbnail, hasVideo: true });
    console.log(`    cut of ${plan.parts.length} parts: ${Math.round(performance.now() - t0)} ms`);
    const probed = await probeDuration(media, {});
    assert.ok(Math.abs(probed - r.duration) < 0.01);
    assert.ok(probed >= 5.5 - 0.1 && probed < 5.5 + 1, `duration ${probed}`);
    assert.ok(Math.abs(probed - plan.duration) < 0.15, `probed ${probed}, planned ${plan.duration}`);
    assert.equal(r.thumbnail, true);
    const jpg = await readFile(thumbnail);
    assert.deepEqual([...jpg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.txt')),
      [],
    );
    // It starts on a keyframe: its first video packet is one.
    const first = await runTool(resolveFfprobePath(process.env.FFPROBE_PATH), [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'packet=flags',
      '-read_intervals',
      '%+#1',
      '-of',
      'csv=p=0',
      media,
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout.trim(), /^K/);
  });

  it('more than held: everything held', async () => {
    const plan = planLast(segments, 60)!;
    const media = path.join(dir, 'all.mp4');
    const r = await cutPlan({ plan, media, hasVideo: true });
    const held = segments.reduce((n, s) => n + s.duration, 0);
    assert.ok(Math.abs(r.duration - held) < 0.3, `duration ${r.duration}, held ${held}`);
  });

  it('a wall-clock range across the gap: in point at a keyframe, out point inside the last segment', async () => {
    const plan = planRange(segments, T + 2500, T + 11_000)!;
    const media = path.join(dir, 'range.mp4');
    const r = await cutPlan({ plan, media, hasVideo: true });
    // 2 s of the first (from its keyframe 2), 4 s of the second, 2.5 s of the third.
    assert.ok(Math.abs(r.duration - 8.5) < 0.3, `duration ${r.duration}`);
  });

  it('a child past its timeout is killed and the cut fails; nothing left running', async () => {
    const children = new Set<ChildProcess>();
    const plan = planLast(segments, 60)!;
    await assert.rejects(cutPlan({ plan, media: path.join(dir, 'slow.mp4'), hasVideo: true, timeoutMs: 1, children }), /timed out/);
    assert.equal(children.size, 0);
  });

  it('slots: a crowd beyond the queue is refused at once', async () => {
    const slots = new CutSlots(1, 1, () => new Error('busy'));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const a = slots.run(() => held);
    const b = slots.run(async () => 'b');
    await assert.rejects(
      slots.run(async () => 'c'),
      /busy/,
    );
    release();
    await a;
    assert.equal(await b, 'b');
    assert.equal(await slots.run(async () => 'd'), 'd');
  });
});
