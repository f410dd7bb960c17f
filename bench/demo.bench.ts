// What a user of the demo page waits for, measured in the pages: `npm start` and two Chromium participants on
// loopback, several rounds in fresh rooms.
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../test/helpers/browser.js';
import { clips, gallery, joinFromForm, npmStart, roomState, tiles, waitFor } from '../test/helpers/demo-page.js';
import { percentile, round, type BenchRow } from './lib.js';

const ROUNDS = 5;
const CLIP_SECONDS = 2;

async function participant(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

export async function run(): Promise<BenchRow[]> {
  const t0 = Date.now();
  const demo = await npmStart();
  const startMs = Date.now() - t0;
  const browser = await launchChromium();
  const m = { join: [] as number[], meet: [] as number[], clip: [] as number[], snapshot: [] as number[] };
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const room = `bench-${process.pid}-${i}`;
      const a = await participant(browser);
      const b = await participant(browser);

      let t = performance.now();
      await joinFromForm(a, demo.url, room, 'Ana');
      await waitFor(
        'Ana playing',
        () => tiles(a),
        (x) => x.length === 1 && x[0].playing,
      );
      m.join.push(performance.now() - t);

      t = performance.now();
      await b.goto(`${demo.url}/?session=${room}&name=Ben`);
      await waitFor(
        'both see both',
        async () => [...(await tiles(a)), ...(await tiles(b))],
        (x) => x.length === 4 && x.every((y) => y.playing),
      );
      m.meet.push(performance.now() - t);

      await a.click('ov-live-room [part~="clip-button"]');
      await waitFor(
        'recording',
        () => clips(b),
        (l) => l.length === 1,
      );
      await a.waitForTimeout(CLIP_SECONDS * 1000);
      t = performance.now();
      await a.click('ov-live-room [part~="clip-button"]');
      await waitFor(
        'ready in Ben’s list',
        () => clips(b),
        (l) => l[0]?.status === 'ready',
        30_000,
      );
      m.clip.push(performance.now() - t);

      t = performance.now();
      await a.click('ov-snapshot-button [part~="button"]');
      await waitFor(
        'in Ben’s gallery',
        () => gallery(b),
        (g) => g.length === 1,
      );
      m.snapshot.push(performance.now() - t);

      if ((await roomState(a)) !== 'live') throw new Error('Ana left the room during the round');
      await a.context().close();
      await b.context().close();
    }
  } finally {
    await browser.close();
    await demo.stop();
  }
  const row = (name: string, v: number[], target?: string): BenchRow => ({
    name,
    value: round(percentile(v, 50)),
    unit: 'ms',
    ...(target ? { target } : {}),
    detail: `p50 of ${v.length}; min ${round(Math.min(...v))} max ${round(Math.max(...v))}`,
  });
  return [
    { name: '`npm start` → URL printed (dist already built)', value: round(startMs), unit: 'ms' },
    row('click Join → own video playing', m.join),
    row('second participant opens the link → both see both playing', m.meet),
    row(`click stop (${CLIP_SECONDS} s clip) → ready in the other participant’s list`, m.clip, '≤ 1 s'),
    row('click Snapshot → image shown in the other participant’s gallery', m.snapshot),
  ];
}
