// Instant replay, end to end on the demo page: `npm start` with REPLAY_SECONDS, two Chromium participants whose
// cameras are canvases painted one colour (so a frame tells when it was filmed), the room turned to replay with
// `?replay=1`. Both see the indicator; the colour changes at a known moment; "Clip last N s" a little later gives a
// clip whose first frame is the old colour and last frame the new one: the clip really is the past. Then the host
// turns replay off (the indicator goes for everyone) and, once everyone has left, nothing of the buffer is left on
// disk. Everything on 127.0.0.1. Screenshots go to test-output/e2e/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { spawn } from 'node:child_process';
import { probe, resolveFfmpegPath } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';
import { launchChromium } from '../helpers/browser.js';
import { clips, npmStart, root, roomState, waitFor, type NpmStart } from '../helpers/demo-page.js';
import { sleep } from '../helpers/until.js';

const shots = path.join(root, 'test-output/e2e');
const ROOM = `replay-${process.pid}`;
const PLAIN_ROOM = `plain-${process.pid}`;
const REPLAY_SECONDS = 6;
const RED = [220, 30, 30];
const GREEN = [30, 200, 60];

let demo: NpmStart;
let browser: Browser;
const contexts: BrowserContext[] = [];
let a: Page; // Ana, who clips
let b: Page; // Ben, who joined without asking for replay and sees it anyway

/**
 * Before any page script: the camera becomes a canvas painted `window.tint` (with the time written on it for people
 * looking at the screenshots); the microphone stays Chromium's fake one. A string, not a function: the test runner's
 * compiler wraps named functions in a helper the page does not have.
 */
const PAINTED_CAMERA = `
  window.tint = 'rgb(220,30,30)';
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const out = new MediaStream();
    if (constraints && constraints.audio) for (const t of (await original({ audio: constraints.audio })).getAudioTracks()) out.addTrack(t);
    if (constraints && constraints.video) {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 240;
      const g = canvas.getContext('2d');
      setInterval(() => {
        g.fillStyle = window.tint;
        g.fillRect(0, 0, 320, 240);
        g.fillStyle = '#fff';
        g.font = '28px sans-serif';
        g.fillText(new Date().toISOString().slice(17, 22), 110, 130);
      }, 66);
      out.addTrack(canvas.captureStream(15).getVideoTracks()[0]);
    }
    return out;
  };
`;

async function participant(name: string, room: string, replay: boolean): Promise<Page> {
  const c = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 1280, height: 800 } });
  contexts.push(c);
  await c.addInitScript({ content: PAINTED_CAMERA });
  const page = await c.newPage();
  page.on('pageerror', (e) => console.error(`    [${name}] page error: ${e.message}`));
  await page.goto(`${demo.url}/?session=${room}&name=${name}${replay ? '&replay=1' : ''}`);
  await waitFor(
    `${name} joined`,
    () => roomState(page),
    (s) => s === 'live',
    30_000,
  );
  return page;
}

const indicator = (page: Page) => page.locator('ov-live-room [part~="replay-indicator"]');
const replayButton = (page: Page) => page.locator('ov-live-room [part~="replay-button"]');
const replayInfo = (page: Page, room = ROOM) =>
  page.evaluate(async (room) => (await fetch(`/api/sessions/${room}/replay`)).json(), room) as Promise<{ state: string; seconds: number; held: number }>;

