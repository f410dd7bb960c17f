// Instant replay against the reference server with the embedded OpenVidu (its own process, as under `npm start`):
// what a room's buffer costs in CPU (the OpenVidu process and its ffmpeg children, 1 and 2 publishers, buffer off
// then on), and how long "clip the last 30 s" takes from the click to `ready` (the answer, and the `clip` event an
// event stream gets). openvidu-browser publishers in headless Chromium; everything on 127.0.0.1.
import { readdirSync, readFileSync } from 'node:fs';
import { startTestServer } from '../test/helpers/app-server.js';
import { startOvBrowser } from '../test/helpers/ov-browser.js';
import { SseClient } from '../test/helpers/sse.js';
import { sleep } from '../test/helpers/until.js';
import { cpuSeconds, percentile, round, type BenchRow } from './lib.js';

const REPLAY_SECONDS = 30;
const ROUNDS = 10;
const CPU_WINDOW_MS = 20_000;

/** The process and every descendant of it, from /proc. */
function subtree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone meanwhile */
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [child, p] of parent) if (p === out[i]) out.push(child);
  return out;
}

/** CPU share of one core used by the process tree over the window (children that end within it are missed: none do). */
async function cpuShare(pid: number, ms: number): Promise<number> {
  const read = () =>
    new Map(
      subtree(pid).map((p) => [
        p,
        (() => {
          try {
            return cpuSeconds(p);
          } catch {
            return 0;
          }
        })(),
      ]),
    );
  const before = read();
  const t0 = performance.now();
  await sleep(ms);
  const after = read();
  let used = 0;
  for (const [p, s] of after) used += s - (before.get(p) ?? 0);
  return (100 * used) / ((performance.now() - t0) / 1000);
}

export async function run(): Promise<BenchRow[]> {
  const server = await startTestServer({ REPLAY_SECONDS: String(REPLAY_SECONDS), LOG_LEVEL: 'warn' });
  const chromium = await startOvBrowser();
  const rows: BenchRow[] = [];
  const api = async (p: string, init: { method?: string; json?: unknown } = {}) => {
    const res = await fetch(`${server.url}/api${p}`, {
      method: init.method ?? 'GET',
      headers: init.json !== undefined ? { 'content-type': 'application/json' } : undefined,
      body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    });
    const body = await res.json();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${p}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  const pid = server.openvidu?.pid;
  if (!pid) throw new Error('the embedded OpenVidu runs in its own process under npm start; no pid here');
  try {
    for (const publishers of [1, 2]) {
      const room = `bench-replay-${publishers}-${process.pid}`;
      for (let i = 0; i < publishers; i++) {
        const { token } = await api(`/sessions/${room}/token`, { method: 'POST', json: { name: `Pub ${i}` } });
        const p = await chromium.participant();
        await p.join(token);
        await p.publish();
      }
      await sleep(3000); // media flowing, first-second costs over
      const off = await cpuShare(pid, CPU_WINDOW_MS);
      await api(`/sessions/${room}/replay`, { method: 'POST' });
      for (let i = 0; i < 100 && (await api(`/sessions/${room}/replay`)).state !== 'on'; i++) await sleep(200);
      await sleep(3000);
      const on = await cpuShare(pid, CPU_WINDOW_MS);
      const detail = `OpenVidu process + ffmpeg, ${CPU_WINDOW_MS / 1000} s, ${publishers} × 320x240 openvidu-browser publisher(s), % of one core`;
      rows.push({ name: `CPU, ${publishers} publisher(s), no buffer`, value: round(off, 1), unit: '%', detail });
      rows.push({ name: `CPU, ${publishers} publisher(s), buffer on`, value: round(on, 1), unit: '%', detail, target: 'measured' });

      if (publishers === 2) {
        const events = new SseClient(`${server.url}/api/sessions/${room}/events`);
        for (let i = 0; i < 200 && (await api(`/sessions/${room}/replay`)).held < REPLAY_SECONDS; i++) await sleep(500);
        const answer: number[] = [];
        const event: number[] = [];
        const durations: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          const t0 = performance.now();
          const clip = await api(`/sessions/${room}/clips`, { method: 'POST', json: { replaySeconds: REPLAY_SECONDS } });
          answer.push(performance.now() - t0);
          await events.waitFor((e) => e.event === 'clip' && e.data?.id === clip.id && e.data?.status === 'ready', 10_000);
          event.push(performance.now() - t0);
          const ready = clip.status === 'ready' ? clip : await api(`/clips/${encodeURIComponent(clip.id)}`);
          durations.push(ready.duration);
          await sleep(2000);
        }
        events.close();
        const how = `${ROUNDS} rounds, 2 publishers, buffer of ${REPLAY_SECONDS} s, one every 2 s`;
        rows.push({
          name: `replay ${REPLAY_SECONDS} s: click → answered ready, p50`,
          value: round(percentile(answer, 50)),
          unit: 'ms',
          detail: how,
          target: '≤ 1000 ms',
        });
        rows.push({ name: `replay ${REPLAY_SECONDS} s: click → answered ready, p95`, value: round(percentile(answer, 95)), unit: 'ms', detail: how });
        rows.push({
          name: `replay ${REPLAY_SECONDS} s: click → SSE clip ready, p50`,
          value: round(percentile(event, 50)),
          unit: 'ms',
          detail: how,
          target: '≤ 1000 ms',
        });
        rows.push({
          name: `replay ${REPLAY_SECONDS} s: clip duration, min / max`,
          value: `${round(Math.min(...durations), 2)} / ${round(Math.max(...durations), 2)}`,
          unit: 's',
          detail: 'ffprobe of the cut, as the clip reports it',
          target: `${REPLAY_SECONDS} ± 1 s`,
        });
      }
      await api(`/sessions/${room}/replay`, { method: 'DELETE' });
    }
  } finally {
    await chromium.close();
    await server.stop();
  }
  for (const r of rows) console.log(`  ${r.name}: ${r.value} ${r.unit}`);
  return rows;
}
