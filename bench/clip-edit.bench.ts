// Keeping a clip: rename, trim (a 30 s clip, stream copy), share link and its public watch page, measured over real
// HTTP against the reference server with the embedded OpenVidu; one openvidu-browser publisher in Chromium makes
// the clip. Everything on 127.0.0.1.
import { startTestServer } from '../test/helpers/app-server.js';
import { startOvBrowser } from '../test/helpers/ov-browser.js';
import { sleep } from '../test/helpers/until.js';
import { percentile, round, type BenchRow } from './lib.js';

const CLIP_SECONDS = 30;
const ROUNDS = 10;

export async function run(): Promise<BenchRow[]> {
  const server = await startTestServer();
  const chromium = await startOvBrowser();
  const room = `bench-keep-${process.pid}`;
  const api = async (p: string, init: RequestInit & { json?: unknown } = {}) => {
    const res = await fetch(`${server.url}/api${p}`, {
      ...init,
      headers: init.json !== undefined ? { 'content-type': 'application/json' } : undefined,
      body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    });
    const body = res.status === 204 ? undefined : await res.json();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${p}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  try {
    const { token } = await api(`/sessions/${room}/token`, { method: 'POST', json: { name: 'Bench' } });
    const p = await chromium.participant();
    await p.join(token);
    await p.publish();
    await sleep(1000); // media flowing before the clip starts

    const started = await api(`/sessions/${room}/clips`, { method: 'POST', json: {} });
    await sleep(CLIP_SECONDS * 1000);
    await api(`/clips/${encodeURIComponent(started.id)}/stop`, { method: 'POST' });
    let clip = started;
    for (let i = 0; i < 100 && clip.status !== 'ready'; i++) {
      await sleep(100);
      clip = await api(`/clips/${encodeURIComponent(started.id)}`);
    }
    if (clip.status !== 'ready') throw new Error(`clip not ready: ${JSON.stringify(clip)}`);
    const id = encodeURIComponent(clip.id);

    const m = { rename: [] as number[], trim: [] as number[], restore: [] as number[], share: [] as number[], page: [] as number[], media: [] as number[] };
    let drift = 0;
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      await api(`/clips/${id}`, { method: 'PATCH', json: { name: `Bench clip ${i}` } });
      m.rename.push(performance.now() - t);

      // Trim: request → the answer (the cut is in place and served when it answers).
      const start = 2 + i * 1.3;
      const end = clip.duration - 1 - i * 0.7;
      t = performance.now();
      const trimmed = await api(`/clips/${id}/trim`, { method: 'POST', json: { start, end } });
      m.trim.push(performance.now() - t);
      drift = Math.max(drift, start - trimmed.trim.start);

      t = performance.now();
      const share = await api(`/clips/${id}/share`, { method: 'POST', json: { expiresIn: 3600 } });
      m.share.push(performance.now() - t);

      // The watch page as a chat app's preview fetcher or a phone sees it: first byte of the page, then of the video.
      t = performance.now();
      const page = await fetch(share.url);
      m.page.push(performance.now() - t);
      const html = await page.text();
      const video = /<meta property="og:video" content="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
      if (page.status !== 200 || !video) throw new Error(`watch page: ${page.status}`);
      t = performance.now();
      const media = await fetch(video, { headers: { range: 'bytes=0-65535' } });
      const reader = media.body!.getReader();
      await reader.read();
      m.media.push(performance.now() - t);
      await reader.cancel();

      t = performance.now();
      await api(`/clips/${id}/trim`, { method: 'DELETE' });
      m.restore.push(performance.now() - t);
    }
    await p.close();

    const row = (name: string, v: number[], target?: string, detail?: string): BenchRow => ({
      name,
      value: `${round(percentile(v, 50))} / ${round(percentile(v, 95))}`,
      unit: 'ms p50 / p95',
      target,
      detail: detail ?? `${v.length} rounds`,
    });
    return [
      row(`trim a ${round(clip.duration, 1)} s clip: request → cut served`, m.trim, '≤ 300 ms', `${ROUNDS} ranges; stream copy at the keyframe ≤ start`),
      {
        name: 'trim: in point moved back to its keyframe, at most',
        value: round(drift, 2),
        unit: 's',
        target: '≤ 1 s',
        detail: 'recorder keyframe every second',
      },
      row('restore the original', m.restore),
      row('rename', m.rename),
      row('create a share link', m.share),
      row('watch page: request → whole page', m.page, undefined, 'signature check + clip lookup, no cookies'),
      row('watch page video: request → first 64 KB', m.media, undefined, 'Range request on the trimmed media'),
    ];
  } finally {
    await chromium.close();
    await server.stop();
  }
}
