// Local clips on their own, and the gateway serving them: ids, persistence across a restart, leftovers of interrupted
// writes removed, ids and files that try to leave the folder, delete, and the file answers (Range → 206/416) the
// clip routes pass on. Attacker's input first.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ApiError } from '../../demo-server/src/errors.js';
import { CLIP_ID_PATTERN, clipSessionId } from '../../demo-server/src/schemas/common.js';
import { isLocalClipId, LocalClips } from '../../demo-server/src/services/local-clips.js';
import { OpenViduGateway } from '../../demo-server/src/services/openvidu-gateway.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(prefix = 'ov-local-') {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function fresh() {
  const root = await tempDir();
  const dir = path.join(root, 'replay-clips');
  const clips = new LocalClips({ dir });
  await clips.load();
  return { root, dir, clips };
}

const T0 = 1_700_000_000_000;
const MEDIA = Buffer.from('0123456789'.repeat(100)); // 1000 bytes
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

/** A ready clip of `room`, made from files written beside the store (as the replay service does). */
async function readyClip(clips: LocalClips, root: string, room = 'room', thumbnail = true) {
  const c = await clips.create({ sessionId: room, name: 'Replay', status: 'processing', createdAt: T0, hasAudio: true, hasVideo: true });
  const media = path.join(root, `${c.id}.cut.mp4`);
  const thumb = path.join(root, `${c.id}.cut.jpg`);
  await writeFile(media, MEDIA);
  if (thumbnail) await writeFile(thumb, JPEG);
  return clips.finish(c.id, { media, thumbnail: thumbnail ? thumb : undefined }, { duration: 12.345 });
}

