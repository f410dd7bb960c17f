// Publish-to-view: participant B is in the room; participant A calls session.connect(), then publishes its camera.
// Measured from the start of A's connect() to B's first decoded frame of A's camera (requestVideoFrameCallback's
// receiveTime + processingDuration in B's page; getStats, polled too, is cached ~50 ms by Chromium), with real
// openvidu-browser in headless Chromium and the embedded server in this process, so the server's own moments
// (endpoint timelines) share the clock with the pages'. Prints the figure and where the time goes (medians of each
// milestone). `npm run bench -- publish-to-view`; BENCH_PTV_ROUNDS=N (default 20).
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { Browser, BrowserContext } from 'playwright-core';
import { OpenVidu } from 'openvidu-node-client';
import { launchChromium, newContext } from '../test/helpers/browser.js';
import { startPageServer } from '../test/helpers/static-server.js';
import { Participant } from '../test/helpers/participant.js';
import { consoleLogger } from '../demo-server/embedded-openvidu/logger.js';
import { startEmbeddedOpenVidu, type EmbeddedOpenVidu } from '../demo-server/embedded-openvidu/index.js';
import { percentile, printTable, round, type BenchRow } from './lib.js';

const ROUNDS = Number(process.env.BENCH_PTV_ROUNDS ?? 20);
/** What a webcam publishes by default in openvidu-browser (as in openvidu.bench.ts). */
const PUBLISH = { resolution: '640x480', frameRate: 30 };

/**
 * Runs in every page before openvidu-browser: timestamps (performance.timeOrigin + now, the same wall clock as the
 * server's timelines) of the JSON-RPC messages, getUserMedia and each RTCPeerConnection's steps; B's subscriber
 * connection is polled for its first video packet, PLI and decoded frame, A's publisher for its first encoded frame
 * and keyframes.
 */
const PAGE_PROBE = `(() => {
  const now = () => performance.timeOrigin + performance.now();
  const marks = (window.__ptv = { rpc: [], pcs: [] });
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    constructor(...a) {
      super(...a);
      const ids = new Map();
      this.addEventListener('message', (e) => {
        try {
          const m = JSON.parse(e.data);
          if (m.method) marks.rpc.push({ t: now(), dir: 'in', method: m.method });
          else if (ids.has(m.id)) marks.rpc.push({ t: now(), dir: 'reply', method: ids.get(m.id), error: !!m.error });
        } catch {}
      });
      const send = this.send.bind(this);
      this.send = (d) => {
        try {
          const m = JSON.parse(d);
          if (m.method && m.method !== 'ping') {
            ids.set(m.id, m.method);
            marks.rpc.push({ t: now(), dir: 'out', method: m.method });
          }
        } catch {}
        return send(d);
      };
    }
  };
  // The first frame B presents: when its last packet arrived, when it was decoded, when it was presented.
  const rvfc = HTMLVideoElement.prototype.requestVideoFrameCallback;
  HTMLVideoElement.prototype.requestVideoFrameCallback = function (cb) {
    return rvfc.call(this, (t, meta) => {
      if (!marks.frame && this.dataset.connectionId) {
        const o = performance.timeOrigin;
        marks.frame = { callback: now(), presented: o + meta.presentationTime };
        if (meta.receiveTime) marks.frame.received = o + meta.receiveTime;
        if (meta.receiveTime && meta.processingDuration !== undefined) marks.frame.decoded = o + meta.receiveTime + meta.processingDuration * 1000;
      }
      cb(t, meta);
    });
  };
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => {
    marks.gumStart ??= now();
    const s = await gum(c);
    marks.gumEnd ??= now();
    return s;
  };
  const PC = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends PC {
    constructor(...a) {
      super(...a);
      const m = { created: now() };
      marks.pcs.push(m);
      const first = (k) => (m[k] ??= now());
      this.addEventListener('iceconnectionstatechange', () => this.iceConnectionState === 'connected' && first('iceConnected'));
      this.addEventListener('connectionstatechange', () => this.connectionState === 'connected' && first('connected'));
      this.addEventListener('icecandidate', (e) => e.candidate && first('firstLocalCandidate'));
      this.addEventListener('track', () => first('track'));
      const sld = this.setLocalDescription.bind(this);
      this.setLocalDescription = async (d) => {
        first('setLocal');
        const r = await sld(d);
        first('setLocalDone');
        return r;
      };
      const srd = this.setRemoteDescription.bind(this);
      this.setRemoteDescription = async (d) => {
        first('setRemote');
        m.kind = d.type === 'answer' ? 'offerer' : 'answerer';
        const r = await srd(d);
        first('setRemoteDone');
        return r;
      };
      const poll = async () => {
        if (this.signalingState === 'closed') return;
        const stats = await this.getStats().catch(() => null);
        stats && stats.forEach((r) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video') {
            m.role = 'subscriber';
            if (r.packetsReceived > 0) first('firstVideoPacket');
            if (r.pliCount > 0) first('firstPliSent');
            if (r.framesDecoded > 0) first('firstFrameDecoded');
            m.pliCount = r.pliCount;
          }
          if (r.type === 'outbound-rtp' && r.kind === 'video') {
            m.role = 'publisher';
            if (r.framesEncoded > 0) first('firstFrameEncoded');
            if (r.pliCount > 0) first('firstPliReceived');
            if (r.keyFramesEncoded > (m.keyFrames ?? 0)) (m.keyframeTimes ??= []).push(now());
            m.keyFrames = r.keyFramesEncoded;
            m.pliCount = r.pliCount;
          }
        });
        if (!(m.firstFrameDecoded || (m.keyFrames > 1 && now() - m.created > 3000)) || now() - m.created < 3000) setTimeout(poll, 20);
      };
      setTimeout(poll, 20);
    }
  };
})();`;

