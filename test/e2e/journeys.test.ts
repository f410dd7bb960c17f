// End-to-end journeys: `npm start` as a newcomer runs it, and Chromium (fake camera and microphone) clicking through
// the demo page and the /embed page as users would. One browser, one context per participant. Everything stays on
// 127.0.0.1. Screenshots of each journey's key screen go to test-output/e2e/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { devices, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { clips, gallery, joinFromForm, npmStart, oneReadyClipEverywhere, roomState, root, tiles, waitFor, type NpmStart } from '../helpers/demo-page.js';

const shots = path.join(root, 'test-output/e2e');
const ROOM = `journey-${process.pid}`;

let demo: NpmStart;
let base: string;
let browser: Browser;
const contexts: BrowserContext[] = [];
let a: Page; // Ana, who records and takes snapshots
let b: Page; // Ben, who opens Ana's "second participant" link

async function participant(name: string, options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 1280, height: 800 }, ...options });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`    [${name}] page error: ${e.message}`));
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`) });

describe('journeys through the demo', { timeout: 300_000 }, () => {
  before(async () => {
    mkdirSync(shots, { recursive: true });
    demo = await npmStart();
    base = demo.url;
    browser = await launchChromium(['--auto-select-desktop-capture-source=Entire screen']);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await demo?.stop();
  });

  it('two participants join the same room from the demo page and see each other’s video playing', async () => {
    a = await participant('Ana');
    await joinFromForm(a, base, ROOM, 'Ana');
    await waitFor(
      'Ana live',
      () => roomState(a),
      (s) => s === 'live',
    );

    // Ben follows the page's own "Open a second participant" link.
    const invite = await a.getAttribute('#second', 'href');
    assert.ok(invite && new URL(invite).searchParams.get('session') === ROOM, `invite link: ${invite}`);
    b = await participant('Ben');
    await b.goto(invite);

    for (const [who, page] of [
      ['Ana', a],
      ['Ben', b],
    ] as const) {
      const seen = await waitFor(
        `${who} sees two playing videos`,
        () => tiles(page),
        (t) => t.length === 2 && t.every((x) => x.playing),
      );
      assert.equal(seen.filter((t) => t.local).length, 1, `${who}: one local tile`);
    }
    const fromAna = await tiles(a);
    assert.match(fromAna.find((t) => !t.local)!.name, /^Guest \d{3}$/, 'Ana sees Ben under the name the link gave him');
    await shot(a, 'two-participants');
  });

  let clipId = '';
  it('Ana records a 3 s clip; it is ready in both lists without reload, and Ben’s player plays it with sound', async () => {
    await a.click('ov-live-room [part~="clip-button"]');
    await waitFor(
      'the recording indicator on Ben’s side',
      () => b.locator('ov-live-room [part~="recording-indicator"]').count(),
      (n) => n === 1,
    );
    await a.waitForTimeout(3000);
    await a.click('ov-live-room [part~="clip-button"]');

    clipId = await oneReadyClipEverywhere({ Ana: a, Ben: b });

    await b.click(`ov-clip-list li[data-id="${clipId}"] button[part="clip"]`);
    const video = b.locator('ov-clip-list video[part="video"]');
    const played = await waitFor(
      'the clip playing in Ben’s player',
      () =>
        video.evaluate((v: HTMLVideoElement) => ({
          t: v.currentTime,
          d: v.duration,
          w: v.videoWidth,
          audioBytes: (v as HTMLVideoElement & { webkitAudioDecodedByteCount: number }).webkitAudioDecodedByteCount,
        })),
      (s) => s.t > 0.5 && s.audioBytes > 0,
    );
    assert.ok(played.d > 2 && played.d < 5, `clip duration ${played.d} s`);
    assert.ok(played.w > 0, 'it has a picture');
    await shot(b, 'clip-playing');
    await b.keyboard.press('Escape');
    await waitFor(
      'the player closed',
      () => video.evaluate((v) => (v.getRootNode() as ShadowRoot).querySelector('dialog')!.open),
      (open) => !open,
    );
  });

  let snapshotId = '';
  it('Ana takes a snapshot; it shows in both galleries, and so does Ben’s, newest first', async () => {
    await a.click('ov-snapshot-button [part~="button"]');
    for (const [who, page] of [
      ['Ana', a],
      ['Ben', b],
    ] as const) {
      const ids = await waitFor(
        `a snapshot in ${who}’s gallery`,
        () => gallery(page),
        (g) => g.length === 1,
      );
      snapshotId ||= ids[0];
      assert.equal(ids[0], snapshotId);
    }
    assert.match(snapshotId, /^snap_/);
    await b.click('ov-snapshot-button [part~="button"]');
    for (const [who, page] of [
      ['Ana', a],
      ['Ben', b],
    ] as const) {
      const ids = await waitFor(
        `Ben’s snapshot in ${who}’s gallery`,
        () => gallery(page),
        (g) => g.length === 2,
      );
      assert.equal(ids[1], snapshotId, `${who}: Ana's older snapshot comes second`);
    }
    await shot(a, 'snapshot');
  });

  it('desktop: Ben shares his screen, and Ana sees it as a second tile of his', async () => {
    await b.click('ov-live-room [part~="screen-button"]');
    const seen = await waitFor(
      'Ben’s screen on Ana’s side',
      () => tiles(a),
      (t) => t.some((x) => x.kind === 'screen' && !x.local && x.playing),
    );
    assert.equal(seen.length, 3, 'Ana, Ben’s camera, Ben’s screen');
    await shot(a, 'screen-share');
    await b.click('ov-live-room [part~="screen-button"]');
    await waitFor(
      'the screen tile gone when Ben stops',
      () => tiles(a),
      (t) => t.length === 2 && !t.some((x) => x.kind === 'screen'),
    );
  });

  it('a phone (iPhone, touch, no getDisplayMedia) joins without the screen-share control', async () => {
    const phone = await participant('Phone', { ...devices['iPhone 13'], defaultBrowserType: undefined } as Parameters<Browser['newContext']>[0]);
    // What Safari on iOS exposes: no getDisplayMedia, Apple's vendor string, no User-Agent Client Hints. (A string:
    // the page must not receive helpers the TypeScript transform adds to functions.)
    await phone.addInitScript(`
      delete MediaDevices.prototype.getDisplayMedia;
      Object.defineProperty(Navigator.prototype, 'vendor', { get: () => 'Apple Computer, Inc.' });
      Object.defineProperty(Navigator.prototype, 'userAgentData', { get: () => undefined });
    `);
    await phone.goto(`${base}/?session=${ROOM}&name=Phone`);
    await waitFor(
      'the phone live',
      () => roomState(phone),
      (s) => s === 'live',
    );
    assert.equal(await phone.locator('ov-live-room [part~="mic-button"]').count(), 1, 'the toolbar is there');
    assert.equal(await phone.locator('ov-live-room [part~="screen-button"]').count(), 0, 'no screen-share control on a phone');
    assert.equal(await a.locator('ov-live-room [part~="screen-button"]').count(), 1, 'desktop Chromium has it');
    await waitFor(
      'the phone’s video on Ana’s side',
      () => tiles(a),
      (t) => t.length === 3 && t.every((x) => x.playing),
    );
    await shot(phone, 'phone');
    await phone.click('ov-live-room [part~="leave-button"]');
    await waitFor(
      'the phone gone from Ana’s room',
      () => tiles(a),
      (t) => t.length === 2,
    );
  });

  it('after leaving and reloading, the clip and the snapshot are still listed; a deleted clip disappears for both', async () => {
    await a.click('ov-live-room [part~="leave-button"]');
    await waitFor(
      'Ana left',
      () => roomState(a),
      (s) => s === 'left',
    );
    await a.reload();
    await waitFor(
      'Ana back in the room',
      () => roomState(a),
      (s) => s === 'live',
    );
    await waitFor(
      'the clip listed after reload',
      () => clips(a),
      (l) => l.length === 1 && l[0].id === clipId && l[0].status === 'ready',
    );
    await waitFor(
      'the snapshots listed after reload',
      () => gallery(a),
      (g) => g.length === 2 && g[1] === snapshotId,
    );
    await shot(a, 'after-reload');

    await a.click(`ov-clip-list li[data-id="${clipId}"] [part~="delete-button"]`);
    await a.click(`ov-clip-list li[data-id="${clipId}"] [part~="confirm-button"]`);
    for (const [who, page] of [
      ['Ana', a],
      ['Ben', b],
    ] as const)
      await waitFor(
        `the clip gone from ${who}’s list`,
        () => clips(page),
        (l) => l.length === 0,
      );
    const res = await fetch(`${base}/api/clips/${encodeURIComponent(clipId)}`);
    assert.equal(res.status, 404, 'deleted on the server too');
  });

  it('/embed works inside an <iframe allow="camera; microphone; display-capture"> on another origin', async () => {
    const host = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>A CMS page</title><h1>Our blog post</h1>
        <iframe src="${base}/embed?session=${ROOM}&name=Embedded" allow="camera; microphone; display-capture" style="width:900px;height:640px;border:0"></iframe>`);
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    try {
      const hostUrl = `http://127.0.0.1:${(host.address() as { port: number }).port}/`;
      assert.notEqual(new URL(hostUrl).origin, new URL(base).origin);
      const cms = await participant('CMS reader');
      await cms.goto(hostUrl);
      const frame = await waitFor(
        'the embed frame',
        async () => cms.frames().find((f) => f.url().startsWith(`${base}/embed`)),
        (f) => !!f,
      );
      await waitFor(
        'the embedded room live',
        () => roomState(frame!),
        (s) => s === 'live',
      );
      await waitFor(
        'the embedded room sees Ana and Ben playing',
        () => tiles(frame!),
        (t) => t.length === 3 && t.every((x) => x.playing),
      );
      await waitFor(
        'Ana sees the embedded participant',
        () => tiles(a),
        (t) => t.some((x) => x.name === 'Embedded' && x.playing),
      );
      assert.equal(await frame!.locator('ov-clip-list').count(), 1);
      assert.equal(await frame!.locator('ov-snapshot-button').count(), 1);
      await shot(cms, 'embed-in-iframe');
    } finally {
      host.close();
    }
  });

  it('a snapshot list that fails to load says so, rather than "no snapshots"', async () => {
    const page = await participant('Zoe');
    await page.route('**/api/sessions/*/snapshots', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message: 'down', code: 'OV_OPENVIDU_UNAVAILABLE' }),
      }),
    );
    await page.goto(`${base}/?session=${ROOM}&name=Zoe&lang=en`);
    const text = await waitFor(
      'the gallery message',
      () => page.locator('#gallery-empty').textContent(),
      (t) => /Could not load/.test(t ?? ''),
    );
    assert.match(text!, /Reload/);
    await page.context().close();
  });

  it('the demo page switches to Korean, elements included', async () => {
    await a.click('[data-lang="ko"]');
    assert.equal(await a.evaluate(() => document.documentElement.lang), 'ko');
    assert.equal(await a.locator('#join-form button[type="submit"]').textContent(), '참여');
    await waitFor(
      'the room in Korean',
      () => a.locator('ov-live-room').getAttribute('lang'),
      (l) => l === 'ko',
    );
    const label = await a.locator('ov-live-room [part~="leave-button"]').getAttribute('aria-label');
    assert.ok(label && /[가-힣]/.test(label), `leave button label: ${label}`);
    await shot(a, 'korean');
    await a.click('[data-lang="en"]');
  });
});
