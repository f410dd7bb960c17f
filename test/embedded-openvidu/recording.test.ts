// Recording through the whole stack: openvidu-browser publishers in Chromium, openvidu-node-client starting and
// stopping, files checked with ffprobe/ffmpeg. Embedded server only (files are read from its recording folder).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OpenVidu, Recording, type Session } from 'openvidu-node-client';
import type { Browser, BrowserContext } from 'playwright-core';
import { openviduTarget, isEmbedded, type OpenViduTarget } from '../helpers/openvidu-target.js';
import { launchChromium, newContext } from '../helpers/browser.js';
import { startPageServer } from '../helpers/static-server.js';
import { Participant } from '../helpers/participant.js';
import { probe, resolveFfmpegPath, runTool } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';

let recordingPath: string;
let target: OpenViduTarget;
let ov: OpenVidu;
let browser: Browser;
let context: BrowserContext;
let pages: Awaited<ReturnType<typeof startPageServer>>;

async function startTarget() {
  target = await openviduTarget({ recordingPath, recordingAutostopTimeout: 1 });
  ov = new OpenVidu(target.url, target.secret);
}

let n = 0;
async function sessionWithPublishers(count: number): Promise<{ session: Session; people: Participant[] }> {
  const session = await ov.createSession({ customSessionId: `rec-${++n}` });
  const people: Participant[] = [];
  for (let i = 0; i < count; i++) {
    const p = await Participant.open(context, pages.url);
    await p.join((await session.createConnection()).token, `P${i}`);
    await p.publish();
    people.push(p);
  }
  if (count > 1) await people[0].waitForRemoteVideo(people[1].connectionId, 3);
  return { session, people };
}

