// A local clip (made by the server, not by OpenVidu) through every clip route over real HTTP: list, get, media with
// Range, thumbnail, rename, trim, share link and watch page, delete; the host's access check sees the clip's room.
// And a replay buffer recording started through the gateway is never a clip: not listed, 404 on get, media and stop.
// The reference server runs with the embedded OpenVidu in process; the clip is a real 3 s H.264 + AAC file put in
// the server's local-clip folder before it starts (as the replay service leaves it).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../demo-server/src/app.js';
import { loadConfig } from '../../demo-server/src/config.js';
import type { Action, Resource } from '../../demo-server/src/plugins/authorize.js';
import { LocalClips } from '../../demo-server/src/services/local-clips.js';
import { probe, resolveFfmpegPath, runTool } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';
import { startTestServer, type TestServer } from '../helpers/app-server.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { useStubRecorder } from '../helpers/stub-recorder.js';
import { sleep } from '../helpers/until.js';
import { apiClient } from '../helpers/api.js';

const ROOM = 'local-room';
let server: TestServer;
let media: Buffer;
let clip: any;
let restoreRecorder: (() => void) | undefined;
const rpcs: RpcClient[] = [];
const apps: FastifyInstance[] = [];

const api = apiClient(() => server.url);
async function json(res: Response): Promise<{ status: number; body: any }> {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const clipUrl = (id: string, tail = '') => `/clips/${encodeURIComponent(id)}${tail}`;

/** 3 s of testsrc + a sine, H.264 (a keyframe every second) + AAC, and a JPEG of its first frame. */
async function makeMedia(dir: string): Promise<{ file: string; thumb: string }> {
  const ffmpeg = resolveFfmpegPath(process.env.FFMPEG_PATH);
  const file = path.join(dir, 'made.mp4');
  const thumb = path.join(dir, 'made.jpg');
  const src = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '3'];
  const enc = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', '-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart'];
  for (const args of [
    [...src, ...enc, file],
    ['-i', file, '-frames:v', '1', '-q:v', '4', thumb],
  ]) {
    const r = await runTool(ffmpeg, ['-hide_banner', '-v', 'error', '-y', ...args]);
    assert.equal(r.code, 0, r.stderr);
  }
  return { file, thumb };
}

before(async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ov-localroutes-'));
  const { file, thumb } = await makeMedia(dataDir);
  media = await readFile(file);
  // What the server will find at start: a ready local clip, as the replay service leaves it.
  const local = new LocalClips({ dir: path.join(dataDir, 'replay-clips') });
  await local.load();
  const made = await local.create({ sessionId: ROOM, name: 'Replay', status: 'processing', createdAt: Date.now() - 5000, hasAudio: true, hasVideo: true });
  await local.finish(made.id, { media: file, thumbnail: thumb }, { duration: (await probe(file)).duration });
  server = await startTestServer({ RATE_LIMIT_PER_MINUTE: '100000' }, dataDir, { openvidu: 'in-process' });
  clip = local.get(made.id);
});

after(async () => {
  for (const r of rpcs) r.terminate();
  for (const a of apps) await a.close();
  restoreRecorder?.();
  await server?.stop();
});

