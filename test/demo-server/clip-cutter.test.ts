// The clip cutter with the real ffmpeg and ffprobe on generated clips: the cut starts at the keyframe at or before
// the in point and says so, lasts what it says (ffprobe), and every limit holds (size, concurrency, child timeout),
// with no temporary file left whatever happens. Also: the embedded recorder's encoder writes a keyframe every second.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ClipCutter, cutClip, listKeyframes } from '../../demo-server/src/services/clip-cutter.js';
import { ClipMetaStore } from '../../demo-server/src/services/clip-meta-store.js';
import type { Clip } from '../../demo-server/src/schemas/clips.js';
import type { ApiError } from '../../demo-server/src/errors.js';
import { encodeArgs } from '../../demo-server/embedded-openvidu/recording/ffmpeg-args.js';
import { probe, resolveFfmpegPath, runTool } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';

const FFMPEG = resolveFfmpegPath(process.env.FFMPEG_PATH);

/**
 * `seconds` of video (testsrc2 with audio, ~3 Mbit/s, a keyframe every second) made in a fraction of a second: two
 * seconds encoded, then looped by stream copy, so keyframes fall on 0, 1, 2.005391, 3.005391… (not round times).
 */
async function loopedClip(file: string, o: { seconds: number; size: string }): Promise<string> {
  const piece = `${file}.piece.mp4`;
  const src = ['-f', 'lavfi', '-i', `testsrc2=size=${o.size}:rate=25`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2'];
  const enc = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', '-c:a', 'aac', '-b:a', '128k', '-ac', '2'];
  for (const args of [
    [...src, ...enc, piece],
    ['-stream_loop', String(Math.ceil(o.seconds / 2) - 1), '-i', piece, '-c', 'copy', '-movflags', '+faststart', file],
  ]) {
    const r = await runTool(FFMPEG, ['-hide_banner', '-v', 'error', '-y', ...args]);
    assert.equal(r.code, 0, r.stderr);
  }
  await rm(piece);
  return file;
}
let dir: string;
/** 30 s of 1280x720 at 25 fps with AAC, a keyframe every second but not on round times (a 2 s piece looped). */
let source: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ov-cutter-'));
  source = await loopedClip(path.join(dir, 'source.mp4'), { seconds: 30, size: '1280x720' });
});
after(() => rm(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;
const clip = (over: Partial<Clip> = {}): Clip => ({
  id: 'cut-room~1',
  sessionId: 'cut-room',
  name: 'A clip',
  status: 'ready',
  createdAt: T0,
  duration: 30.075,
  size: 0,
  hasAudio: true,
  hasVideo: true,
  mediaUrl: '',
  thumbnailUrl: '',
  ...over,
});

/** A gateway whose original is `file`, answered as OpenVidu would (a streamed 200); `gate` holds the answer back. */
function fakeGateway(file: () => string, gate?: Promise<void>) {
  let calls = 0;
  let called!: () => void;
  const firstCall = new Promise<void>((r) => (called = r));
  return {
    firstCall,
    get calls() {
      return calls;
    },
    async fetchClipFile(_id: string, _kind: 'media' | 'thumbnail', _range?: string, signal?: AbortSignal) {
      calls++;
      called();
      if (signal?.aborted) throw signal.reason;
      if (gate) await Promise.race([gate, new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)))]);
      const body = Readable.toWeb(createReadStream(file(), { signal })) as ReadableStream;
      return new Response(body, { status: 200, headers: { 'content-type': 'video/mp4' } });
    },
  };
}

async function storeIn(name: string) {
  const store = new ClipMetaStore({ dir: path.join(dir, name) });
  await store.load();
  return store;
}

const isApiError = (status: number, code: string) => (err: unknown) => {
  const e = err as ApiError;
  assert.equal(e.statusCode, status, `${e.statusCode} ${e.code} ${e.message}`);
  assert.equal(e.code, code);
  return true;
};