interface PcMarks {
  created: number;
  role?: 'publisher' | 'subscriber';
  keyframeTimes?: number[];
  pliCount?: number;
  [k: string]: unknown;
}
interface PageMarks {
  rpc: Array<{ t: number; dir: string; method: string }>;
  pcs: PcMarks[];
  gumStart?: number;
  gumEnd?: number;
  frame?: { callback: number; presented: number; received?: number; decoded?: number };
}

export async function run(): Promise<BenchRow[]> {
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const loadBefore = load();
  const server = await startEmbeddedOpenVidu({ port: 0, secret: 'BENCH_SECRET', recording: false, logger: consoleLogger('warn') });
  const ov = new OpenVidu(server.url, server.secret);
  const pages = await startPageServer();
  const browser = await launchChromium();
  const rounds: Array<Record<string, number>> = [];
  try {
    // Round 0 warms Chromium (codecs, the page's bundle) and the server up; it is not counted.
    for (let i = 0; i <= ROUNDS; i++) {
      const r = await oneRound(server, ov, browser, pages.url, `bench-ptv-${i}`);
      if (i > 0) rounds.push(r);
      console.log(`  round ${i}${i ? '' : ' (warm-up)'}: ${round(r.firstFrameDecoded)} ms`);
    }
  } finally {
    await browser.close();
    await pages.close();
    await server.close();
  }
  if (process.env.BENCH_PTV_DUMP) await writeFile(process.env.BENCH_PTV_DUMP, JSON.stringify(rounds, null, 1));
  const rows = summarise(rounds, loadBefore, load());
  printTable({ 'publish-to-view': rows });
  return rows;
}

