/**
 * What the CE-strict tests share: the embedded server in both modes with a webhook receiver, media-less participants,
 * plain REST calls, and a recording left on disk as a crash leaves it.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OpenVidu, type Session } from 'openvidu-node-client';
import type { EmbeddedOpenViduOptions } from '../../demo-server/embedded-openvidu/index.js';
import { crashCopyOf, encodeArgs, outputArgs } from '../../demo-server/embedded-openvidu/recording/ffmpeg-args.js';
import { resolveFfmpegPath, runTool } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';
import { openviduTarget, type OpenViduTarget } from '../helpers/openvidu-target.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { sleep } from '../helpers/until.js';

export type Hook = Record<string, any>;

/** A webhook endpoint on loopback that keeps every event, in order. */
export async function startReceiver() {
  const events: Hook[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      events.push(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    events,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** One embedded server (strict or not), openvidu-node-client on it, its webhook events and its participants. */
export interface Mode {
  name: 'strict' | 'normal';
  target: OpenViduTarget;
  ov: OpenVidu;
  rx: Receiver;
  rpcs: RpcClient[];
  /** REST with Basic auth; `json` is undefined for an empty body. */
  call(method: string, p: string, body?: unknown): Promise<{ status: number; text: string; json: any }>;
  /** A new session (node-client) with `n` media-less participants joined. */
  sessionWith(n: number, customSessionId?: string): Promise<{ session: Session; rpcs: RpcClient[] }>;
  /** One more media-less participant (role PUBLISHER) in `session`. */
  join(session: Session, data?: string): Promise<RpcClient>;
  /** The first webhook event of `sessionId` matching `pred`, waited for (bounded). */
  hook(sessionId: string, pred: (e: Hook) => boolean, what: string, ms?: number): Promise<Hook>;
  /** The events of a session as `event:status:reason` strings (status for recordings only). */
  trail(sessionId: string): string[];
  close(): Promise<void>;
}

let n = 0;

export async function startMode(name: Mode['name'], options: EmbeddedOpenViduOptions = {}): Promise<Mode> {
  const rx = await startReceiver();
  const target = await openviduTarget({ ceStrict: name === 'strict', webhook: { endpoint: rx.endpoint }, ...options });
  const ov = new OpenVidu(target.url, target.secret);
  const auth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${target.secret}`).toString('base64');
  const rpcs: RpcClient[] = [];
  const of = (id: string) => rx.events.filter((e) => e.sessionId === id);
  const mode: Mode = {
    name,
    target,
    ov,
    rx,
    rpcs,
    async call(method, p, body) {
      const res = await fetch(`${target.url}/openvidu/api${p}`, {
        method,
        headers: { Authorization: auth, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
    },
    async sessionWith(count, customSessionId = `ce-${name}-${++n}`) {
      const session = await ov.createSession({ customSessionId });
      const joined: RpcClient[] = [];
      for (let i = 0; i < count; i++) joined.push(await mode.join(session, `P${i}`));
      return { session, rpcs: joined };
    },
    async join(session, data = '') {
      const { token } = await session.createConnection();
      const rpc = await RpcClient.connect(token);
      rpcs.push(rpc);
      await rpc.join(token, data);
      return rpc;
    },
    async hook(sessionId, pred, what, ms = 8000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const e = of(sessionId).find(pred);
        if (e) return e;
        if (Date.now() > deadline) assert.fail(`${name}: no webhook ${what}; got ${JSON.stringify(mode.trail(sessionId))}`);
        await sleep(20);
      }
    },
    trail: (id) => of(id).map((e) => [e.event, e.event === 'recordingStatusChanged' ? e.status : '', e.reason ?? ''].join(':')),
    async close() {
      for (const r of rpcs) r.terminate();
      await target.close();
      await rx.close();
    },
  };
  return mode;
}

/**
 * A COMPOSED recording `id` left in `recordingPath` as a SIGKILL leaves it: metadata `started`, no MP4, one
 * segment's crash-safe Matroska copy and the journal (recording/recovery.ts). A normal server rebuilds it at start.
 */
export async function interruptedRecording(recordingPath: string, id: string): Promise<void> {
  const dir = path.join(recordingPath, id);
  const parts = path.join(dir, `.${id}.parts`);
  await mkdir(parts, { recursive: true });
  const settings = { width: 320, height: 240, frameRate: 25, hasAudio: true, hasVideo: true, ext: 'mp4' as const, crashCopy: true };
  const segment = path.join(parts, 'segment-0.mp4');
  const input = ['-f', 'lavfi', '-i', 'color=c=blue:s=320x240:r=25', '-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-map', '0:v', '-map', '1:a'];
  const r = await runTool(resolveFfmpegPath(), ['-v', 'error', '-y', ...input, '-t', '1', ...encodeArgs(settings), ...outputArgs(settings, segment, true)]);
  assert.equal(r.code, 0, r.stderr);
  const t0 = Date.now() - 60_000;
  const journal = { version: 1, t0, width: 320, height: 240, frameRate: 25, hasAudio: true, hasVideo: true, segments: [] as unknown[] };
  journal.segments.push({ index: 0, file: 'segment-0.mp4', copy: path.basename(crashCopyOf(segment)), origin: t0, ended: false });
  await writeFile(path.join(parts, 'journal.json'), JSON.stringify(journal));
  await rm(segment); // killed before its index: only the copy plays
  const properties = {
    name: id,
    hasAudio: true,
    hasVideo: true,
    outputMode: 'COMPOSED',
    recordingLayout: 'BEST_FIT',
    resolution: '320x240',
    frameRate: 25,
    shmSize: 536870912,
  };
  const meta = { id, name: id, sessionId: id, uniqueSessionId: `${id}_${t0}`, createdAt: t0, status: 'started', properties, size: 0, duration: 0 };
  await writeFile(path.join(dir, `.recording.${id}`), JSON.stringify(meta));
}
