// Benchmarks of the embedded OpenVidu server: time to first remote frame, recording stop → ready, SFU cost.
// The server runs as its own process (so its CPU is measured alone); browsers are headless Chromium with fake
// devices on loopback. Prints a table and returns rows to bench/run.mjs.
import { OpenVidu } from 'openvidu-node-client';
import type { BrowserContext } from 'playwright-core';
import { launchChromium, newContext } from '../test/helpers/browser.js';
import { startPageServer } from '../test/helpers/static-server.js';
import { Participant } from '../test/helpers/participant.js';
import { cpuSeconds, percentile, printTable, round, rssMiB, startServerProcess, type BenchRow } from './lib.js';

const FIRST_FRAME_RUNS = Number(process.env.BENCH_FIRST_FRAME_RUNS ?? 12);
const CPU_WINDOW_S = Number(process.env.BENCH_CPU_WINDOW_S ?? 10);
/** What a webcam publishes by default in openvidu-browser. */
const PUBLISH = { resolution: '640x480', frameRate: 30 };
const RECORDING_LENGTHS = (process.env.BENCH_RECORDING_SECONDS ?? '5,30')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const server = await startServerProcess();
  const ov = new OpenVidu(server.url, server.secret);
  const pages = await startPageServer();
  const browser = await launchChromium();
  try {
    rows.push(...(await firstFrame(ov, await newContext(browser), pages.url)));
    rows.push(...(await recordingReady(ov, server.url, server.secret, await newContext(browser), pages.url)));
    rows.push(...(await sfuCost(ov, server.child.pid!, await newContext(browser), pages.url)));
  } finally {
    await browser.close();
    await pages.close();
    await server.stop();
  }
  printTable({ openvidu: rows });
  return rows;
}

async function publisher(ov: OpenVidu, ctx: BrowserContext, pageUrl: string, sessionId: string) {
  const session = await ov.createSession({ customSessionId: sessionId });
  const p = await Participant.open(ctx, pageUrl);
  await p.join((await session.createConnection()).token, 'publisher');
  await p.publish(PUBLISH);
  return { session, p };
}

/** A subscriber joins a session where someone already publishes: connect() start → first frame presented. */
async function firstFrame(ov: OpenVidu, ctx: BrowserContext, pageUrl: string): Promise<BenchRow[]> {
  const { session, p: pub } = await publisher(ov, ctx, pageUrl, 'bench-first-frame');
  const times: number[] = [];
  for (let i = 0; i < FIRST_FRAME_RUNS; i++) {
    const sub = await Participant.open(ctx, pageUrl);
    await sub.join((await session.createConnection()).token, `sub${i}`);
    const frame = await sub.waitForEvent({ type: 'firstFrame', connectionId: pub.connectionId }, 15_000);
    const start = (await sub.log()).find((e) => e.type === 'joinStart')!;
    times.push(frame.t - start.t);
    await sub.call('ovLeave');
    await sub.close();
  }
  await pub.close();
  await ctx.close();
  const detail = `${times.length} joins; min ${Math.min(...times)} max ${Math.max(...times)}`;
  return [
    { name: 'join → first remote frame p50', value: percentile(times, 50), unit: 'ms', target: '≤ 400 ms', detail },
    { name: 'join → first remote frame p95', value: percentile(times, 95), unit: 'ms' },
  ];
}

/** Two publishers, a COMPOSED recording of N seconds; time from the stop request to status `ready`. */
async function recordingReady(ov: OpenVidu, url: string, secret: string, ctx: BrowserContext, pageUrl: string): Promise<BenchRow[]> {
  const { session, p: a } = await publisher(ov, ctx, pageUrl, 'bench-recording');
  const b = await Participant.open(ctx, pageUrl);
  await b.join((await session.createConnection()).token, 'second');
  await b.publish(PUBLISH);
  await a.waitForRemoteVideo(b.connectionId, 3);
  const auth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${secret}`).toString('base64');
  const rows: BenchRow[] = [];
  for (const seconds of RECORDING_LENGTHS) {
    const rec = await ov.startRecording(session.sessionId, { resolution: '1280x720', frameRate: 25 });
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const t0 = performance.now();
    await ov.stopRecording(rec.id);
    let status = '';
    let duration = 0;
    while (performance.now() - t0 < 60_000) {
      const res = await fetch(`${url}/openvidu/api/recordings/${encodeURIComponent(rec.id)}`, { headers: { Authorization: auth } });
      const json = (await res.json()) as { status: string; duration: number };
      status = json.status;
      duration = json.duration;
      if (status === 'ready' || status === 'failed') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const ms = round(performance.now() - t0);
    rows.push({
      name: `recording stop → ready (${seconds} s, 2 publishers)`,
      value: status === 'ready' ? ms : `${status}`,
      unit: status === 'ready' ? 'ms' : '',
      target: seconds >= 30 ? '≤ 500 ms' : undefined,
      detail: `file ${duration} s`,
    });
  }
  await Promise.all([a.close(), b.close()]);
  await ctx.close();
  return rows;
}

/** One publisher and K subscribers: the server process's CPU (100 % = one core) and RSS over a window. */
async function sfuCost(ov: OpenVidu, pid: number, ctx: BrowserContext, pageUrl: string): Promise<BenchRow[]> {
  const { session, p: pub } = await publisher(ov, ctx, pageUrl, 'bench-sfu');
  const subs: Participant[] = [];
  const rows: BenchRow[] = [];
  for (const k of [1, 4, 8]) {
    while (subs.length < k) {
      const s = await Participant.open(ctx, pageUrl);
      await s.join((await session.createConnection()).token, `s${subs.length}`);
      await s.waitForRemoteVideo(pub.connectionId, 3);
      subs.push(s);
    }
    await new Promise((r) => setTimeout(r, 1500)); // settle
    const c0 = cpuSeconds(pid);
    const t0 = performance.now();
    const f0 = await Promise.all(subs.map(async (s) => (await s.remoteVideo())[pub.connectionId].framesDecoded));
    await new Promise((r) => setTimeout(r, CPU_WINDOW_S * 1000));
    const cpu = ((cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
    const f1 = await Promise.all(subs.map(async (s) => (await s.remoteVideo())[pub.connectionId].framesDecoded));
    const fps = f1.map((f, i) => (f - f0[i]) / CPU_WINDOW_S);
    rows.push({
      name: `SFU CPU, 1 publisher → ${k} subscriber${k > 1 ? 's' : ''}`,
      value: round(cpu, 1),
      unit: '% core',
      target: k === 8 ? '≤ 25 %' : undefined,
      detail: `RSS ${round(rssMiB(pid))} MiB; subscriber fps min ${round(Math.min(...fps), 1)}`,
    });
  }
  await Promise.all([pub.close(), ...subs.map((s) => s.close())]);
  await ctx.close();
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}
