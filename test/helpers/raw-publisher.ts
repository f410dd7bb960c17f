import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PublisherEndpoint } from '../../demo-server/embedded-openvidu/media/publisher.js';
import type { CandidateInit } from '../../demo-server/embedded-openvidu/media/ice-queue.js';
import { sleep } from './until.js';

/**
 * Real Chromium publishers wired straight to a `PublisherEndpoint` (no OpenVidu signalling): the page offers,
 * the endpoint answers, ICE candidates go both ways through `page.evaluate`. Loopback only.
 */

export interface RawPublisherOptions {
  streamId: string;
  connectionId: string;
  /** `camera`: Chromium's fake camera. `{ color }`: a solid-colour canvas (any CSS colour). `false`: no video. */
  video?: 'camera' | { color: string } | false;
  /** Chromium's fake microphone (a periodic beep). */
  audio?: boolean;
  width?: number;
  height?: number;
  frameRate?: number;
  host?: string;
}

export interface RawPublisher {
  readonly endpoint: PublisherEndpoint;
  readonly page: Page;
  /** Resolve once the endpoint has received `packets` RTP packets of every published kind. */
  waitForMedia(packets?: number, timeoutMs?: number): Promise<void>;
  /** Close the page and the endpoint (the endpoint's `onEnded` listeners run). Safe to call twice. */
  close(): Promise<void>;
}

interface PageInit {
  video: 'camera' | { color: string } | false;
  audio: boolean;
  width: number;
  height: number;
  frameRate: number;
  host: string;
}

/**
 * Runs in the page: capture, create the sendonly PeerConnection, return the offer. Kept as plain JS source: a
 * TS function would be transpiled with helpers (`__name`) that do not exist in the page.
 */
const PAGE_OFFER = `async (o) => {
  const tracks = [];
  if (o.video === 'camera' || o.audio) {
    const s = await navigator.mediaDevices.getUserMedia({
      audio: o.audio,
      video: o.video === 'camera' ? { width: o.width, height: o.height, frameRate: o.frameRate } : false,
    });
    tracks.push(...s.getTracks());
  }
  if (o.video && o.video !== 'camera') {
    const canvas = document.createElement('canvas');
    canvas.width = o.width;
    canvas.height = o.height;
    document.body.appendChild(canvas);
    const g = canvas.getContext('2d');
    let n = 0;
    // captureStream only emits frames when the canvas changes: repaint every frame, with a blinking corner.
    const draw = () => {
      g.fillStyle = o.video.color;
      g.fillRect(0, 0, o.width, o.height);
      g.fillStyle = n++ % 2 ? '#ffffff' : '#000000';
      g.fillRect(0, 0, 8, 8);
    };
    draw();
    window.__drawTimer = setInterval(draw, 1000 / o.frameRate);
    tracks.push(canvas.captureStream(o.frameRate).getVideoTracks()[0]);
  }
  const pc = new RTCPeerConnection({ iceServers: [] });
  window.__pc = pc;
  pc.onicecandidate = (e) => {
    if (e.candidate && e.candidate.candidate.includes(' ' + o.host + ' ')) window.__onCandidate(e.candidate.toJSON());
  };
  for (const t of tracks) pc.addTransceiver(t, { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  return pc.localDescription.sdp;
}`;

export async function startRawPublisher(target: Browser | BrowserContext, opts: RawPublisherOptions): Promise<RawPublisher> {
  const host = opts.host ?? '127.0.0.1';
  const video = opts.video ?? 'camera';
  const audio = opts.audio ?? true;
  const page = await target.newPage();
  // getUserMedia needs a secure context (about:blank is not one): serve a blank page as http://localhost/.
  await page.route('http://localhost/publisher', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><html><body style="margin:0"></body></html>' }),
  );
  await page.goto('http://localhost/publisher');

  let remoteSet = false;
  const serverCandidates: CandidateInit[] = [];
  const addToPage = (c: CandidateInit) =>
    page.evaluate((cand) => (window as unknown as { __pc: RTCPeerConnection }).__pc.addIceCandidate(cand), c).catch(() => {});
  const endpoint = new PublisherEndpoint({
    streamId: opts.streamId,
    connectionId: opts.connectionId,
    hasAudio: audio,
    hasVideo: video !== false,
    net: { host },
    onLocalCandidate: (c) => {
      if (remoteSet) void addToPage(c);
      else serverCandidates.push(c);
    },
  });
  await page.exposeFunction('__onCandidate', (c: CandidateInit) => {
    if (c.candidate.includes(` ${host} `)) void endpoint.addRemoteCandidate(c);
  });
  const init: PageInit = { video, audio, width: opts.width ?? 640, height: opts.height ?? 480, frameRate: opts.frameRate ?? 20, host };
  const offer = (await page.evaluate(`(${PAGE_OFFER})(${JSON.stringify(init)})`)) as string;
  const answer = await endpoint.answer(offer);
  await page.evaluate((sdp) => (window as unknown as { __pc: RTCPeerConnection }).__pc.setRemoteDescription({ type: 'answer', sdp }), answer);
  remoteSet = true;
  for (const c of serverCandidates.splice(0)) await addToPage(c);

  let closed = false;
  return {
    endpoint,
    page,
    async waitForMedia(packets = 20, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      const p = endpoint.stats.packets;
      while ((audio && p.audio < packets) || (video !== false && p.video < packets)) {
        if (Date.now() > deadline) throw new Error(`${opts.streamId}: no media after ${timeoutMs} ms (audio ${p.audio}, video ${p.video})`);
        await sleep(25);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await page.close().catch(() => {});
      await endpoint.close();
    },
  };
}
