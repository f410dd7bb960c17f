import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ComposedRecorder } from '../../demo-server/embedded-openvidu/recording/composed-recorder.js';
import type { EncodeSettings, Journal } from '../../demo-server/embedded-openvidu/recording/composed-types.js';
import { crashCopyOf, encodeArgs, outputArgs } from '../../demo-server/embedded-openvidu/recording/ffmpeg-args.js';
import { resolveFfmpegPath, resolveFfprobePath, runTool } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';

/*
 * Recovery after a crash joins the segments' crash-safe Matroska copies with black fillers. Built here without
 * a browser: two lavfi "segments" encoded with the recorder's own arguments (tee: MP4 + Matroska copy), their MP4s
 * removed as a SIGKILL leaves them, and a journal placing them on the wall clock.
 */

const FFMPEG = resolveFfmpegPath(process.env.FFMPEG_PATH);
const FFPROBE = resolveFfprobePath(process.env.FFPROBE_PATH);
const FPS = 25;
const settings: EncodeSettings = { width: 320, height: 240, frameRate: FPS, hasAudio: true, hasVideo: true, ext: 'mp4', crashCopy: true };

async function encodeSegment(file: string, seconds: number, color: string): Promise<void> {
  const input = ['-f', 'lavfi', '-i', `color=c=${color}:s=320x240:r=${FPS}`, '-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-map', '0:v', '-map', '1:a'];
  const args = ['-hide_banner', '-v', 'error', '-y', ...input, '-t', String(seconds), ...encodeArgs(settings), ...outputArgs(settings, file, true)];
  const r = await runTool(FFMPEG, args);
  assert.equal(r.code, 0, r.stderr);
  await rm(file); // killed: only the Matroska copy is readable
}

/** Presentation times of the video packets, in order. */
async function videoTimes(file: string): Promise<number[]> {
  const r = await runTool(FFPROBE, ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n').map(Number);
}

async function decodeErrors(file: string): Promise<string> {
  const r = await runTool(FFMPEG, ['-v', 'error', '-i', file, '-f', 'null', '-']);
  return (r.stderr + (r.code === 0 ? '' : `exit ${r.code}`)).trim();
}

/**
 * `segments`: [start, length] on the wall clock, seconds from t0. Returns the recovered file's video times and
 * its decode errors.
 */
async function recoverLaidOut(name: string, segments: Array<[number, number]>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'recovery-junction-'));
  const parts = path.join(dir, `.${name}.parts`);
  await mkdir(parts);
  const t0 = 1_700_000_000_000;
  const journal: Journal = { version: 1, t0, width: 320, height: 240, frameRate: FPS, hasAudio: true, hasVideo: true, segments: [] };
  for (const [i, [start, length]] of segments.entries()) {
    const file = path.join(parts, `segment-${i}.mp4`);
    await encodeSegment(file, length, i % 2 ? 'red' : 'blue');
    journal.segments.push({ index: i, file: path.basename(file), copy: path.basename(crashCopyOf(file)), origin: t0 + start * 1000, ended: false });
  }
  await writeFile(path.join(parts, 'journal.json'), JSON.stringify(journal));
  const result = await ComposedRecorder.recover({ dir, fileBase: name, ffmpegPath: FFMPEG, ffprobePath: FFPROBE });
  const out = { result, times: await videoTimes(result.file), errors: await decodeErrors(result.file) };
  await rm(dir, { recursive: true, force: true });
  return out;
}

/** Every frame after the one before it, by at least most of a frame interval (the frame-rate grid holds). */
function assertMonotonic(times: number[]): void {
  for (let i = 1; i < times.length; i++) {
    const step = times[i] - times[i - 1];
    const at = (k: number) => `${times[k].toFixed(4)} s`;
    assert.ok(step > 0.9 / FPS, `frame ${i} at ${at(i)} comes ${(step * 1000).toFixed(1)} ms after the one before (${at(i - 1)})`);
  }
}

test('recovery: a segment, a hole, then a segment overlapping nothing: strictly increasing frames, clean decode', async () => {
  // Recovered piece first, filler in the middle: pieces of different time bases meet at the junctions.
  const { result, times, errors } = await recoverLaidOut('hole', [
    [0.05, 1.2],
    [2.0, 1.2],
  ]);
  assertMonotonic(times);
  assert.equal(errors, '');
  assert.ok(Math.abs(result.duration - 3.2) < 0.15, `duration ${result.duration} s for 3.2 s on the wall clock`);
});

test('recovery: a hole at the start, then two overlapping segments (make-before-break): strictly increasing frames, clean decode', async () => {
  const { result, times, errors } = await recoverLaidOut('overlap', [
    [0.3, 1.5],
    [1.2, 1.2],
  ]);
  assertMonotonic(times);
  assert.equal(errors, '');
  assert.ok(Math.abs(result.duration - 2.4) < 0.15, `duration ${result.duration} s for 2.4 s on the wall clock`);
  // The second segment takes over where its origin says: 1.2 s on the wall clock, within a frame or two.
  const gap = times.findIndex((t, i) => t > 1 && t - times[i - 1] > 1.5 / FPS);
  assert.ok(gap > 0 && Math.abs(times[gap] - 1.2) < 0.1, `junction at ${times[gap]} s`);
});