describe('cutting without re-encoding', () => {
  it('lists the keyframes from the packets, and the duration', async () => {
    const t0 = performance.now();
    const k = await listKeyframes(source);
    console.log(`    ffprobe keyframe listing of 30 s of 720p: ${Math.round(performance.now() - t0)} ms`);
    assert.equal(k.hasVideo, true);
    assert.equal(k.keyframes.length, 30);
    assert.ok(Math.abs(k.duration - 30.075) < 0.01, `duration ${k.duration}`);
    for (let i = 1; i < k.keyframes.length; i++) assert.ok(k.keyframes[i] - k.keyframes[i - 1] <= 1.01, `gap at ${k.keyframes[i]}`);
    assert.ok(
      k.keyframes.some((t) => Math.abs(t - 12.032109) < 1e-5),
      `keyframes ${k.keyframes.join(' ')}`,
    );
  });

  it('cuts from the keyframe at or before the in point, reports that range, and lasts it (ffprobe)', async () => {
    const media = path.join(dir, 'cut.mp4');
    const thumbnail = path.join(dir, 'cut.jpg');
    const t0 = performance.now();
    const r = await cutClip({ source, media, thumbnail, start: 12.5, end: 20 });
    console.log(`    ffprobe + stream copy + thumbnail of 7.5 s out of 30 s: ${Math.round(performance.now() - t0)} ms`);
    assert.ok(Math.abs(r.start - 12.032109) < 1e-5, `start ${r.start}`);
    assert.equal(r.end, 20);
    assert.equal(r.thumbnail, true);
    const info = await probe(media);
    assert.ok(Math.abs(info.duration - (r.end - r.start)) < 0.1, `cut lasts ${info.duration}, expected ${r.end - r.start}`);
    assert.deepEqual(info.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    const first = await runTool(FFMPEG, ['-v', 'error', '-i', media, '-f', 'null', '-']);
    assert.equal(first.code, 0, `the cut decodes cleanly: ${first.stderr}`);
    const k = await listKeyframes(media);
    assert.ok(k.keyframes[0] < 0.05, `the cut starts on its keyframe (${k.keyframes[0]})`);
    assert.equal((await readFile(thumbnail)).subarray(0, 3).toString('hex'), 'ffd8ff');
  });

  it('an in point exactly on a keyframe starts there; an out point past the end stops at the end', async () => {
    const media = path.join(dir, 'cut2.mp4');
    const r = await cutClip({ source, media, start: 3.005391, end: 99 });
    assert.ok(Math.abs(r.start - 3.005391) < 1e-5, `start ${r.start}`);
    assert.ok(Math.abs(r.end - 30.075) < 0.01, `end ${r.end}`);
    assert.ok(Math.abs((await probe(media)).duration - (r.end - r.start)) < 0.1);
  });

  it('the embedded recorder encodes a keyframe every second (so a cut lands within a second of the handle)', async () => {
    const file = path.join(dir, 'recorder-settings.mp4');
    const settings = { width: 320, height: 240, frameRate: 25, hasAudio: false, hasVideo: true, ext: 'mp4' as const, crashCopy: false };
    const args = [
      '-hide_banner',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=25',
      '-t',
      '5',
      ...encodeArgs(settings),
      '-f',
      'mp4',
      file,
    ];
    const r = await runTool(FFMPEG, args);
    assert.equal(r.code, 0, r.stderr);
    const k = await listKeyframes(file);
    assert.deepEqual(
      k.keyframes.map((t) => Math.round(t * 100) / 100),
      [0, 1, 2, 3, 4],
    );
  });
});

describe('ClipCutter', () => {
  it('trims into the store: the cut and its thumbnail in place, no temporary file left; a second trim is of the original', async () => {
    const store = await storeIn('trim');
    const gateway = fakeGateway(() => source);
    const cutter = new ClipCutter({ gateway, store });
    const t0 = performance.now();
    const meta = await cutter.trim(clip(), 12.5, 20);
    console.log(`    trim of a 30 s 720p clip (fetch + ffprobe + cut + thumbnail + fsync): ${Math.round(performance.now() - t0)} ms`);
    assert.deepEqual(meta.trim, { start: 12.032, end: 20, originalDuration: 30.075, bytes: meta.trim!.bytes, thumbnail: true });
    const files = await readdir(path.join(store.dir, 'cut-room'));
    assert.deepEqual(files.sort(), ['cut-room~1.cut.jpg', 'cut-room~1.cut.mp4', 'cut-room~1.json']);
    // Trimmed again, from the clip as the API shows it (trimmed): the range is of the original.
    const again = await cutter.trim(store.apply(clip()), 1.2, 29);
    assert.equal(again.trim!.start, 1);
    assert.equal(again.trim!.originalDuration, 30.075);
    assert.ok(Math.abs((await probe(store.cutFile(store.apply(clip()), 'media')!)).duration - 28) < 0.1);
  });

  it('an original larger than the limit is refused (declared or not); nothing stored, nothing left', async () => {
    const store = await storeIn('too-large');
    const cutter = new ClipCutter({ gateway: fakeGateway(() => source), store, maxSourceBytes: 100_000 });
    await assert.rejects(cutter.trim(clip(), 1, 5), isApiError(422, 'OV_CLIP_TOO_LARGE'));
    assert.equal(store.get(clip().id), undefined);
    assert.deepEqual(await readdir(path.join(store.dir, 'cut-room')), []);
  });

  it('a file ffmpeg cannot read: 500 OV_TRIM_FAILED, nothing stored, nothing left', async () => {
    const junk = path.join(dir, 'junk.mp4');
    await writeFile(junk, Buffer.alloc(50_000, 7));
    const store = await storeIn('junk');
    const cutter = new ClipCutter({ gateway: fakeGateway(() => junk), store });
    await assert.rejects(cutter.trim(clip(), 1, 5), isApiError(500, 'OV_TRIM_FAILED'));
    assert.equal(store.get(clip().id), undefined);
    assert.deepEqual(await readdir(path.join(store.dir, 'cut-room')), []);
  });

  it('a tool that hangs is killed at the timeout; nothing left', async () => {
    const hang = path.join(dir, 'hang.sh');
    await writeFile(hang, '#!/bin/sh\nexec sleep 60\n');
    await chmod(hang, 0o755);
    const store = await storeIn('hang');
    const cutter = new ClipCutter({ gateway: fakeGateway(() => source), store, ffprobePath: hang, timeoutMs: 300 });
    const t0 = Date.now();
    await assert.rejects(cutter.trim(clip(), 1, 5), isApiError(500, 'OV_TRIM_FAILED'));
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    assert.deepEqual(await readdir(path.join(store.dir, 'cut-room')), []);
  });

  it('at most maxConcurrent cuts and maxQueued waiting: beyond, 503 OV_TRIM_BUSY at once; the queue then drains', async () => {
    const store = await storeIn('busy');
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const gateway = fakeGateway(() => source, gate);
    const cutter = new ClipCutter({ gateway, store, maxConcurrent: 1, maxQueued: 1 });
    const first = cutter.trim(clip({ id: 'cut-room~1' }), 1, 5);
    const queued = cutter.trim(clip({ id: 'cut-room~2' }), 2.5, 6);
    await assert.rejects(cutter.trim(clip({ id: 'cut-room~3' }), 1, 5), isApiError(503, 'OV_TRIM_BUSY'));
    await gateway.firstCall;
    assert.equal(gateway.calls, 1, 'the queued trim has not started');
    open();
    const [a, b] = await Promise.all([first, queued]);
    assert.equal(a.trim!.start, 1);
    assert.equal(b.trim!.start, 2.005);
    // Slots were given back: two more run.
    await Promise.all([cutter.trim(clip({ id: 'cut-room~4' }), 1, 5), cutter.trim(clip({ id: 'cut-room~5' }), 1, 5)]);
  });

  it('close() refuses queued trims and stops a running one', async () => {
    const store = await storeIn('closing');
    const gate = new Promise<void>(() => {}); // never answers: the running trim is stuck in its fetch
    const gateway = fakeGateway(() => source, gate);
    const cutter = new ClipCutter({ gateway, store, maxConcurrent: 1 });
    const running = cutter.trim(clip(), 1, 5);
    const queued = cutter.trim(clip({ id: 'cut-room~2' }), 1, 5);
    await gateway.firstCall;
    cutter.close();
    await assert.rejects(queued, isApiError(503, 'OV_OPENVIDU_UNAVAILABLE'));
    await assert.rejects(cutter.trim(clip({ id: 'cut-room~3' }), 1, 5), isApiError(503, 'OV_OPENVIDU_UNAVAILABLE'));
    await assert.rejects(running, 'the running trim is aborted');
    assert.deepEqual(await readdir(path.join(store.dir, 'cut-room')), []);
  });
});