describe('a local clip through the clip routes', () => {
  it('listed with the room’s clips, and answered by get', async () => {
    assert.match(clip.id, /^local-room~r[a-z0-9]{8}$/);
    const list = await json(await api(`/sessions/${ROOM}/clips`));
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(list.body.clips, [clip]);
    assert.equal(clip.status, 'ready');
    assert.equal(clip.size, media.length);
    assert.ok(Math.abs(clip.duration - 3) < 0.1, String(clip.duration));
    const got = await json(await api(clipUrl(clip.id)));
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, clip);
    assert.equal((await json(await api(clipUrl(`${ROOM}~rzzzzzzzz`)))).body.code, 'OV_CLIP_NOT_FOUND');
  });

  it('hostile ids are refused by the schema (400) before anything reads the disk', async () => {
    for (const id of [`${ROOM}~r..%2f..%2f`, `${ROOM}~rABCDEFGH`, `${ROOM}~r1234567`, `..%2F..%2Fetc~rabcdefgh`, `${'a'.repeat(65)}~rabcdefgh`]) {
      const res = await json(await api(`/clips/${id}/media`));
      assert.equal(res.status, 400, `${id}: ${JSON.stringify(res.body)}`);
    }
  });

  it('media: the whole file (200), one range (206), an unsatisfiable one (416); the thumbnail', async () => {
    const whole = await api(clipUrl(clip.id, '/media'));
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'video/mp4');
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), media);

    const part = await api(clipUrl(clip.id, '/media'), { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-199/${media.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), media.subarray(100, 200));

    const beyond = await json(await api(clipUrl(clip.id, '/media'), { headers: { range: `bytes=${media.length}-` } }));
    assert.equal(beyond.status, 416);
    assert.equal(beyond.body.code, 'OV_RANGE_NOT_SATISFIABLE');

    const thumb = await api(clipUrl(clip.id, '/thumbnail'));
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
    const bytes = Buffer.from(await thumb.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8]);
  });

  it('rename, then trim (the media served is the cut), then restore', async () => {
    const renamed = await json(await api(clipUrl(clip.id), { method: 'PATCH', json: { name: '  다시보기 ' } }));
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.name, '다시보기');
    assert.equal((await json(await api(clipUrl(clip.id)))).body.name, '다시보기');

    const trimmed = await json(await api(clipUrl(clip.id, '/trim'), { method: 'POST', json: { start: 1.2, end: 2.5 } }));
    assert.equal(trimmed.status, 200, JSON.stringify(trimmed.body));
    assert.deepEqual(trimmed.body.trim, { start: 1, end: 2.5 }, 'from the keyframe at or before 1.2');
    assert.equal(trimmed.body.name, '다시보기');
    const cut = await api(clipUrl(clip.id, '/media'));
    assert.equal(cut.status, 200);
    const cutFile = path.join(server.dataDir, 'cut-served.mp4');
    await writeFile(cutFile, Buffer.from(await cut.arrayBuffer()));
    assert.ok(Math.abs((await probe(cutFile)).duration - 1.5) < 0.15, 'the cut is served');
    const listed = (await json(await api(`/sessions/${ROOM}/clips`))).body.clips[0];
    assert.deepEqual(listed.trim, trimmed.body.trim);

    const restored = await json(await api(clipUrl(clip.id, '/trim'), { method: 'DELETE' }));
    assert.equal(restored.status, 200);
    assert.equal(restored.body.trim, undefined);
    assert.deepEqual(Buffer.from(await (await api(clipUrl(clip.id, '/media'))).arrayBuffer()), media, 'the original again');
  });

  it('a share link: the watch page and its media (Range) with no cookies', async () => {
    const made = await json(await api(clipUrl(clip.id, '/share'), { method: 'POST', json: {} }));
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const u = new URL(made.body.url);
    assert.equal(u.pathname, `/watch/${clip.id}`);
    const page = await fetch(made.body.url, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /다시보기/);
    const m = await fetch(`${server.url}/watch/${clip.id}/media${u.search}`, { headers: { range: 'bytes=0-9' } });
    assert.equal(m.status, 206);
    assert.deepEqual(Buffer.from(await m.arrayBuffer()), media.subarray(0, 10));
    const forged = await fetch(`${server.url}/watch/${clip.id}/media?exp=${u.searchParams.get('exp')}&sig=${'A'.repeat(43)}`);
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
  });

  it('the host’s access check is asked about the clip’s room on every clip route', async () => {
    const seen: Array<[Action, Resource]> = [];
    const { openviduUrl, openviduSecret } = server.app.services.config;
    const config = loadConfig({ DATA_DIR: server.dataDir, OPENVIDU_URL: openviduUrl, OPENVIDU_SECRET: openviduSecret, LOG_LEVEL: 'silent' });
    const app = await buildApp({
      config,
      logger: false,
      authorize: (_req, action, resource) => {
        if (resource.type === 'clip') seen.push([action, resource]);
        return resource.type !== 'clip' || resource.sessionId === 'elsewhere';
      },
    });
    apps.push(app);
    const id = encodeURIComponent(clip.id);
    for (const [method, url] of [
      ['GET', `/api/clips/${id}`],
      ['GET', `/api/clips/${id}/media`],
      ['GET', `/api/clips/${id}/thumbnail`],
      ['DELETE', `/api/clips/${id}`],
      ['POST', `/api/clips/${id}/share`],
      ['GET', `/watch/${id}/media?exp=9999999999&sig=${'A'.repeat(43)}`],
    ] as const) {
      const res = await app.inject({ method, url });
      assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
    }
    assert.equal(seen.length, 6);
    for (const [action, resource] of seen) assert.deepEqual(resource, { type: 'clip', id: clip.id, sessionId: ROOM }, action);
  });

  it('delete: 204, then 404 everywhere and its files are gone', async () => {
    const res = await api(clipUrl(clip.id), { method: 'DELETE' });
    assert.equal(res.status, 204);
    for (const tail of ['', '/media', '/thumbnail']) assert.equal((await json(await api(clipUrl(clip.id, tail)))).status, 404, tail);
    assert.deepEqual((await json(await api(`/sessions/${ROOM}/clips`))).body.clips, []);
    const left = await readdir(path.join(server.dataDir, 'replay-clips')).catch(() => []);
    assert.deepEqual(left, []);
  });
});