async function waitReady(id: string, timeoutMs = 15_000): Promise<Recording> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await ov.getRecording(id);
    if (r.status === Recording.Status.ready || r.status === Recording.Status.failed) return r;
    if (Date.now() > deadline) assert.fail(`recording ${id} still ${r.status}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/**
 * Mean green (0–255) of the left and right halves of the frame at `at` seconds, from a 64x36 RGB scale-down.
 * Chromium's fake camera is a green picture whose luma is near zero, so green, not brightness, says "a tile is here".
 */
async function halves(file: string, at: number): Promise<[number, number]> {
  const out = path.join(recordingPath, `frame-${process.pid}-${n}.rgb`);
  const r = await runTool(resolveFfmpegPath(), [
    '-v',
    'error',
    '-y',
    '-ss',
    String(at),
    '-i',
    file,
    '-frames:v',
    '1',
    '-vf',
    'scale=64:36',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const buf = await import('node:fs/promises').then((fs) => fs.readFile(out));
  await rm(out);
  let l = 0;
  let rr = 0;
  for (let y = 12; y < 24; y++) for (let x = 0; x < 64; x++) x < 32 ? (l += buf[(y * 64 + x) * 3 + 1]) : (rr += buf[(y * 64 + x) * 3 + 1]);
  return [l / (12 * 32), rr / (12 * 32)];
}

async function decodesCleanly(file: string) {
  const r = await runTool(resolveFfmpegPath(), ['-v', 'error', '-i', file, '-f', 'null', '-']);
  assert.equal(r.code, 0);
  return r.stderr.trim();
}

describe('recording', { skip: !isEmbedded() && "reads files from the embedded server's recording folder" }, () => {
  before(async () => {
    recordingPath = await mkdtemp(path.join(os.tmpdir(), 'ov-rec-it-'));
    await startTarget();
    pages = await startPageServer();
    browser = await launchChromium();
    context = await newContext(browser);
  });

  after(async () => {
    await browser?.close();
    await pages?.close();
    await target?.close();
    if (recordingPath) await rm(recordingPath, { recursive: true, force: true });
  });

  it('COMPOSED: two publishers → an H.264/AAC MP4 of the wall-clock length with both visible, and a thumbnail', async () => {
    const { session, people } = await sessionWithPublishers(2);
    const rec = await ov.startRecording(session.sessionId, { outputMode: Recording.OutputMode.COMPOSED, resolution: '640x360', frameRate: 20 });
    const started = Date.now();
    assert.equal(rec.id, session.sessionId);
    assert.equal(rec.status, Recording.Status.started);
    for (const p of people) {
      const ev = await p.waitForEvent({ type: 'recordingStarted' });
      assert.equal(ev.id, rec.id);
    }
    await new Promise((r) => setTimeout(r, 4000));
    const stopped = await ov.stopRecording(rec.id);
    const wall = (Date.now() - started) / 1000;
    assert.equal(stopped.status, Recording.Status.stopped);
    const stopEvent = await people[0].waitForEvent({ type: 'recordingStopped' });
    assert.equal(stopEvent.reason, 'recordingStoppedByServer');

    const ready = await waitReady(rec.id);
    assert.equal(ready.status, Recording.Status.ready);
    assert.ok(ready.size > 10_000, `size ${ready.size}`);
    assert.equal(ready.url, `${target.url}/openvidu/recordings/${rec.id}/${rec.id}.mp4`);

    const file = path.join(recordingPath, rec.id, `${rec.id}.mp4`);
    const info = await probe(file);
    const video = info.streams.find((s) => s.codec_type === 'video');
    const audio = info.streams.find((s) => s.codec_type === 'audio');
    assert.equal(video?.codec_name, 'h264');
    assert.equal(audio?.codec_name, 'aac');
    assert.equal(video?.width, 640);
    assert.equal(video?.height, 360);
    assert.ok(Math.abs(info.duration - wall) <= 0.5, `duration ${info.duration} s vs wall ${wall} s`);
    assert.ok(Math.abs(ready.duration - info.duration) < 0.2, 'REST duration matches the file');
    const [left, right] = await halves(file, 2);
    assert.ok(left > 80 && right > 80, `both tiles show a picture (mean green left ${left.toFixed(0)}, right ${right.toFixed(0)})`);
    assert.equal(await decodesCleanly(file), '');

    // Thumbnail, served behind the same Basic auth.
    const auth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${target.secret}`).toString('base64');
    const thumb = await fetch(`${target.url}/openvidu/recordings/${rec.id}/${rec.id}.jpg`, { headers: { Authorization: auth } });
    assert.equal(thumb.status, 200);
    const bytes = Buffer.from(await thumb.arrayBuffer());
    assert.equal(bytes.subarray(0, 3).toString('hex'), 'ffd8ff', 'a JPEG');
    assert.equal((await fetch(`${target.url}/openvidu/recordings/${rec.id}/${rec.id}.mp4`)).status, 401);

    // A second recording of the same session gets the next id.
    const second = await ov.startRecording(session.sessionId, { name: 'second_take' });
    assert.equal(second.id, `${session.sessionId}~1`);
    assert.equal(second.properties.name, 'second_take');
    await new Promise((r) => setTimeout(r, 1000));
    await ov.stopRecording(second.id);
    assert.equal((await waitReady(second.id)).status, Recording.Status.ready);
    await Promise.all(people.map((p) => p.close()));
  });

  it('a publisher leaving and another joining mid-recording neither stall nor truncate the file', async () => {
    const { session, people } = await sessionWithPublishers(2);
    const rec = await ov.startRecording(session.sessionId, { resolution: '640x360', frameRate: 20 });
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    await people[1].call('ovLeave');
    await new Promise((r) => setTimeout(r, 1500));
    const late = await Participant.open(context, pages.url);
    await late.join((await session.createConnection()).token, 'late');
    await late.publish();
    await new Promise((r) => setTimeout(r, 2000));
    await ov.stopRecording(rec.id);
    const wall = (Date.now() - started) / 1000;
    const ready = await waitReady(rec.id);
    assert.equal(ready.status, Recording.Status.ready, 'ready');
    const file = path.join(recordingPath, rec.id, `${rec.id}.mp4`);
    const info = await probe(file);
    assert.ok(Math.abs(info.duration - wall) <= 0.5, `duration ${info.duration} s vs wall ${wall} s`);
    assert.ok(info.streams.some((s) => s.codec_type === 'audio'));
    assert.equal(await decodesCleanly(file), '');
    const [left, right] = await halves(file, info.duration - 0.5);
    assert.ok(left > 80 && right > 80, `the late publisher is in the picture at the end (${left.toFixed(0)}, ${right.toFixed(0)})`);
    await Promise.all([...people, late].map((p) => p.close()));
  });

  it('INDIVIDUAL: a zip with one WebM per stream and the JSON description', async () => {
    const { session, people } = await sessionWithPublishers(2);
    const rec = await ov.startRecording(session.sessionId, { outputMode: Recording.OutputMode.INDIVIDUAL });
    assert.equal(rec.properties.outputMode, Recording.OutputMode.INDIVIDUAL);
    await new Promise((r) => setTimeout(r, 2500));
    await ov.stopRecording(rec.id);
    const ready = await waitReady(rec.id);
    assert.equal(ready.status, Recording.Status.ready);
    assert.ok(ready.url!.endsWith(`/${rec.id}.zip`));
    const zip = path.join(recordingPath, rec.id, `${rec.id}.zip`);
    const list = await runTool('python3', ['-m', 'zipfile', '-l', zip]);
    assert.equal(list.code, 0, list.stderr);
    const webms = list.stdout.split('\n').filter((l) => /\.webm\s/.test(l));
    assert.equal(webms.length, 2, list.stdout);
    assert.match(list.stdout, new RegExp(`${rec.id}\\.json`));
    await Promise.all(people.map((p) => p.close()));
  });

  it('autostop: when everyone leaves, the recording stops by itself and the session closes', async () => {
    const { session, people } = await sessionWithPublishers(1);
    const rec = await ov.startRecording(session.sessionId);
    await new Promise((r) => setTimeout(r, 1000));
    await people[0].call('ovLeave');
    const ready = await waitReady(rec.id, 20_000);
    assert.equal(ready.status, Recording.Status.ready);
    await assert.rejects(ov.getRecording('nope'), /404/);
    const deadline = Date.now() + 5000;
    while ((await ov.fetch(), ov.activeSessions.some((s) => s.sessionId === session.sessionId)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(
      ov.activeSessions.some((s) => s.sessionId === session.sessionId),
      false,
      'the session is gone',
    );
    await people[0].close();
  });

  it('recordings survive a restart; delete removes their files', async () => {
    const before = await ov.listRecordings();
    const ready = before.filter((r) => r.status === Recording.Status.ready);
    assert.ok(ready.length >= 3, 'recordings from the previous tests');
    await target.close();
    await startTarget();
    const afterRestart = await ov.listRecordings();
    assert.deepEqual(afterRestart.map((r) => [r.id, r.status, r.size]).sort(), before.map((r) => [r.id, r.status, r.size]).sort());
    const victim = ready[0];
    assert.ok(existsSync(path.join(recordingPath, victim.id)));
    await ov.deleteRecording(victim.id);
    assert.equal(existsSync(path.join(recordingPath, victim.id)), false, 'folder removed');
    await assert.rejects(ov.getRecording(victim.id), /404/);
    assert.ok((await readdir(recordingPath)).length >= 2, 'the other recordings are untouched');
  });
});
