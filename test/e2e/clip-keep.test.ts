// Keeping a clip, end to end on the demo page as people would: `npm start`, two Chromium participants (fake camera
// and microphone), a clip recorded from the toolbar, then renamed inline, trimmed with the player's handles,
// downloaded and shared; the share link opened by someone with no cookies on a phone-sized screen. The trimmed media
// is measured with ffprobe. Everything on 127.0.0.1. Screenshots go to test-output/e2e/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { devices, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { probe } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';
import { launchChromium } from '../helpers/browser.js';
import { joinFromForm, npmStart, oneReadyClipEverywhere, roomState, root, tiles, waitFor, type NpmStart } from '../helpers/demo-page.js';
import { sleep } from '../helpers/until.js';

const shots = path.join(root, 'test-output/e2e');
const ROOM = `keep-${process.pid}`;
const CLIP_SECONDS = 5;
const NAME = '회의 하이라이트 "demo"';

let demo: NpmStart;
let browser: Browser;
const contexts: BrowserContext[] = [];
let a: Page; // Ana, who records and edits
let b: Page; // Ben, who watches his list change

async function context(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  const c = await browser.newContext(options);
  contexts.push(c);
  return c;
}

async function participant(name: string, extra: string[] = []): Promise<Page> {
  const c = await context({ permissions: ['camera', 'microphone', ...extra], viewport: { width: 1280, height: 800 } });
  const page = await c.newPage();
  page.on('pageerror', (e) => console.error(`    [${name}] page error: ${e.message}`));
  return page;
}

/** The clip as the server has it (from the page, so with the page's origin). */
const clipOf = (page: Page, id: string) =>
  page.evaluate(async (id) => (await fetch(`/api/clips/${encodeURIComponent(id)}`)).json(), id) as Promise<{
    name: string;
    duration: number;
    trim?: { start: number; end: number };
    originalDuration?: number;
  }>;

/** The names shown in a page's clip list. */
const names = (page: Page) =>
  page.evaluate(() => [...(document.querySelector('ov-clip-list')?.shadowRoot?.querySelectorAll('[part~="name"]') ?? [])].map((n) => n.textContent?.trim()));

/** The first element matching `part` anywhere in the page's shadow trees (Playwright's CSS pierces open roots). */
const part = (page: Page, name: string) => page.locator(`[part~="${name}"]`).first();

