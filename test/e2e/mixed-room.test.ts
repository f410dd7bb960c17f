// End-to-end journey in a mixed room: `npm start`, then a Firefox participant (Fia) and a Chromium participant (Chad)
// on the demo page, both with fake camera and microphone. They join the same room and see each other's video playing;
// Fia records a clip that becomes ready in both lists and plays with sound in her Firefox player; her snapshot shows
// in both galleries; both desktops offer screen sharing. Chromium is driven by playwright-core; Firefox (Debian's
// firefox-esr) by puppeteer-core over WebDriver BiDi, because Playwright cannot drive Debian's Firefox. Everything
// stays on 127.0.0.1. Screenshots go to test-output/e2e/mixed-*.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Browser as PuppeteerBrowser, BrowserContext as PuppeteerContext, Page as PuppeteerPage } from 'puppeteer-core';
import { launchChromium } from '../helpers/browser.js';
import { gallery, joinFromForm, npmStart, oneReadyClipEverywhere, roomState, root, tiles, waitFor, type NpmStart } from '../helpers/demo-page.js';
import { sleep } from '../helpers/until.js';
import { launchFirefox } from '../helpers/firefox.js';

const shots = path.join(root, 'test-output/e2e');
const ROOM = `mixed-${process.pid}`;

let demo: NpmStart;
let base: string;
let chromium: Browser;
let firefox: PuppeteerBrowser;
let chromiumContext: BrowserContext;
let firefoxContext: PuppeteerContext;
let fia: PuppeteerPage; // Firefox: joins by link, records, takes a snapshot
let chad: Page; // Chromium: joins from the form

const chromiumShot = (name: string) => chad.screenshot({ path: path.join(shots, `mixed-${name}.png`) });
const firefoxShot = (name: string) => fia.screenshot({ path: path.join(shots, `mixed-${name}.png`) as `${string}.png` });

/** What Firefox's clip player shows: time, duration, picture and sound (`mozHasAudio` is Firefox's own). */
const firefoxPlayer = () =>
  fia.evaluate(() => {
    const player = document.querySelector('ov-clip-list')?.shadowRoot?.querySelector('ov-media-player');
    const v = player?.shadowRoot?.querySelector('video') as (HTMLVideoElement & { mozHasAudio?: boolean }) | null | undefined;
    const dialog = player?.shadowRoot?.querySelector('dialog');
    if (!v) return null;
    return {
      open: !!dialog?.open,
      t: v.currentTime,
      d: v.duration,
      w: v.videoWidth,
      audio: v.mozHasAudio === true,
      paused: v.paused,
      readyState: v.readyState,
      networkState: v.networkState,
      error: v.error?.code ?? null,
      src: v.currentSrc,
    };
  });

describe('a mixed room: Firefox and Chromium on the demo page', { timeout: 300_000 }, () => {
  before(async () => {
    mkdirSync(shots, { recursive: true });
    demo = await npmStart();
    base = demo.url;
    [chromium, firefox] = await Promise.all([launchChromium(), launchFirefox()]);
    chromiumContext = await chromium.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 1280, height: 800 } });
    chad = await chromiumContext.newPage();
    chad.on('pageerror', (e) => console.error(`    [Chad] page error: ${e.message}`));
    firefoxContext = await firefox.createBrowserContext();
    fia = await firefoxContext.newPage();
    await fia.setViewport({ width: 1280, height: 800 });
    fia.on('pageerror', (e) => console.error(`    [Fia] page error: ${e instanceof Error ? e.message : e}`));
  });

  after(async () => {
    await chromiumContext?.close().catch(() => {});
    await chromium?.close().catch(() => {});
    await firefoxContext?.close().catch(() => {});
    await firefox?.close().catch(() => {});
    await demo?.stop();
  });

  it('Fia (Firefox, by link) and Chad (Chromium, from the form) join the same room and see each other’s video playing', async () => {
    await fia.goto(`${base}/?session=${ROOM}&name=Fia`);
    await waitFor(
      'Fia live',
      () => roomState(fia),
      (s) => s === 'live',
    );
    await joinFromForm(chad, base, ROOM, 'Chad');
    await waitFor(
      'Chad live',
      () => roomState(chad),
      (s) => s === 'live',
    );

    for (const [who, page, other] of [
      ['Fia', fia, 'Chad'],
      ['Chad', chad, 'Fia'],
    ] as const) {
      const seen = await waitFor(
        `${who} sees two playing videos`,
        () => tiles(page),
        (t) => t.length === 2 && t.every((x) => x.playing),
        30_000,
      );
      assert.equal(seen.filter((t) => t.local).length, 1, `${who}: one local tile`);
      assert.equal(seen.find((t) => !t.local)!.name, other, `${who} sees ${other} by name`);
    }
    await firefoxShot('firefox-room');
    await chromiumShot('chromium-room');
  });

  let clipId = '';
  it('Fia records a 3 s clip in Firefox; it is ready in both lists, and her Firefox player plays it with sound', async () => {
    // `>>>` is puppeteer's deep combinator: its selectors do not pierce shadow roots otherwise.
    await fia.click('ov-live-room >>> [part~="clip-button"]');
    await waitFor(
      'the recording indicator on Chad’s side',
      () => chad.locator('ov-live-room [part~="recording-indicator"]').count(),
      (n) => n === 1,
    );
    await sleep(3000);
    await fia.click('ov-live-room >>> [part~="clip-button"]');

    clipId = await oneReadyClipEverywhere({ Chad: chad, Fia: fia });

    await fia.click(`ov-clip-list >>> li[data-id="${clipId}"] button[part="clip"]`);
    const played = await waitFor('the clip playing with sound in Fia’s Firefox player', firefoxPlayer, (s) => !!s && s.open && s.t > 0.5 && s.audio);
    assert.ok(played!.d > 2 && played!.d < 5, `clip duration ${played!.d} s`);
    assert.ok(played!.w > 0, 'it has a picture');
    await firefoxShot('firefox-clip-playing');
    await fia.keyboard.press('Escape');
    await waitFor('the player closed', firefoxPlayer, (s) => !!s && !s.open);
  });

  it('a snapshot taken in Firefox shows in Chromium’s gallery and in Firefox’s', async () => {
    await fia.click('ov-snapshot-button >>> [part~="button"]');
    let snapshotId = '';
    for (const [who, page] of [
      ['Chad', chad],
      ['Fia', fia],
    ] as const) {
      const ids = await waitFor(
        `Fia’s snapshot in ${who}’s gallery`,
        () => gallery(page),
        (g) => g.length === 1,
      );
      snapshotId ||= ids[0];
      assert.equal(ids[0], snapshotId, 'both galleries show the same snapshot');
    }
    assert.match(snapshotId, /^snap_/);
    await chromiumShot('chromium-gallery');
  });

  it('desktop Firefox offers the screen-share control, and so does desktop Chromium', async () => {
    const inFirefox = await fia.$$('ov-live-room >>> [part~="screen-button"]');
    assert.equal(inFirefox.length, 1, 'Firefox desktop has it');
    await Promise.all(inFirefox.map((h) => h.dispose()));
    assert.equal(await chad.locator('ov-live-room [part~="screen-button"]').count(), 1, 'Chromium desktop has it');
  });
});