/** Run a tool; its stdout as bytes. */
function stdoutOf(bin: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${path.basename(bin)} exited ${code}: ${err.slice(-300)}`))));
  });
}

/** The mean colour of a frame of `file` (`first` or `last`), from ffmpeg scaling it to one pixel. */
async function meanColour(file: string, which: 'first' | 'last'): Promise<number[]> {
  const input = which === 'first' ? ['-i', file, '-frames:v', '1'] : ['-sseof', '-0.6', '-i', file];
  const raw = await stdoutOf(resolveFfmpegPath(process.env.FFMPEG_PATH), [
    '-v',
    'error',
    ...input,
    '-an',
    // The mean over the whole frame, black padding included, is enough to tell red from green whatever the layout.
    '-vf',
    'scale=1:1:flags=area',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ]);
  assert.ok(raw.length >= 3, `ffmpeg gave no ${which} frame of ${file}`);
  const px = raw.subarray(raw.length - 3);
  return [px[0], px[1], px[2]];
}

const looksLike = (c: number[], ref: number[]) => (ref === RED ? c[0] > c[1] * 1.5 : c[1] > c[0] * 1.5);

describe('instant replay on the demo page', { timeout: 240_000 }, () => {
  before(async () => {
    mkdirSync(shots, { recursive: true });
    demo = await npmStart({ REPLAY_SECONDS: String(REPLAY_SECONDS), REPLAY_SEGMENT_SECONDS: '5' });
    browser = await launchChromium();
    a = await participant('Ana', ROOM, true);
    b = await participant('Ben', ROOM, false);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await demo?.stop();
  });

  it('shows everyone the indicator once the buffer runs, and the button beside Record', async () => {
    for (const [who, page] of [
      ['Ana', a],
      ['Ben', b],
    ] as const) {
      await waitFor(
        `the replay indicator for ${who}`,
        () => indicator(page).count(),
        (n) => n === 1,
        20_000,
      );
      assert.match((await indicator(page).textContent()) ?? '', new RegExp(`${REPLAY_SECONDS}`), 'the indicator says how far back');
      assert.equal(await replayButton(page).count(), 1, `${who} has the replay button`);
    }
    await a.screenshot({ path: path.join(shots, 'replay-on.png') });
  });

  it('clips the last seconds: ready in both lists, as long as asked, and its frames are the past', async () => {
    // Wait until the buffer holds more than a replay's worth, then change colour and clip 2.5 s later.
    await waitFor(
      'a full buffer',
      () => replayInfo(a),
      (r) => r.held >= REPLAY_SECONDS,
      30_000,
    );
    await Promise.all([a, b].map((p) => p.evaluate(() => ((window as unknown as { tint: string }).tint = 'rgb(30,200,60)'))));
    await sleep(2500);
    const clicked = Date.now();
    await replayButton(a).click();
    const ready = async (page: Page) => {
      const list = await waitFor(
        'a ready replay clip',
        () => clips(page),
        (l) => l.some((c) => c.status === 'ready'),
        20_000,
      );
      return { at: Date.now(), id: list.find((c) => c.status === 'ready')!.id };
    };
    const [ra, rb] = await Promise.all([ready(a), ready(b)]);
    assert.equal(ra.id, rb.id, 'both lists show the same clip');
    console.log(`    replay clip of ${REPLAY_SECONDS} s ready in Ana's list ${ra.at - clicked} ms, Ben's ${rb.at - clicked} ms after the click`);

    const file = path.join(shots, 'replay-clip.mp4');
    const bytes = await a.evaluate(async (id) => [...new Uint8Array(await (await fetch(`/api/clips/${encodeURIComponent(id)}/media`)).arrayBuffer())], ra.id);
    writeFileSync(file, Buffer.from(bytes));
    const info = await probe(file);
    const duration = info.duration;
    assert.ok(Math.abs(duration - REPLAY_SECONDS) <= 1, `duration ${duration} s is within 1 s of ${REPLAY_SECONDS} s`);
    const first = await meanColour(file, 'first');
    const last = await meanColour(file, 'last');
    assert.ok(looksLike(first, RED), `the first frame was filmed before the change (red), got rgb(${first})`);
    assert.ok(looksLike(last, GREEN), `the last frame was filmed after the change (green), got rgb(${last})`);
  });

  it('a room without a buffer has no replay button, and the server refuses a replay there', async () => {
    const c = await participant('Cleo', PLAIN_ROOM, false);
    assert.equal(await replayButton(c).count(), 0);
    assert.equal(await indicator(c).count(), 0);
    const refused = await c.evaluate(async (room) => {
      const r = await fetch(`/api/sessions/${room}/clips`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"replaySeconds":5}' });
      return { status: r.status, code: (await r.json()).code };
    }, PLAIN_ROOM);
    assert.deepEqual(refused, { status: 409, code: 'REPLAY_OFF' });
    await c.close();
  });

  it('turned off, the indicator and the button go for everyone; on again, and once all leave nothing is left', async () => {
    const folder = path.join(demo.dataDir, 'replay', ROOM);
    const off = await a.evaluate(async (room) => (await fetch(`/api/sessions/${room}/replay`, { method: 'DELETE' })).status, ROOM);
    assert.equal(off, 200);
    for (const page of [a, b]) {
      await waitFor(
        'the indicator gone',
        () => indicator(page).count(),
        (n) => n === 0,
        10_000,
      );
      assert.equal(await replayButton(page).count(), 0);
    }
    await waitFor(
      'the buffer folder removed',
      async () => existsSync(folder),
      (e) => e === false,
      10_000,
    );

    const on = await a.evaluate(async (room) => (await fetch(`/api/sessions/${room}/replay`, { method: 'POST' })).status, ROOM);
    assert.equal(on, 200);
    await waitFor(
      'the indicator back',
      () => indicator(b).count(),
      (n) => n === 1,
      20_000,
    );
    await waitFor(
      'media held again',
      () => replayInfo(a),
      (r) => r.held > 0,
      20_000,
    );
    for (const page of [a, b]) await page.click('ov-live-room [part~="leave-button"]');
    await waitFor(
      'the buffer folder removed after the room ended',
      async () => existsSync(folder),
      (e) => e === false,
      20_000,
    );
    const rest = existsSync(path.join(demo.dataDir, 'replay')) ? readdirSync(path.join(demo.dataDir, 'replay')) : [];
    assert.deepEqual(rest, [], 'no buffer of any room is left on disk');
  });
});