describe('keeping a clip: rename, trim, download, share', { timeout: 300_000 }, () => {
  before(async () => {
    mkdirSync(shots, { recursive: true });
    demo = await npmStart();
    browser = await launchChromium();
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await demo?.stop();
  });

  let clipId = '';
  it(`Ana records a ${CLIP_SECONDS} s clip from the toolbar; it is ready in both lists`, async () => {
    a = await participant('Ana', ['clipboard-read', 'clipboard-write']);
    await joinFromForm(a, demo.url, ROOM, 'Ana');
    await waitFor(
      'Ana live',
      () => roomState(a),
      (s) => s === 'live',
    );
    b = await participant('Ben');
    await b.goto(`${demo.url}/?session=${ROOM}&name=Ben`);
    await waitFor(
      'both see both',
      async () => [...(await tiles(a)), ...(await tiles(b))],
      (t) => t.length === 4 && t.every((x) => x.playing),
    );
    await a.click('ov-live-room [part~="clip-button"]');
    await sleep(CLIP_SECONDS * 1000);
    await a.click('ov-live-room [part~="clip-button"]');
    clipId = await oneReadyClipEverywhere({ Ana: a, Ben: b });
  });

  it('Ana renames it inline in her list (Esc cancels, Enter saves); Ben’s list shows the new name without reload', async () => {
    const before = (await names(a))[0];
    await part(a, 'rename-button').click();
    await part(a, 'rename-input').fill('not this');
    await a.keyboard.press('Escape');
    assert.deepEqual(await names(a), [before], 'Esc keeps the name');

    await part(a, 'rename-button').click();
    await part(a, 'rename-input').fill(NAME);
    await a.keyboard.press('Enter');
    await waitFor(
      'the new name in Ben’s list',
      () => names(b),
      (n) => n[0] === NAME,
    );
    assert.equal((await names(a))[0], NAME);
    assert.equal((await clipOf(a, clipId)).name, NAME, 'stored on the server');
  });

  let trim = { start: 0, end: 0 };
  it('Ana trims it in the player with the keyboard on the handles; the media served is the cut (ffprobe)', async () => {
    const original = await clipOf(a, clipId);
    await part(a, 'clip').click();
    await part(a, 'trim-button').click();
    const inHandle = part(a, 'in-handle');
    const outHandle = part(a, 'out-handle');
    await inHandle.waitFor();
    // In point at 1.5 s (Home, then PageUp = +1 s and ArrowRight = +0.1 s), out point 1 s before the end.
    await inHandle.focus();
    await a.keyboard.press('Home');
    await a.keyboard.press('PageUp');
    for (let i = 0; i < 5; i++) await a.keyboard.press('ArrowRight');
    const at = Number(await inHandle.getAttribute('aria-valuenow'));
    assert.ok(Math.abs(at - 1.5) < 0.001, `in handle at ${at}`);
    await outHandle.focus();
    await a.keyboard.press('End');
    await a.keyboard.press('PageDown');
    const out = Number(await outHandle.getAttribute('aria-valuenow'));
    assert.ok(Math.abs(out - (original.duration - 1)) < 0.051, `out handle at ${out} for a ${original.duration} s clip`);
    await a.screenshot({ path: path.join(shots, 'trim-editor.png') });
    await part(a, 'trim-save').click();

    const trimmed = await waitFor(
      'the clip trimmed on the server',
      () => clipOf(a, clipId),
      (c) => !!c.trim,
    );
    trim = trimmed.trim!;
    assert.ok(trim.start <= 1.5 && trim.start > 1.5 - 1.01, `cut at the keyframe at or before 1.5 s (a keyframe every second): ${trim.start}`);
    assert.ok(Math.abs(trim.end - out) < 0.06, `out point kept: ${trim.end} vs ${out}`);
    assert.equal(trimmed.originalDuration, original.duration);
    assert.ok(Math.abs(trimmed.duration - (trim.end - trim.start)) < 0.01, `duration ${trimmed.duration} = end - start`);

    // The media the list and the player now serve: its real duration, measured.
    const bytes = await a.evaluate(async (id) => {
      const res = await fetch(`/api/clips/${encodeURIComponent(id)}/media`);
      return [...new Uint8Array(await res.arrayBuffer())];
    }, clipId);
    const file = path.join(demo.dataDir, 'trimmed-download.mp4');
    writeFileSync(file, Buffer.from(bytes));
    const info = await probe(file);
    assert.ok(Math.abs(info.duration - (trim.end - trim.start)) < 0.25, `ffprobe: ${info.duration} s for the range ${trim.start}–${trim.end}`);
    assert.ok(info.duration < original.duration - 1.5, `shorter than the original ${original.duration} s`);
    // The player now plays the cut, not a cached original (its URL carries the edit's version).
    const playerVideo = a.locator('ov-media-player [part~="video"]');
    await waitFor(
      'the player on the cut',
      () => playerVideo.evaluate((v: HTMLVideoElement) => v.duration),
      (d) => Math.abs(d - (trim.end - trim.start)) < 0.25,
    );
    await a.screenshot({ path: path.join(shots, 'player-trimmed.png') });
  });

  it('Download saves the (trimmed) clip under its name, in any language', async () => {
    const [download] = await Promise.all([a.waitForEvent('download'), part(a, 'download').click()]);
    const file = download.suggestedFilename();
    assert.match(file, /^회의 하이라이트.*demo.*\.mp4$/, `saved as ${file}`);
    assert.doesNotMatch(file, /["/\\]/, 'no quote or path separator in the file name');
    const saved = path.join(demo.dataDir, 'saved.mp4');
    await download.saveAs(saved);
    const info = await probe(saved);
    assert.ok(Math.abs(info.duration - (trim.end - trim.start)) < 0.25, `downloaded ${info.duration} s`);
  });

  it('Copy link puts a share link on the clipboard; someone with no cookies opens it on a phone and it plays; an altered link is refused', async () => {
    await part(a, 'copy-link').click();
    const url = await waitFor(
      'a link on the clipboard',
      () => a.evaluate(() => navigator.clipboard.readText()),
      (t) => t.includes('/watch/'),
    );
    assert.match(url, new RegExp(`^${demo.url}/watch/${encodeURIComponent(clipId).replace(/[~]/g, '~')}\\?exp=\\d+&sig=[A-Za-z0-9_-]{43}$`));
    await a.screenshot({ path: path.join(shots, 'player-shared.png') });

    const stranger = await context({ ...devices['Pixel 7'] });
    assert.deepEqual(await stranger.cookies(), [], 'no cookies');
    const phone = await stranger.newPage();
    const res = await phone.goto(url);
    assert.equal(res?.status(), 200);
    assert.equal(await phone.locator('h1').textContent(), NAME);
    const og = await phone.evaluate(() =>
      Object.fromEntries([...document.querySelectorAll('meta[property^="og:"]')].map((m) => [m.getAttribute('property'), m.getAttribute('content')])),
    );
    assert.equal(og['og:title'], NAME);
    assert.match(og['og:image'] ?? '', /^http:\/\/127\.0\.0\.1:\d+\/watch\/.+\/thumbnail\?exp=\d+&sig=/);
    assert.match(og['og:video'] ?? '', /^http:\/\/127\.0\.0\.1:\d+\/watch\/.+\/media\?exp=\d+&sig=/);
    // It plays (muted: autoplay rules) and its length is the cut's.
    const played = await phone.evaluate(async () => {
      const v = document.querySelector('video')!;
      v.muted = true;
      await v.play();
      const t0 = v.currentTime;
      await new Promise((r) => setTimeout(r, 1000));
      return { advanced: v.currentTime - t0, duration: v.duration, width: v.videoWidth };
    });
    assert.ok(played.advanced > 0.3, `the video plays: +${played.advanced} s`);
    assert.ok(Math.abs(played.duration - (trim.end - trim.start)) < 0.25, `the page plays the cut: ${played.duration} s`);
    assert.ok(played.width > 0, 'with video');
    await phone.screenshot({ path: path.join(shots, 'watch-page-phone.png') });

    const sig = new URL(url).searchParams.get('sig')!;
    const altered = url.replace(sig, (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    const refused = await phone.goto(altered);
    assert.equal(refused?.status(), 403);
    assert.match((await phone.locator('body').textContent()) ?? '', /not valid/i);
  });

  it('Restore original gives the whole clip back, in both lists', async () => {
    await part(a, 'restore-button').click();
    const restored = await waitFor(
      'the original again',
      () => clipOf(a, clipId),
      (c) => !c.trim,
    );
    assert.ok(restored.duration > trim.end - trim.start + 1.5, `whole again: ${restored.duration} s`);
    const trimmedHint = (page: Page) => page.evaluate(() => !!document.querySelector('ov-clip-list')?.shadowRoot?.querySelector('[part~="trimmed"]'));
    await waitFor(
      'no trimmed hint in Ben’s list',
      () => trimmedHint(b),
      (t) => !t,
    );
    assert.equal(await trimmedHint(a), false);
  });
});