/** Every file under `dir`, relative. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

const HOSTILE_IDS = [
  '../x~rabcdefgh',
  '..~rabcdefgh',
  'room/../../x~rabcdefgh',
  '..%2f..%2fetc~rabcdefgh',
  'room%2f..~rabcdefgh',
  'room~r../../../',
  'room~rABCDEFGH',
  'room~rabcdefg',
  'room~rabcdefghi',
  'room~1',
  'room',
  '',
  'a'.repeat(65) + '~rabcdefgh',
  'x'.repeat(10_000),
  'room~rabcdefgh\0',
  'room~rabcdefgh/../../x',
];

describe('ids', () => {
  it('isLocalClipId and CLIP_ID_PATTERN: <room>~r + 8 of [a-z0-9]; anything else is not one', () => {
    const re = new RegExp(CLIP_ID_PATTERN);
    for (const id of ['room~rabcdefgh', 'a~r00000000', `${'A'.repeat(64)}~rz9z9z9z9`, 'my_room-1~r1a2b3c4d']) {
      assert.ok(isLocalClipId(id), id);
      assert.ok(re.test(id), id);
    }
    for (const id of HOSTILE_IDS) assert.ok(!isLocalClipId(id), id);
    for (const id of ['room', 'room~1', 'room~123456']) assert.ok(re.test(id) && !isLocalClipId(id), `${id}: OpenVidu's`);
    for (const id of ['room~r1', 'room~1234567', 'room~rabcdefgh~1', 'room~x', '../x']) assert.ok(!re.test(id), id);
    assert.equal(clipSessionId('room~rabcdefgh'), 'room');
    assert.equal(clipSessionId('room~12'), 'room');
    assert.equal(clipSessionId('room'), 'room');
  });

  it('newId: crypto random, unused, for valid rooms only', async () => {
    const { clips } = await fresh();
    const seen = new Set<string>();
    const letters = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = clips.newId('room');
      assert.match(id, /^room~r[a-z0-9]{8}$/);
      seen.add(id);
      for (const ch of id.slice(6)) letters.add(ch);
    }
    assert.equal(seen.size, 2000);
    assert.equal(letters.size, 36, 'every letter and digit appears');
    for (const bad of ['../x', 'a/b', '', 'a'.repeat(65), 'room~1', 'ro om', '..']) assert.throws(() => clips.newId(bad), /bad session id/, bad);
    await assert.rejects(clips.create({ sessionId: '../up', status: 'recording', createdAt: T0, hasAudio: true, hasVideo: true }), /bad session id/);
  });
});

describe('persistence', () => {
  it('recording → ready: files moved in, size from the file, the same after a restart', async () => {
    const { root, dir, clips } = await fresh();
    const rec = await clips.create({ sessionId: 'room', status: 'recording', createdAt: T0, hasAudio: true, hasVideo: false });
    assert.equal(rec.status, 'recording');
    assert.equal(rec.name, '');
    assert.equal(rec.mediaUrl, `/api/clips/${encodeURIComponent(rec.id)}/media`);
    assert.deepEqual(clips.recordingIn('room'), rec);
    assert.equal(clips.recordingIn('other'), undefined);
    assert.equal(clips.filePath(rec.id, 'media'), undefined, 'no file before ready');

    const media = path.join(root, 'made.mp4');
    await writeFile(media, MEDIA);
    const ready = await clips.finish(rec.id, { media }, { duration: 29.996, recovered: true });
    assert.equal(ready.status, 'ready');
    assert.equal(ready.size, MEDIA.length);
    assert.equal(ready.duration, 30);
    assert.equal(ready.recovered, true);
    assert.equal(ready.hasVideo, false);
    await assert.rejects(stat(media), { code: 'ENOENT' }, 'moved, not copied');
    assert.equal(clips.recordingIn('room'), undefined);
    const file = clips.filePath(rec.id, 'media')!;
    assert.equal(file, path.join(dir, 'room', `${rec.id}.mp4`));
    assert.deepEqual(await readFile(file), MEDIA);
    assert.equal(clips.filePath(rec.id, 'thumbnail'), undefined, 'made without a thumbnail');

    const again = new LocalClips({ dir });
    await again.load();
    assert.deepEqual(again.get(rec.id), ready);
    assert.deepEqual(await tree(dir), ['room', `room/${rec.id}.json`, `room/${rec.id}.mp4`]);
  });

  it('failed, processing and list order survive a restart; list is per room, newest first', async () => {
    const { root, dir, clips } = await fresh();
    const a = await readyClip(clips, root);
    const b = await clips.create({ sessionId: 'room', name: '이름', status: 'processing', createdAt: T0 + 5, hasAudio: true, hasVideo: true });
    const c = await clips.create({ sessionId: 'room', status: 'recording', createdAt: T0 + 9, hasAudio: true, hasVideo: true });
    const failed = await clips.fail(c.id, 'Nothing was held');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'Nothing was held');
    const other = await clips.create({ sessionId: 'other', status: 'processing', createdAt: T0 + 20, hasAudio: true, hasVideo: true });
    assert.deepEqual(
      clips.list('room').map((x) => x.id),
      [c.id, b.id, a.id],
    );
    assert.deepEqual(
      clips.list().map((x) => x.id),
      [other.id, c.id, b.id, a.id],
    );
    const again = new LocalClips({ dir });
    await again.load();
    assert.deepEqual(again.list(), clips.list());
    assert.equal(again.get(b.id)!.name, '이름');
  });

  it('load removes leftovers: temporary files, files no clip owns, bad or foreign JSON; a ready clip without its file is failed', async () => {
    const { root, dir, clips } = await fresh();
    const kept = await readyClip(clips, root);
    const lost = await readyClip(clips, root);
    await rm(path.join(dir, 'room', `${lost.id}.mp4`));
    const roomDir = path.join(dir, 'room');
    await writeFile(path.join(roomDir, `.${kept.id}.json.0123456789abcdef.tmp`), '{"half');
    await writeFile(path.join(roomDir, 'room~rzzzzzzzz.mp4'), MEDIA); // no JSON
    await writeFile(path.join(roomDir, 'room~ryyyyyyyy.json'), '{not json');
    // A file claiming another room's clip, and one naming its id differently from its file name.
    const foreign = { ...JSON.parse(await readFile(path.join(roomDir, `${kept.id}.json`), 'utf8')), id: 'other~rxxxxxxxx', sessionId: 'other' };
    await writeFile(path.join(roomDir, 'other~rxxxxxxxx.json'), JSON.stringify(foreign));
    const renamed = { ...foreign, id: 'room~rwwwwwwww', sessionId: 'room' };
    await writeFile(path.join(roomDir, 'room~rvvvvvvvv.json'), JSON.stringify(renamed));
    const extra = { ...renamed, id: 'room~ruuuuuuuu', path: '../../etc/passwd' };
    await writeFile(path.join(roomDir, 'room~ruuuuuuuu.json'), JSON.stringify(extra));
    await writeFile(path.join(roomDir, 'notes.txt'), 'x');
    await mkdir(path.join(dir, '..bad'), { recursive: true }); // not a room name: left alone, never read

    const again = new LocalClips({ dir });
    await again.load();
    assert.deepEqual(
      again.list().map((c) => c.id),
      [kept.id, lost.id].sort((x, y) => (y > x ? 1 : -1)),
    );
    assert.equal(again.get(lost.id)!.status, 'failed');
    assert.equal(again.filePath(lost.id, 'media'), undefined);
    assert.deepEqual((await tree(roomDir)).sort(), [`${kept.id}.jpg`, `${kept.id}.json`, `${kept.id}.mp4`, `${lost.id}.json`].sort());
  });

  it('delete: the JSON and files go, the empty room folder too; a second delete is false', async () => {
    const { root, dir, clips } = await fresh();
    const c = await readyClip(clips, root);
    assert.equal(await clips.delete(c.id), true);
    assert.equal(clips.get(c.id), undefined);
    assert.deepEqual(await tree(dir), []);
    assert.equal(await clips.delete(c.id), false);
    await assert.rejects(clips.finish(c.id, { media: path.join(root, 'x') }, { duration: 1 }), (e: ApiError) => e.statusCode === 404);
    await assert.rejects(clips.fail(c.id, 'x'), (e: ApiError) => e.statusCode === 404);
  });

  it('writes to one clip land in order (finish then fail: failed on disk too)', async () => {
    const { root, dir, clips } = await fresh();
    const c = await clips.create({ sessionId: 'room', status: 'processing', createdAt: T0, hasAudio: true, hasVideo: true });
    const media = path.join(root, 'm.mp4');
    await writeFile(media, MEDIA);
    const [ready, failed] = await Promise.all([clips.finish(c.id, { media }, { duration: 3 }), clips.fail(c.id, 'late')]);
    assert.equal(ready.status, 'ready');
    assert.equal(failed.status, 'failed');
    const again = new LocalClips({ dir });
    await again.load();
    assert.equal(again.get(c.id)!.status, 'failed');
  });
});

describe('hostile ids', () => {
  it('get, filePath, delete, finish, fail refuse every id that is not a local clip id, touching nothing', async () => {
    const { root, dir, clips } = await fresh();
    const c = await readyClip(clips, root);
    const outside = path.join(root, 'outside.mp4');
    await writeFile(outside, MEDIA);
    const before = await tree(root);
    for (const id of HOSTILE_IDS) {
      assert.equal(clips.get(id), undefined, id);
      assert.equal(clips.filePath(id, 'media'), undefined, id);
      assert.equal(clips.filePath(id, 'thumbnail'), undefined, id);
      assert.equal(await clips.delete(id), false, id);
      await assert.rejects(clips.finish(id, { media: outside }, { duration: 1 }), (e: ApiError) => e.statusCode === 404, id);
      await assert.rejects(clips.fail(id, 'x'), (e: ApiError) => e.statusCode === 404, id);
    }
    assert.deepEqual(await tree(root), before);
    assert.equal(clips.get(c.id)!.status, 'ready');
    assert.ok(clips.filePath(c.id, 'media')!.startsWith(dir + path.sep));
  });
});

describe('the gateway serves local clips', () => {
  // Nothing listens on port 9: a local clip must never need OpenVidu.
  const gatewayFor = (local: LocalClips) =>
    new OpenViduGateway({
      url: 'http://127.0.0.1:9',
      secret: 's',
      timeoutMs: 2000,
      clip: { resolution: '640x480', frameRate: 25, hasAudio: true, hasVideo: true },
      local,
      decorate: (clip) => ({ ...clip, name: `decorated ${clip.name}` }),
    });

  it('getClip decorated; fetchClipFile with one byte range → 206, none → 200, unsatisfiable → 416; thumbnail; not ready → 409', async () => {
    const { root, clips } = await fresh();
    const gw = gatewayFor(clips);
    const c = await readyClip(clips, root);
    assert.equal((await gw.getClip(c.id)).name, 'decorated Replay');

    const whole = await gw.fetchClipFile(c.id, 'media');
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'video/mp4');
    assert.equal(whole.headers.get('content-length'), String(MEDIA.length));
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), MEDIA);

    const part = await gw.fetchClipFile(c.id, 'media', 'bytes=10-19');
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-19/${MEDIA.length}`);
    assert.equal(Buffer.from(await part.arrayBuffer()).toString(), '0123456789');
    const suffix = await gw.fetchClipFile(c.id, 'media', 'bytes=-5');
    assert.equal(suffix.status, 206);
    assert.equal(Buffer.from(await suffix.arrayBuffer()).toString(), '56789');
    const several = await gw.fetchClipFile(c.id, 'media', 'bytes=0-1,5-6');
    assert.equal(several.status, 200, 'several ranges: the whole file');
    await several.body?.cancel();
    await assert.rejects(
      gw.fetchClipFile(c.id, 'media', `bytes=${MEDIA.length}-`),
      (e: ApiError) => e.statusCode === 416 && e.code === 'OV_RANGE_NOT_SATISFIABLE',
    );

    const thumb = await gw.fetchClipFile(c.id, 'thumbnail');
    assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(Buffer.from(await thumb.arrayBuffer()), JPEG);
    const noThumb = await readyClip(clips, root, 'room', false);
    await assert.rejects(gw.fetchClipFile(noThumb.id, 'thumbnail'), (e: ApiError) => e.code === 'OV_THUMBNAIL_NOT_FOUND');

    const rec = await clips.create({ sessionId: 'room', status: 'recording', createdAt: T0, hasAudio: true, hasVideo: true });
    await assert.rejects(gw.fetchClipFile(rec.id, 'media'), (e: ApiError) => e.statusCode === 409 && e.code === 'OV_CLIP_NOT_READY');
  });

  it('an aborted transfer stops the body', async () => {
    const { root, clips } = await fresh();
    const c = await readyClip(clips, root);
    const abort = new AbortController();
    const res = await gatewayFor(clips).fetchClipFile(c.id, 'media', undefined, abort.signal);
    abort.abort();
    await assert.rejects(res.arrayBuffer());
  });

  it('deleteClip: 409 OV_CLIP_RECORDING while recording, else the clip and files go; unknown → 404; stopClip is not the gateway’s', async () => {
    const { root, dir, clips } = await fresh();
    const gw = gatewayFor(clips);
    const rec = await clips.create({ sessionId: 'room', status: 'recording', createdAt: T0, hasAudio: true, hasVideo: true });
    await assert.rejects(gw.deleteClip(rec.id), (e: ApiError) => e.statusCode === 409 && e.code === 'OV_CLIP_RECORDING');
    await assert.rejects(gw.stopClip(rec.id), /local clip/);
    await clips.fail(rec.id, 'x');
    await gw.deleteClip(rec.id);
    const c = await readyClip(clips, root);
    await gw.deleteClip(c.id);
    assert.deepEqual(await tree(dir), []);
    for (const id of [c.id, 'room~r00000000']) {
      await assert.rejects(gw.getClip(id), (e: ApiError) => e.statusCode === 404 && e.code === 'OV_CLIP_NOT_FOUND');
      await assert.rejects(gw.deleteClip(id), (e: ApiError) => e.statusCode === 404);
      await assert.rejects(gw.fetchClipFile(id, 'media'), (e: ApiError) => e.statusCode === 404);
    }
  });

  it('publisherCount: active connections that publish, asked without pending connections; no session → undefined', async () => {
    const asked: string[] = [];
    const ov = http.createServer((req, res) => {
      asked.push(req.url!);
      if (!req.url!.startsWith('/openvidu/api/sessions/room/connection?')) return void res.writeHead(404).end();
      const content = [
        { status: 'active', publishers: [{ streamId: 'a' }] },
        { status: 'active', publishers: [{ streamId: 'b' }, { streamId: 'c' }] },
        { status: 'active', publishers: [] },
        { status: 'pending', publishers: null },
      ];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ numberOfElements: content.length, content }));
    });
    await new Promise<void>((r) => ov.listen(0, '127.0.0.1', r));
    try {
      const gw = new OpenViduGateway({
        url: `http://127.0.0.1:${(ov.address() as AddressInfo).port}`,
        secret: 's',
        timeoutMs: 2000,
        clip: { resolution: '640x480', frameRate: 25, hasAudio: true, hasVideo: true },
      });
      assert.equal(await gw.publisherCount('room'), 2);
      assert.equal(await gw.publisherCount('gone'), undefined);
      assert.match(asked[0], /pendingConnections=false/);
    } finally {
      ov.closeAllConnections();
      await new Promise((r) => ov.close(r));
    }
  });
});