describe('a replay buffer recording is never a clip', () => {
  it('started through the gateway: not listed, 404 on get, media and stop (and stop leaves it running)', async () => {
    restoreRecorder = useStubRecorder(server.embedded!, media, 3);
    const room = 'buffer-room';
    const tok = await json(await api(`/sessions/${room}/token`, { method: 'POST', json: { name: 'Host' } }));
    assert.equal(tok.status, 201, JSON.stringify(tok.body));
    const rpc = await RpcClient.connect(tok.body.token);
    rpcs.push(rpc);
    await rpc.join(tok.body.token);

    const { gateway } = server.app.services;
    const buffer = await gateway.startBufferRecording(room);
    assert.equal(buffer.name, 'replay~buffer');
    assert.equal(buffer.sessionId, room);
    assert.deepEqual(
      (await gateway.listBufferRecordings()).map((r) => r.id),
      [buffer.id],
    );
    assert.equal((await gateway.recordingInProgress(room))?.id, buffer.id);

    assert.deepEqual((await json(await api(`/sessions/${room}/clips`))).body.clips, []);
    for (const [method, tail] of [
      ['GET', ''],
      ['GET', '/media'],
      ['GET', '/thumbnail'],
      ['POST', '/stop'],
      ['DELETE', ''],
      ['PATCH', ''],
    ] as const) {
      const res = await json(await api(clipUrl(buffer.id, tail), { method, ...(method === 'PATCH' ? { json: { name: 'x' } } : {}) }));
      assert.equal(res.status, 404, `${method} ${tail}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'OV_CLIP_NOT_FOUND');
    }
    assert.equal((await gateway.getRecording(buffer.id))?.status, 'started', 'the clip routes left it running');

    // A normal clip cannot start beside it (one recording per session).
    const second = await json(await api(`/sessions/${room}/clips`, { method: 'POST', json: {} }));
    assert.equal(second.status, 409);

    const stopped = await gateway.stopRecording(buffer.id);
    assert.ok(['stopped', 'ready'].includes(stopped.status), stopped.status);
    assert.equal((await gateway.stopRecording(buffer.id)).id, buffer.id, 'stopping again answers its facts');
    for (let i = 0; (await gateway.getRecording(buffer.id))?.status !== 'ready'; i++) {
      assert.ok(i < 200, 'the segment becomes ready');
      await sleep(50);
    }
    const file = path.join(server.dataDir, 'segment.mp4');
    await gateway.downloadRecording(buffer.id, file);
    assert.deepEqual(await readFile(file), media);
    assert.deepEqual((await json(await api(`/sessions/${room}/clips`))).body.clips, [], 'ready: still not a clip');
    assert.equal((await json(await api(clipUrl(buffer.id)))).status, 404);

    await gateway.deleteRecording(buffer.id);
    await gateway.deleteRecording(buffer.id); // gone already: fine
    assert.equal(await gateway.getRecording(buffer.id), undefined);
    assert.equal(await gateway.publisherCount('no-such-room'), undefined);
    assert.equal(await gateway.publisherCount(room), 0, 'a participant without media publishes nothing');
  });
});