async function oneRound(server: EmbeddedOpenVidu, ov: OpenVidu, browser: Browser, pageUrl: string, sessionId: string): Promise<Record<string, number>> {
  const session = await ov.createSession({ customSessionId: sessionId });
  const ctx: BrowserContext = await newContext(browser);
  await ctx.addInitScript(PAGE_PROBE);
  try {
    const b = await Participant.open(ctx, pageUrl);
    await b.join((await session.createConnection()).token, 'B');
    const a = await Participant.open(ctx, pageUrl);
    const tokenA = (await session.createConnection()).token;
    // connect() then publish() at once, as an application does, in one call to the page.
    const t0 = await a.page.evaluate(
      async ([token, opts]) => {
        const w = window as any;
        const start = performance.timeOrigin + performance.now();
        await w.ovJoin(token, 'A');
        w.__ptvConnected = performance.timeOrigin + performance.now();
        await w.ovPublish(opts);
        w.__ptvPublished = performance.timeOrigin + performance.now();
        return start;
      },
      [tokenA, PUBLISH] as const,
    );
    await b.page.waitForFunction(() => (window as any).__ptv.frame, undefined, {
      timeout: 15_000,
      polling: 20,
    });
    // Let the publisher's keyframe poll see the keyframe B's PLI produced.
    await new Promise((r) => setTimeout(r, 400));
    const pa = (await a.page.evaluate(() => {
      const w = window as any;
      return { ...w.__ptv, connected: w.__ptvConnected, published: w.__ptvPublished };
    })) as PageMarks & { connected: number; published: number };
    const pb = (await b.page.evaluate(() => (window as any).__ptv)) as PageMarks;
    const out: Record<string, number> = {};
    const at = (k: string, t: number | undefined) => {
      if (typeof t === 'number') out[k] = t - t0;
    };
    const rpc = (m: PageMarks, dir: string, method: string) => m.rpc.find((x) => x.dir === dir && x.method === method)?.t;
    at('A connect() resolved', pa.connected);
    at('A getUserMedia start', pa.gumStart);
    at('A getUserMedia end', pa.gumEnd);
    at('A publishVideo sent', rpc(pa, 'out', 'publishVideo'));
    at('A publishVideo answered', rpc(pa, 'reply', 'publishVideo'));
    at('A publish() resolved', pa.published);
    const apc = pa.pcs.find((p) => p.role === 'publisher') ?? pa.pcs[0];
    const aSteps = ['created', 'setLocalDone', 'setRemoteDone', 'iceConnected', 'connected', 'firstFrameEncoded', 'firstPliReceived'];
    for (const k of aSteps) at(`A pc ${k}`, apc?.[k] as number);
    (apc?.keyframeTimes ?? []).slice(0, 3).forEach((t, i) => at(`A keyframe #${i + 1} encoded (seen)`, t));
    out['A PLIs received'] = apc?.pliCount ?? NaN;
    at('B participantPublished', rpc(pb, 'in', 'participantPublished'));
    at('B receiveVideoFrom sent', rpc(pb, 'out', 'receiveVideoFrom'));
    at('B receiveVideoFrom answered', rpc(pb, 'reply', 'receiveVideoFrom'));
    const bpc = pb.pcs.find((p) => p.role === 'subscriber');
    const bSteps = ['created', 'setLocalDone', 'setRemoteDone', 'iceConnected', 'connected', 'firstVideoPacket', 'firstPliSent', 'firstFrameDecoded'];
    for (const k of bSteps) at(`B pc ${k}${k.startsWith('first') ? ' (getStats)' : ''}`, bpc?.[k] as number);
    out['B PLIs sent'] = bpc?.pliCount ?? NaN;
    at('B first frame: last packet received (rVFC)', pb.frame?.received);
    at('B first frame: decoded (rVFC receiveTime + processingDuration)', pb.frame?.decoded);
    at('B first frame: presented (rVFC)', pb.frame?.presented);
    at('B first frame: callback ran', pb.frame?.callback);
    // The server's side of both legs.
    const sess = server.core.sessions.get(sessionId);
    const conns = sess ? [...sess.connections.values()] : [];
    const pubConn = conns.find((c) => c.publisher);
    const sub = conns.map((c) => (pubConn ? c.subscriptions.get(pubConn.id) : undefined)).find(Boolean);
    for (const [k, t] of Object.entries(pubConn?.publisher?.endpoint.timeline?.marks ?? {})) at(`server pub ${k}`, t);
    for (const [k, t] of Object.entries(sub?.endpoint.timeline?.marks ?? {})) at(`server sub ${k}`, t);
    // rVFC's decode time is exact; getStats is cached by Chromium for ~50 ms, so its framesDecoded > 0 is late.
    out['firstFrameDecoded'] = out['B first frame: decoded (rVFC receiveTime + processingDuration)'] ?? out['B first frame: presented (rVFC)'];
    await ctx.close();
    return out;
  } catch (err) {
    await ctx.close().catch(() => {});
    throw err;
  }
}

function summarise(rounds: Array<Record<string, number>>, loadBefore: string, loadAfter: string): BenchRow[] {
  const total = rounds.map((r) => r.firstFrameDecoded).filter((v) => Number.isFinite(v));
  const detail = `${total.length} rounds; min ${round(Math.min(...total))} max ${round(Math.max(...total))}; load ${loadBefore} → ${loadAfter}`;
  const rows: BenchRow[] = [
    { name: "A's connect() → B's first decoded frame of A, p50", value: round(percentile(total, 50)), unit: 'ms', target: '≤ 400 ms', detail },
    { name: "A's connect() → B's first decoded frame of A, p95", value: round(percentile(total, 95)), unit: 'ms' },
  ];
  const keys = [...new Set(rounds.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'firstFrameDecoded');
  const med = (k: string) =>
    percentile(
      rounds.map((r) => r[k]).filter((v) => Number.isFinite(v)),
      50,
    );
  keys.sort((x, y) => med(x) - med(y));
  for (const k of keys) {
    const counted = k.endsWith('received') || k.endsWith('sent') ? k.includes('PLIs') : false;
    rows.push({ name: `  ${k}`, value: round(med(k)), unit: counted ? '' : 'ms', detail: counted ? 'median count' : 'median, from A connect()' });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}
