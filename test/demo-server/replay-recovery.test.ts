// Nothing of a room's replay buffer outlives the room, even across a stop of the server: a clean shutdown ends every
// buffer (its OpenVidu recording deleted, a running user clip cut from what was held, the folder removed), and a
// start cleans up what an unclean stop left (buffer recordings in OpenVidu, folders, clips left recording).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { OpenVidu } from 'openvidu-node-client';
import { buildApp } from '../../demo-server/src/app.js';
import { LocalClips } from '../../demo-server/src/services/local-clips.js';
import { OpenViduGateway } from '../../demo-server/src/services/openvidu-gateway.js';
import { resolveFfmpegPath, runTool } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';
import { startTestServer, type TestServer } from '../helpers/app-server.js';
import { startOvBrowser, type OvBrowser } from '../helpers/ov-browser.js';
import { sleep } from '../helpers/until.js';

let server: TestServer;
let chromium: OvBrowser;
const dirs: string[] = [];
const ROOM = 'shutdown-room';

/** Another reference server on the same OpenVidu, with its own data folder. */
async function app(dataDir: string): Promise<FastifyInstance> {
  const { url, secret } = server.openvidu!;
  return buildApp({ config: { ...server.config, openviduUrl: url, openviduSecret: secret, dataDir }, logger: false });
}
const tempDir = async () => {
  const d = await mkdtemp(path.join(os.tmpdir(), 'ov-replay-rec-'));
  dirs.push(d);
  return d;
};
const bufferRecordings = async () =>
  (await new OpenVidu(server.openvidu!.url, server.openvidu!.secret).listRecordings()).filter((r) => r.properties.name === 'replay~buffer');
const rooms = async (dataDir: string) => readdir(path.join(dataDir, 'replay')).catch(() => [] as string[]);

describe('replay buffers across a stop of the server', () => {
  before(async () => {
    server = await startTestServer({ REPLAY_SECONDS: '6', REPLAY_SEGMENT_SECONDS: '5' });
    chromium = await startOvBrowser();
    const token = await (await fetch(`${server.url}/api/sessions/${ROOM}/token`, { method: 'POST' })).json();
    const p = await chromium.participant();
    await p.join(token.token);
    await p.publish();
  });
  after(async () => {
    await chromium?.close();
    await server?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('a clean shutdown ends every buffer: its recording deleted, a running user clip cut, its folder removed', async () => {
    const dataDir = await tempDir();
    const a = await app(dataDir);
    const on = await a.inject({ method: 'POST', url: `/api/sessions/${ROOM}/replay` });
    assert.equal(on.statusCode, 200, on.body);
    for (let i = 0; (await a.inject({ url: `/api/sessions/${ROOM}/replay` })).json().held < 2; i++) {
      assert.ok(i < 100, 'the buffer holds 2 s within 10 s');
      await sleep(100);
    }
    assert.equal((await bufferRecordings()).length, 1);
    const started = await a.inject({ method: 'POST', url: `/api/sessions/${ROOM}/clips`, payload: { name: 'Running' } });
    assert.equal(started.statusCode, 201, started.body);
    assert.equal(started.json().status, 'recording');
    await sleep(1500);
    await a.close();
    assert.deepEqual(await rooms(dataDir), []);
    assert.deepEqual(await bufferRecordings(), []);
    const clips = new LocalClips({ dir: path.join(dataDir, 'replay-clips') });
    await clips.load();
    const clip = clips.get(started.json().id)!;
    assert.equal(clip.status, 'ready');
    assert.ok(clip.duration > 0.5 && clip.duration < 4, `duration ${clip.duration}`);
  });

  it('at start: buffer recordings left in OpenVidu are deleted, a clip left recording is cut from its folder (recovered) or failed, folders go', async () => {
    const dataDir = await tempDir();
    // What a killed server leaves: a buffer recording running in OpenVidu, a segment on disk, clips still recording.
    const gateway = new OpenViduGateway({ url: server.openvidu!.url, secret: server.openvidu!.secret, timeoutMs: 4000, clip: server.config.clip });
    await gateway.startBufferRecording(ROOM);
    assert.equal((await bufferRecordings()).length, 1);
    const stoppedAt = Date.now() - 1000;
    await mkdir(path.join(dataDir, 'replay', 'left-room'), { recursive: true });
    const segment = path.join(dataDir, 'replay', 'left-room', `left-room~2.${stoppedAt}.mp4`);
    const made = await runTool(resolveFfmpegPath(process.env.FFMPEG_PATH), [
      ...['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine', '-t', '4'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', segment],
    ]);
    assert.equal(made.code, 0, made.stderr);
    const clips = new LocalClips({ dir: path.join(dataDir, 'replay-clips') });
    await clips.load();
    const base = { status: 'recording' as const, hasAudio: true, hasVideo: true };
    const kept = await clips.create({ ...base, sessionId: 'left-room', createdAt: stoppedAt - 2500 });
    const lost = await clips.create({ ...base, sessionId: 'gone-room', createdAt: stoppedAt - 2500 });

    const b = await app(dataDir);
    try {
      const recovered = (await b.inject({ url: `/api/clips/${encodeURIComponent(kept.id)}` })).json();
      assert.equal(recovered.status, 'ready');
      assert.equal(recovered.recovered, true);
      assert.ok(Math.abs(recovered.duration - 2.5) <= 1, `duration ${recovered.duration}`);
      assert.equal((await b.inject({ url: `/api/clips/${encodeURIComponent(kept.id)}/media` })).statusCode, 200);
      assert.equal((await b.inject({ url: `/api/clips/${encodeURIComponent(lost.id)}` })).json().status, 'failed');
      assert.deepEqual(await rooms(dataDir), []);
      for (let i = 0; (await bufferRecordings()).length; i++) {
        assert.ok(i < 100, 'the leftover buffer recording is deleted within 10 s');
        await sleep(100);
      }
    } finally {
      await b.close();
    }
  });
});
