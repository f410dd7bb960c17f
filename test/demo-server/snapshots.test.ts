import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../demo-server/src/app.js';
import { loadConfig } from '../../demo-server/src/config.js';
import type { Action, Authorize, Resource } from '../../demo-server/src/plugins/authorize.js';
import type { BusEvent } from '../../demo-server/src/services/event-bus.js';
import { imageTypeOf, sniffImage } from '../../demo-server/src/services/image-info.js';
import { SnapshotRejectedError, SnapshotStore } from '../../demo-server/src/services/snapshot-store.js';
import { resolveFfmpegPath, runTool } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';
import { pngHeader } from '../helpers/image-headers.js';

/*
 * Snapshot routes, store and image sniffing. Real JPEG/PNG/WebP/GIF files come from ffmpeg; every app runs on
 * its own temporary DATA_DIR and is driven with app.inject (no network, no browser).
 */

let tmp: string;
const img: Record<'jpg' | 'png' | 'webp' | 'webpLossless' | 'gif' | 'thumb', Buffer> = {} as never;
const apps: FastifyInstance[] = [];

async function ffmpeg(args: string[], out: string): Promise<Buffer> {
  const file = path.join(tmp, out);
  const r = await runTool(resolveFfmpegPath(process.env.FFMPEG_PATH), ['-hide_banner', '-loglevel', 'error', '-y', ...args, file]);
  assert.equal(r.code, 0, `ffmpeg ${out}: ${r.stderr}`);
  return readFile(file);
}

async function makeApp(env: Record<string, string> = {}, authorize?: Authorize, dataDir?: string): Promise<FastifyInstance> {
  const dir = dataDir ?? (await mkdtemp(path.join(tmp, 'data-')));
  const config = { ...loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', OPENVIDU_URL: 'http://127.0.0.1:9', OPENVIDU_SECRET: 'x', ...env }) };
  const app = await buildApp({ config, logger: false, authorize });
  apps.push(app);
  return app;
}

function upload(app: FastifyInstance, sessionId: string, body: Buffer | string | Readable, contentType: string | null = 'image/jpeg', query = '') {
  return app.inject({
    method: 'POST',
    url: `/api/sessions/${sessionId}/snapshots${query}`,
    headers: contentType === null ? {} : { 'content-type': contentType },
    payload: body,
  });
}

/** Every error answer: JSON `{statusCode, error, message, code}` and a 4xx status. */
function assertClientError(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status?: number, code?: string) {
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `expected 4xx, got ${res.statusCode}: ${res.body}`);
  if (status !== undefined) assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode']);
  assert.equal(body.statusCode, res.statusCode);
  assert.equal(typeof body.code, 'string');
  if (code !== undefined) assert.equal(body.code, code, res.body);
}

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'snapshots-test-'));
  const src = (size: string) => ['-f', 'lavfi', '-i', `testsrc=size=${size}`, '-frames:v', '1'];
  [img.jpg, img.png, img.webp, img.webpLossless, img.gif, img.thumb] = await Promise.all([
    ffmpeg(src('320x240'), 'a.jpg'),
    ffmpeg(src('160x120'), 'a.png'),
    ffmpeg([...src('321x239'), '-c:v', 'libwebp'], 'a.webp'),
    ffmpeg([...src('100x50'), '-c:v', 'libwebp', '-lossless', '1'], 'l.webp'),
    ffmpeg(src('64x48'), 'a.gif'),
    ffmpeg(src('64x48'), 'thumb.jpg'),
  ]);
});

after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await rm(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------------
// Hand-made variants of the ffmpeg images

/** An APP1 segment (marker + length + payload). */
function app1(payload: Buffer): Buffer {
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** EXIF payload: TIFF header, IFD0 with the orientation, then `tail` (e.g. an embedded thumbnail JPEG). */
function exif(orientation: number, bigEndian = true, tail: Buffer = Buffer.alloc(0)): Buffer {
  const t = Buffer.alloc(8 + 2 + 12 + 4);
  const u16 = (v: number, o: number) => (bigEndian ? t.writeUInt16BE(v, o) : t.writeUInt16LE(v, o));
  const u32 = (v: number, o: number) => (bigEndian ? t.writeUInt32BE(v, o) : t.writeUInt32LE(v, o));
  t.write(bigEndian ? 'MM' : 'II', 0, 'latin1');
  u16(42, 2);
  u32(8, 4);
  u16(1, 8);
  u16(0x0112, 10);
  u16(3, 12);
  u32(1, 14);
  u16(orientation, 18);
  u32(0, 22);
  return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), t, tail]);
}

/** A JPEG with extra segments right after SOI. */
const withSegments = (jpeg: Buffer, ...segments: Buffer[]) => Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);

/** The lossy WebP rewrapped as an extended file: VP8X (canvas size) + the VP8 chunk. */
function webpExtended(lossy: Buffer, width: number, height: number): Buffer {
  const vp8x = Buffer.alloc(18);
  vp8x.write('VP8X', 0, 'latin1');
  vp8x.writeUInt32LE(10, 4);
  vp8x.writeUIntLE(width - 1, 12, 3);
  vp8x.writeUIntLE(height - 1, 15, 3);
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), vp8x, lossy.subarray(12)]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

// ---------------------------------------------------------------------------------------------------------------

describe('sniffImage', () => {
  test('real JPEG, PNG, WebP (lossy VP8, lossless VP8L, extended VP8X) files', () => {
    assert.deepEqual(sniffImage(img.jpg), { contentType: 'image/jpeg', ext: 'jpg', width: 320, height: 240 });
    assert.deepEqual(sniffImage(img.png), { contentType: 'image/png', ext: 'png', width: 160, height: 120 });
    assert.deepEqual(sniffImage(img.webp), { contentType: 'image/webp', ext: 'webp', width: 321, height: 239 });
    assert.deepEqual(sniffImage(img.webpLossless), { contentType: 'image/webp', ext: 'webp', width: 100, height: 50 });
    assert.deepEqual(sniffImage(webpExtended(img.webp, 321, 239)), { contentType: 'image/webp', ext: 'webp', width: 321, height: 239 });
    assert.deepEqual(sniffImage(webpExtended(img.webp, 5000, 16_777_216)), { contentType: 'image/webp', ext: 'webp', width: 5000, height: 16_777_216 });
    assert.equal(sniffImage(img.gif), undefined);
    assert.equal(imageTypeOf(img.gif), undefined);
  });

  test('JPEG: EXIF APP1 (with an embedded thumbnail) before the frame header, orientation, fill bytes, progressive', () => {
    // The thumbnail's own SOF (64x48) sits inside APP1 and must be skipped, not taken as the image size.
    assert.deepEqual(sniffImage(withSegments(img.jpg, app1(exif(1, true, img.thumb)))), { contentType: 'image/jpeg', ext: 'jpg', width: 320, height: 240 });
    // Orientations 5–8 are rotated by 90°: the displayed size swaps.
    for (const [o, dims] of [
      [1, [320, 240]],
      [3, [320, 240]],
      [6, [240, 320]],
      [8, [240, 320]],
      [9, [320, 240]],
    ] as const) {
      for (const be of [true, false]) {
        const info = sniffImage(withSegments(img.jpg, app1(exif(o, be))));
        assert.deepEqual([info?.width, info?.height], dims, `orientation ${o} ${be ? 'MM' : 'II'}`);
      }
    }
    // An APP1 that is not EXIF, and a damaged EXIF (IFD offset far out), change nothing.
    const notExif = app1(Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>', 'latin1'));
    const badExif = exif(6);
    badExif.writeUInt32BE(0xfffffff0, 10);
    assert.deepEqual(sniffImage(withSegments(img.jpg, notExif, app1(badExif)))?.width, 320);
    // Fill bytes before a marker are allowed.
    const filled = withSegments(img.jpg, Buffer.from([0xff, 0xff, 0xff, 0xfe, 0x00, 0x04, 0x61, 0x62]));
    assert.equal(sniffImage(filled)?.width, 320);
    // SOF2 (progressive) is a frame header too.
    const sof = img.jpg.indexOf(Buffer.from([0xff, 0xc0]));
    const progressive = Buffer.from(img.jpg);
    progressive[sof + 1] = 0xc2;
    assert.deepEqual(sniffImage(progressive)?.height, 240);
    // Height 0 (defined later by a DNL segment) cannot be reported.
    const dnl = Buffer.from(img.jpg);
    dnl.writeUInt16BE(0, sof + 5);
    assert.equal(sniffImage(dnl), undefined);
    assert.equal(imageTypeOf(dnl), 'image/jpeg');
  });

  test('JPEG without a frame header before the scan, or with a broken segment chain', () => {
    const sos = Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 0xff, 0xc0, 0x00, 0x11, 8, 0, 240, 1, 64]);
    assert.equal(sniffImage(sos), undefined);
    assert.equal(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xd9])), undefined);
    assert.equal(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01])), undefined); // length < 2
    assert.equal(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff, 0, 0])), undefined); // length past the end
    assert.equal(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x00, 0x10])), undefined);
    assert.equal(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x02, 0x12, 0x34])), undefined); // garbage between segments
    assert.equal(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 8, 0, 240])), undefined); // SOF cut short
  });

  test('PNG edge cases', () => {
    assert.deepEqual(sniffImage(pngHeader(1, 1))?.width, 1);
    assert.deepEqual(sniffImage(pngHeader(0x7fffffff, 7)), { contentType: 'image/png', ext: 'png', width: 0x7fffffff, height: 7 });
    assert.equal(sniffImage(pngHeader(0, 10)), undefined);
    assert.equal(sniffImage(pngHeader(10, 0)), undefined);
    assert.equal(sniffImage(pngHeader(0x80000000, 10)), undefined);
    const noIhdr = pngHeader(10, 10);
    noIhdr.write('CgBI', 12, 'latin1');
    assert.equal(sniffImage(noIhdr), undefined);
    assert.equal(imageTypeOf(noIhdr), 'image/png');
  });

  test('every truncation of every real file: never throws, never a wrong size', () => {
    const files = [img.jpg, img.png, img.webp, img.webpLossless, webpExtended(img.webp, 321, 239), withSegments(img.jpg, app1(exif(6, false, img.thumb)))];
    for (const file of files) {
      const full = sniffImage(file);
      assert.ok(full);
      const cuts = new Set<number>();
      for (let n = 0; n <= Math.min(file.length, 2048); n++) cuts.add(n);
      for (let n = 2048; n < file.length; n += 97) cuts.add(n);
      for (const n of cuts) {
        const r = sniffImage(file.subarray(0, n));
        if (r !== undefined) assert.deepEqual(r, full, `prefix of ${n} bytes`);
      }
    }
  });

  test('garbage: random bytes, random bytes after each magic, mutated headers, non-buffers: never throws', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
    const magics = [
      Buffer.from([0xff, 0xd8, 0xff]),
      pngHeader(5, 5).subarray(0, 16),
      Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'),
      Buffer.from('RIFF\0\0\0\0WEBPVP8L', 'latin1'),
      Buffer.from('RIFF\0\0\0\0WEBPVP8X', 'latin1'),
    ];
    const check = (b: Buffer) => {
      const r = sniffImage(b);
      if (r) assert.ok(Number.isInteger(r.width) && r.width >= 1 && Number.isInteger(r.height) && r.height >= 1, JSON.stringify(r));
    };
    for (let i = 0; i < 3000; i++) check(bytes(Math.floor(rnd() * 80)));
    for (const m of magics) for (let i = 0; i < 1000; i++) check(Buffer.concat([m, bytes(Math.floor(rnd() * 64))]));
    for (const file of [img.jpg, img.png, img.webp, img.webpLossless]) {
      for (let i = 0; i < 1000; i++) {
        const b = Buffer.from(file.subarray(0, 700));
        for (let k = 0; k < 3; k++) b[Math.floor(rnd() * Math.min(b.length, 200))] = Math.floor(rnd() * 256);
        check(b);
      }
    }
    for (const junk of [null, undefined, 'string', 42, {}, [0xff, 0xd8, 0xff], new ArrayBuffer(8)])
      assert.equal(sniffImage(junk as unknown as Buffer), undefined);
    assert.equal(sniffImage(Buffer.alloc(0)), undefined);
    assert.equal(sniffImage(new Uint8Array(img.png))?.width, 160);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('snapshot routes', () => {
  let app: FastifyInstance;
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmp, 'main-'));
    app = await makeApp({}, undefined, dataDir);
  });

  test('upload JPEG, PNG, WebP → 201; list newest first; GET gives the same bytes and headers; DELETE → 204 then 404', async () => {
    const created = [];
    for (const [file, contentType, width, height, ext] of [
      [img.jpg, 'image/jpeg', 320, 240, 'jpg'],
      [img.png, 'image/png', 160, 120, 'png'],
      [img.webp, 'image/webp', 321, 239, 'webp'],
    ] as const) {
      const before = Date.now();
      const res = await upload(app, 'room-1', file, contentType);
      assert.equal(res.statusCode, 201, res.body);
      const s = res.json();
      assert.match(s.id, /^snap_[A-Za-z0-9]{16}$/);
      assert.deepEqual(
        { ...s, id: 0, createdAt: 0, name: '' },
        { id: 0, sessionId: 'room-1', name: '', streamId: '', contentType, size: file.length, width, height, createdAt: 0, url: `/api/snapshots/${s.id}` },
      );
      assert.match(s.name, /^Snapshot \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      assert.ok(s.createdAt >= before && s.createdAt <= Date.now() + 50);
      assert.equal(res.headers.location, s.url);
      // On disk: names from the id only.
      const disk = await readFile(path.join(dataDir, 'snapshots', 'room-1', `${s.id}.${ext}`));
      assert.ok(disk.equals(file));
      created.push(s);
    }

    const list = await app.inject({ method: 'GET', url: '/api/sessions/room-1/snapshots' });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json(), { snapshots: [...created].reverse() });
    assert.deepEqual((await app.inject({ method: 'GET', url: '/api/sessions/empty-room/snapshots' })).json(), { snapshots: [] });

    for (const [s, file] of [
      [created[0], img.jpg],
      [created[1], img.png],
      [created[2], img.webp],
    ] as const) {
      const res = await app.inject({ method: 'GET', url: s.url });
      assert.equal(res.statusCode, 200);
      assert.ok(res.rawPayload.equals(file), 'identical bytes');
      assert.equal(res.headers['content-type'], s.contentType);
      assert.equal(res.headers['content-length'], String(file.length));
      assert.equal(res.headers['cache-control'], 'private, max-age=31536000, immutable');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers.etag, `"${s.id}"`);
      const again = await app.inject({ method: 'GET', url: s.url, headers: { 'if-none-match': `W/"x", "${s.id}"` } });
      assert.equal(again.statusCode, 304);
      assert.equal(again.body, '');
      const head = await app.inject({ method: 'HEAD', url: s.url });
      assert.equal(head.statusCode, 200);
      assert.equal(head.headers['content-length'], String(file.length));
    }

    const del = await app.inject({ method: 'DELETE', url: created[1].url });
    assert.equal(del.statusCode, 204);
    assert.equal(del.body, '');
    assertClientError(await app.inject({ method: 'GET', url: created[1].url }), 404, 'OV_SNAPSHOT_NOT_FOUND');
    assertClientError(await app.inject({ method: 'DELETE', url: created[1].url }), 404, 'OV_SNAPSHOT_NOT_FOUND');
    assertClientError(await app.inject({ method: 'GET', url: '/api/snapshots/snap_0000000000000000' }), 404, 'OV_SNAPSHOT_NOT_FOUND');
    assert.deepEqual(
      (await app.inject({ method: 'GET', url: '/api/sessions/room-1/snapshots' })).json().snapshots.map((s: { id: string }) => s.id),
      [created[2].id, created[0].id],
    );
    assert.deepEqual(
      (await readdir(path.join(dataDir, 'snapshots', 'room-1'))).sort(),
      [`${created[0].id}.jpg`, `${created[0].id}.json`, `${created[2].id}.json`, `${created[2].id}.webp`].sort(),
    );
  });

  test('names in any language are stored as text, HTML included; stream id; bounds', async () => {
    const name = '회의 스냅샷 <script>alert("x")</script> & ünïcödé 🎉';
    const res = await upload(app, 'room-2', img.png, 'image/png', `?name=${encodeURIComponent(name)}&streamId=str_CAM_AbCd_con_Xy~z-1`);
    assert.equal(res.statusCode, 201, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(res.json().name, name);
    assert.equal(res.json().streamId, 'str_CAM_AbCd_con_Xy~z-1');
    assert.equal((await app.inject({ method: 'GET', url: '/api/sessions/room-2/snapshots' })).json().snapshots[0].name, name);

    const hundred = '가'.repeat(100);
    assert.equal((await upload(app, 'room-2', img.png, 'image/png', `?name=${encodeURIComponent(hundred)}`)).json().name, hundred);
    assertClientError(await upload(app, 'room-2', img.png, 'image/png', `?name=${encodeURIComponent(hundred + '가')}`), 400, 'OV_VALIDATION_FAILED');
    assertClientError(await upload(app, 'room-2', img.png, 'image/png', '?name=a%0Ab'), 400);
    assertClientError(await upload(app, 'room-2', img.png, 'image/png', '?name=a%00b'), 400);
    assertClientError(await upload(app, 'room-2', img.png, 'image/png', '?name=a&name=b'), 400);
    assertClientError(await upload(app, 'room-2', img.png, 'image/png', '?streamId=..%2Fx'), 400);
    assertClientError(await upload(app, 'room-2', img.png, 'image/png', `?streamId=${'a'.repeat(129)}`), 400);
    assertClientError(await upload(app, 'room-2', img.png, 'image/png', '?streamId='), 400);
    assert.match((await upload(app, 'room-2', img.png, 'image/png', '?name=%20%20')).json().name, /^Snapshot /);
    assert.equal((await upload(app, 'room-2', img.png, 'image/png', '?name=')).statusCode, 201);
  });

  test('unknown query fields → 400', async () => {
    assertClientError(await upload(app, 'room-3', img.png, 'image/png', '?foo=1'), 400, 'OV_VALIDATION_FAILED');
    assertClientError(await app.inject({ method: 'GET', url: '/api/sessions/room-3/snapshots?foo=1' }), 400, 'OV_VALIDATION_FAILED');
    assertClientError(await app.inject({ method: 'GET', url: '/api/snapshots/snap_0000000000000000?x=1' }), 400, 'OV_VALIDATION_FAILED');
    assertClientError(await app.inject({ method: 'DELETE', url: '/api/snapshots/snap_0000000000000000?x=1' }), 400, 'OV_VALIDATION_FAILED');
    assert.deepEqual((await app.inject({ method: 'GET', url: '/api/sessions/room-3/snapshots' })).json(), { snapshots: [] });
  });

  test('415 for other Content-Types and for bytes that are not JPEG/PNG/WebP, whatever the declared type', async () => {
    const html = Buffer.from('<!doctype html><html><script>alert(1)</script></html>');
    for (const [body, type] of [
      ['hello', 'text/plain'],
      ['{"a":1}', 'application/json'],
      ['--x\r\nContent-Disposition: form-data; name="f"\r\n\r\nabc\r\n--x--\r\n', 'multipart/form-data; boundary=x'],
      [html, 'image/jpeg'],
      [html, 'application/octet-stream'],
      [img.gif, 'image/gif'],
      [img.gif, 'image/jpeg'],
      [img.gif, 'application/octet-stream'],
      [img.jpg, 'image/svg+xml'],
      [img.jpg, null],
    ] as const) {
      assertClientError(await upload(app, 'room-4', body as Buffer | string, type), 415, 'OV_SNAPSHOT_UNSUPPORTED');
    }
    assert.deepEqual((await app.inject({ method: 'GET', url: '/api/sessions/room-4/snapshots' })).json(), { snapshots: [] });
  });

  test('the stored type comes from the bytes: a PNG declared as image/jpeg is a PNG', async () => {
    for (const type of ['image/jpeg', 'application/octet-stream', 'IMAGE/WEBP', 'image/jpeg; charset=binary']) {
      const res = await upload(app, 'room-5', img.png, type);
      assert.equal(res.statusCode, 201, `${type}: ${res.body}`);
      assert.equal(res.json().contentType, 'image/png');
      const get = await app.inject({ method: 'GET', url: res.json().url });
      assert.equal(get.headers['content-type'], 'image/png');
      assert.ok(get.rawPayload.equals(img.png));
    }
  });

  test('400 for an empty body or a header without a size', async () => {
    assertClientError(await upload(app, 'room-6', Buffer.alloc(0), 'image/jpeg'), 400, 'OV_SNAPSHOT_EMPTY');
    assertClientError(await upload(app, 'room-6', Buffer.alloc(0), null), 400, 'OV_SNAPSHOT_EMPTY');
    assertClientError(await upload(app, 'room-6', img.jpg.subarray(0, 100), 'image/jpeg'), 400, 'OV_SNAPSHOT_INVALID');
    assertClientError(await upload(app, 'room-6', pngHeader(0, 10), 'image/png'), 400, 'OV_SNAPSHOT_INVALID');
    assertClientError(await upload(app, 'room-6', img.webp.subarray(0, 24), 'image/webp'), 400, 'OV_SNAPSHOT_INVALID');
  });

  test('hostile ids and session ids → 4xx JSON, never 5xx', async () => {
    const ids = [
      '..',
      '..%2F..%2Fetc%2Fpasswd',
      '%2e%2e',
      '%2e%2e%2f%2e%2e%2fsnapshots',
      'snap_..%2F..%2F..%2Fxx',
      'snap_%C3%A4%C3%B6%C3%BC%C3%A4%C3%B6%C3%BC%C3%A4%C3%B6%C3%BC%C3%A4',
      'snap_%00000000000000000',
      'snap_%0a000000000000000',
      'snap_%7F000000000000000',
      `snap_${'a'.repeat(300)}`,
      'snap_aaaaaaaaaaaaaaa',
      'SNAP_aaaaaaaaaaaaaaaa',
      '%zz',
      '%',
      'snap_aaaaaaaaaaaaaaaa%20',
      'snap_aaaaaaaaaaaaaaaa.json',
      '%F0%9F%8E%89',
    ];
    for (const id of ids) {
      for (const method of ['GET', 'DELETE', 'HEAD'] as const) {
        const res = await app.inject({ method, url: `/api/snapshots/${id}` });
        if (method === 'HEAD') assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${method} ${id}: ${res.statusCode}`);
        else assertClientError(res, undefined, undefined);
      }
    }
    const sessions = ['..', '%2e%2e', '..%2Fetc', 'a%2Fb', 'a%5Cb', '%E3%83%AB%E3%83%BC%E3%83%A0', 'room%00', 'room%0d%0a', 'a'.repeat(65), '%zz', 'room.1'];
    for (const s of sessions) {
      assertClientError(await app.inject({ method: 'GET', url: `/api/sessions/${s}/snapshots` }));
      assertClientError(await upload(app, s, img.jpg, 'image/jpeg'));
    }
    const all = await readdir(path.join(dataDir, 'snapshots'));
    assert.ok(
      all.every((d) => /^[A-Za-z0-9_-]{1,64}$/.test(d)),
      all.join(','),
    );
    assert.ok(!all.includes('a'.repeat(65)));
  });

  test('events: snapshot after a save, snapshot-deleted after a delete', async () => {
    const events: BusEvent[] = [];
    const unsubscribe = app.services.bus.subscribe('room-7', (e) => events.push(e));
    try {
      const s = (await upload(app, 'room-7', img.webp, 'image/webp', '?name=ev')).json();
      assert.equal(events.length, 1);
      assert.equal(events[0].type, 'snapshot');
      assert.deepEqual(events[0].data, s);
      assertClientError(await upload(app, 'room-7', img.gif, 'image/gif'), 415);
      assert.equal(events.length, 1, 'no event for a refused upload');
      assert.equal((await app.inject({ method: 'DELETE', url: s.url })).statusCode, 204);
      assert.equal(events.length, 2);
      assert.equal(events[1].type, 'snapshot-deleted');
      assert.deepEqual(events[1].data, { id: s.id, sessionId: 'room-7' });
    } finally {
      unsubscribe();
    }
  });

  test('20 parallel uploads: all stored, distinct ids, strict newest-first order, no temporary files left', async () => {
    const files = [img.jpg, img.png, img.webp, img.webpLossless];
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => upload(app, 'room-8', files[i % 4], 'application/octet-stream', `?name=n${i}`)));
    for (const r of results) assert.equal(r.statusCode, 201, r.body);
    const ids = new Set(results.map((r) => r.json().id));
    assert.equal(ids.size, 20);
    const list = (await app.inject({ method: 'GET', url: '/api/sessions/room-8/snapshots' })).json().snapshots as {
      id: string;
      createdAt: number;
      name: string;
      size: number;
    }[];
    assert.equal(list.length, 20);
    assert.deepEqual(new Set(list.map((s) => s.id)), ids);
    for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].createdAt > list[i].createdAt, 'strictly newest first');
    for (const r of results) {
      const s = r.json();
      const get = await app.inject({ method: 'GET', url: s.url });
      assert.ok(get.rawPayload.equals(files[Number(s.name.slice(1)) % 4]), `bytes of ${s.name}`);
    }
    const disk = await readdir(path.join(dataDir, 'snapshots', 'room-8'));
    assert.equal(disk.length, 40);
    assert.ok(disk.every((f) => !f.endsWith('.tmp')));
  });

  test('a restart keeps every snapshot', async () => {
    const before = new Map<string, unknown>();
    for (const room of ['room-1', 'room-2', 'room-5', 'room-8'])
      before.set(room, (await app.inject({ method: 'GET', url: `/api/sessions/${room}/snapshots` })).json());
    await app.close();
    app = await makeApp({}, undefined, dataDir);
    for (const [room, list] of before) assert.deepEqual((await app.inject({ method: 'GET', url: `/api/sessions/${room}/snapshots` })).json(), list, room);
    const first = (before.get('room-1') as { snapshots: { url: string }[] }).snapshots[0];
    const get = await app.inject({ method: 'GET', url: first.url });
    assert.equal(get.statusCode, 200);
    assert.ok(get.rawPayload.equals(img.webp));
    // New uploads after a restart sort after the old ones.
    const s = (await upload(app, 'room-1', img.jpg)).json();
    assert.equal((await app.inject({ method: 'GET', url: '/api/sessions/room-1/snapshots' })).json().snapshots[0].id, s.id);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('snapshot routes: limits and access', () => {
  test('413 one byte over SNAPSHOT_MAX_BYTES (with and without Content-Length); exactly the limit is fine', async () => {
    const app = await makeApp({ SNAPSHOT_MAX_BYTES: '2048' });
    const ok = await upload(app, 'room', pngHeader(640, 480, 2048), 'image/png');
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json().size, 2048);
    assertClientError(await upload(app, 'room', pngHeader(640, 480, 2049), 'image/png'), 413, 'OV_SNAPSHOT_TOO_LARGE');
    assertClientError(await upload(app, 'room', img.jpg, 'application/octet-stream'), 413, 'OV_SNAPSHOT_TOO_LARGE');
    const chunked = Readable.from([pngHeader(640, 480, 1500), Buffer.alloc(549)]);
    assertClientError(await upload(app, 'room', chunked, 'image/png'), 413, 'OV_SNAPSHOT_TOO_LARGE');
    assert.equal((await app.inject({ method: 'GET', url: '/api/sessions/room/snapshots' })).json().snapshots.length, 1);
  });

  test('image bombs: tiny files declaring huge sizes → 400 OV_IMAGE_TOO_LARGE, nothing stored; an 8K camera frame passes', async () => {
    const app = await makeApp();
    const dataDir = app.services.config.dataDir;
    const jpegOf = (width: number, height: number, base = img.jpg) => {
      const b = Buffer.from(base);
      const sof = b.indexOf(Buffer.from([0xff, 0xc0]));
      b.writeUInt16BE(height, sof + 5);
      b.writeUInt16BE(width, sof + 7);
      return b;
    };
    const bombs: [string, Buffer, string][] = [
      ['a 69-byte PNG of 2147483647²', pngHeader(0x7fffffff, 0x7fffffff, 69), 'image/png'],
      ['a WebP of 16777216²', webpExtended(img.webp, 16_777_216, 16_777_216), 'image/webp'],
      ['a JPEG of 65535²', jpegOf(65535, 65535), 'image/jpeg'],
      ['a PNG 100000 pixels wide', pngHeader(100_000, 10), 'image/png'],
      ['a JPEG 20000 pixels high', jpegOf(100, 20_000), 'image/jpeg'],
      ['an 8192² WebP (67 megapixels)', webpExtended(img.webp, 8192, 8192), 'image/webp'],
    ];
    assert.equal(bombs[0][1].length, 69);
    for (const [what, body, type] of bombs) {
      const res = await upload(app, 'bombs', body, type);
      assertClientError(res, 400, 'OV_IMAGE_TOO_LARGE');
      assert.match(res.json().message, /\d+ ?x ?\d+/, `${what}: the message gives the size: ${res.json().message}`);
    }
    assert.deepEqual(app.services.snapshots.list('bombs'), []);
    assert.equal((await app.inject({ method: 'GET', url: '/api/sessions/bombs/snapshots' })).json().snapshots.length, 0);
    assert.deepEqual(
      await readdir(path.join(dataDir, 'snapshots'))
        .then((d) => d.filter((n) => n === 'bombs'))
        .catch(() => []),
      [],
    );

    // 8K UHD (7680x4320), also portrait (EXIF orientation 6), and DCI 8K width pass.
    for (const [what, body, type, w, h] of [
      ['8K JPEG', jpegOf(7680, 4320), 'image/jpeg', 7680, 4320],
      ['8K JPEG, portrait', withSegments(jpegOf(7680, 4320), app1(exif(6))), 'image/jpeg', 4320, 7680],
      ['8K PNG', pngHeader(7680, 4320), 'image/png', 7680, 4320],
      ['8K WebP', webpExtended(img.webp, 7680, 4320), 'image/webp', 7680, 4320],
      ['DCI 8K JPEG', jpegOf(8192, 4320), 'image/jpeg', 8192, 4320],
    ] as [string, Buffer, string, number, number][]) {
      const res = await upload(app, 'eight-k', body, type);
      assert.equal(res.statusCode, 201, `${what}: ${res.body}`);
      assert.deepEqual([res.json().width, res.json().height], [w, h], what);
    }
  });

  test('SNAPSHOT_MAX_WIDTH / _HEIGHT / _PIXELS: one past each limit → 400 OV_IMAGE_TOO_LARGE naming it; at the limit → 201', async () => {
    const app = await makeApp({ SNAPSHOT_MAX_WIDTH: '1000', SNAPSHOT_MAX_HEIGHT: '500', SNAPSHOT_MAX_PIXELS: '400000' });
    const at = [pngHeader(1000, 400), pngHeader(800, 500), pngHeader(1000, 1)];
    for (const body of at) assert.equal((await upload(app, 'lim', body, 'image/png')).statusCode, 201);
    for (const [body, words] of [
      [pngHeader(1001, 1), /1001.*1000|width/i],
      [pngHeader(1, 501), /501.*500|height/i],
      [pngHeader(1000, 401), /400000|pixels/i],
    ] as [Buffer, RegExp][]) {
      const res = await upload(app, 'lim', body, 'image/png');
      assertClientError(res, 400, 'OV_IMAGE_TOO_LARGE');
      assert.match(res.json().message, words);
    }
    assert.equal(app.services.snapshots.list('lim').length, 3);
  });

  test('a header declaring 0x0, or a size that cannot be read, → 400 OV_SNAPSHOT_INVALID; nothing stored', async () => {
    const app = await makeApp();
    const zeroJpeg = Buffer.from(img.jpg);
    const sof = zeroJpeg.indexOf(Buffer.from([0xff, 0xc0]));
    zeroJpeg.writeUInt32BE(0, sof + 5);
    const zeroWebp = Buffer.from(img.webp);
    zeroWebp.writeUInt16LE(0, 26);
    zeroWebp.writeUInt16LE(0, 28);
    for (const [body, type] of [
      [pngHeader(0, 0), 'image/png'],
      [pngHeader(0x80000000, 0x80000000), 'image/png'],
      [pngHeader(0xffffffff, 1), 'image/png'],
      [zeroJpeg, 'image/jpeg'],
      [zeroWebp, 'image/webp'],
      [img.jpg.subarray(0, 20), 'image/jpeg'],
    ] as [Buffer, string][]) {
      assertClientError(await upload(app, 'zero', body, type), 400, 'OV_SNAPSHOT_INVALID');
    }
    assert.deepEqual(app.services.snapshots.list('zero'), []);
  });

  test('rate limit: with RATE_LIMIT_PER_MINUTE=3 the 4th upload → 429; reads are not limited', async () => {
    const app = await makeApp({ RATE_LIMIT_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i++) assert.equal((await upload(app, 'room', img.png, 'image/png')).statusCode, 201);
    assertClientError(await upload(app, 'room', img.png, 'image/png'), 429, 'OV_RATE_LIMITED');
    for (let i = 0; i < 5; i++) assert.equal((await app.inject({ method: 'GET', url: '/api/sessions/room/snapshots' })).statusCode, 200);
  });

  test('authorize: false → 403 OV_FORBIDDEN on all four routes, before anything is stored', async () => {
    const allowApp = await makeApp();
    const s = (await upload(allowApp, 'room', img.jpg)).json();
    const dataDir = allowApp.services.config.dataDir;
    await allowApp.close();

    const app = await makeApp({}, () => false, dataDir);
    assertClientError(await upload(app, 'room', img.png, 'image/png'), 403, 'OV_FORBIDDEN');
    assertClientError(await app.inject({ method: 'GET', url: '/api/sessions/room/snapshots' }), 403, 'OV_FORBIDDEN');
    assertClientError(await app.inject({ method: 'GET', url: s.url }), 403, 'OV_FORBIDDEN');
    assertClientError(await app.inject({ method: 'DELETE', url: s.url }), 403, 'OV_FORBIDDEN');
    assert.equal(app.services.snapshots.list('room').length, 1);
    assert.deepEqual((await readdir(path.join(dataDir, 'snapshots', 'room'))).sort(), [`${s.id}.jpg`, `${s.id}.json`]);

    // A hook that throws refuses too.
    const throwing = await makeApp(
      {},
      () => {
        throw new Error('boom');
      },
      dataDir,
    );
    assertClientError(await throwing.inject({ method: 'GET', url: s.url }), 403, 'OV_FORBIDDEN');
  });

  test('authorize sees the action and the resource of each route', async () => {
    const calls: [Action, Resource][] = [];
    const app = await makeApp({}, (_req, action, resource) => {
      calls.push([action, resource]);
      return true;
    });
    const s = (await upload(app, 'room-a', img.jpg)).json();
    await app.inject({ method: 'GET', url: '/api/sessions/room-a/snapshots' });
    await app.inject({ method: 'GET', url: s.url });
    await app.inject({ method: 'DELETE', url: s.url });
    await app.inject({ method: 'GET', url: '/api/snapshots/snap_AAAAAAAAAAAAAAAA' });
    assert.deepEqual(calls, [
      ['snapshot:create', { type: 'session', id: 'room-a', sessionId: 'room-a' }],
      ['snapshot:list', { type: 'session', id: 'room-a', sessionId: 'room-a' }],
      ['snapshot:read', { type: 'snapshot', id: s.id, sessionId: 'room-a' }],
      ['snapshot:delete', { type: 'snapshot', id: s.id, sessionId: 'room-a' }],
      ['snapshot:read', { type: 'snapshot', id: 'snap_AAAAAAAAAAAAAAAA', sessionId: undefined }],
    ]);
  });

  test('OpenAPI: the four routes are documented', async () => {
    const app = await makeApp();
    await app.ready();
    const spec = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(spec.paths['/api/sessions/{sessionId}/snapshots']).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(spec.paths['/api/snapshots/{snapshotId}']).sort(), ['delete', 'get']);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('SnapshotStore', () => {
  test('load() skips broken entries and removes what an interrupted save leaves', async () => {
    const dir = await mkdtemp(path.join(tmp, 'store-'));
    const store = new SnapshotStore({ dir, maxBytes: 1 << 20 });
    await store.load();
    const good = await store.save('room', img.jpg, { name: 'good', streamId: 'str_1' });
    const other = await store.save('room', img.png);
    const roomDir = path.join(dir, 'room');
    const meta = JSON.parse(await readFile(path.join(roomDir, `${other.id}.json`), 'utf8'));

    // Broken entries (kept on disk, but not listed):
    const put = (name: string, data: string | Buffer) => writeFile(path.join(roomDir, name), data);
    await put('snap_BadJson000000000.json', '{not json');
    await put('snap_BadJson000000000.png', img.png);
    await put('snap_NoImage000000000.json', JSON.stringify({ ...meta, id: 'snap_NoImage000000000' }));
    await put('snap_WrongSize0000000.json', JSON.stringify({ ...meta, id: 'snap_WrongSize0000000', size: 5 }));
    await put('snap_WrongSize0000000.png', img.png);
    await put('snap_WrongIdxxxxxxxxx.json', JSON.stringify(meta));
    await put('snap_WrongIdxxxxxxxxx.png', img.png);
    await put('snap_BadName000000000.json', JSON.stringify({ ...meta, id: 'snap_BadName000000000', name: 'a\u0000b' }));
    await put('snap_BadName000000000.png', img.png);
    await put('snap_BadType000000000.json', JSON.stringify({ ...meta, id: 'snap_BadType000000000', contentType: 'text/html' }));
    await put('snap_BadType000000000.png', img.png);
    await put('notes.txt', 'keep me');
    await mkdir(path.join(dir, 'bad.dir'));
    await writeFile(path.join(dir, 'bad.dir', `${other.id}.json`), JSON.stringify(meta));
    await writeFile(path.join(dir, 'stray-file'), 'x');
    // What a crash mid-save leaves: a temporary file, and an image whose metadata was never written.
    await put('.snap_Crash00000000000.jpg.0123456789abcdef.tmp', img.jpg.subarray(0, 10));
    await put('snap_Orphan0000000000.jpg', img.jpg);

    const reloaded = new SnapshotStore({ dir, maxBytes: 1 << 20 });
    await reloaded.load();
    assert.deepEqual(reloaded.list('room'), store.list('room'));
    assert.deepEqual(
      reloaded.list('room').map((s) => s.id),
      [other.id, good.id],
    );
    assert.equal(reloaded.get(good.id)?.snapshot.name, 'good');
    assert.equal(reloaded.get(good.id)?.file, path.join(roomDir, `${good.id}.jpg`));
    const left = await readdir(roomDir);
    assert.ok(!left.includes('.snap_Crash00000000000.jpg.0123456789abcdef.tmp'));
    assert.ok(!left.includes('snap_Orphan0000000000.jpg'));
    assert.ok(left.includes('notes.txt') && left.includes('snap_BadJson000000000.json') && left.includes('snap_BadJson000000000.png'));
  });

  test('save() re-checks its input; get()/delete() refuse ids outside the pattern; paths stay inside the folder', async () => {
    const dir = await mkdtemp(path.join(tmp, 'store-'));
    const store = new SnapshotStore({ dir, maxBytes: 4096 });
    await store.load();
    const reason = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        assert.ok(err instanceof SnapshotRejectedError, String(err));
        return err.reason;
      }
      return 'saved';
    };
    for (const s of ['', '..', '.', '../x', 'a/b', 'a\\b', '/abs', 'a'.repeat(65), 'room\0', 'ルーム'])
      assert.equal(await reason(store.save(s, img.png)), 'invalid-input', s);
    assert.equal(await reason(store.save('room', img.png, { streamId: '../x' })), 'invalid-input');
    assert.equal(await reason(store.save('room', img.png, { name: 'x'.repeat(101) })), 'invalid-input');
    assert.equal(await reason(store.save('room', img.png, { name: 'a\u0085b' })), 'invalid-input');
    assert.equal(await reason(store.save('room', Buffer.alloc(0))), 'empty');
    assert.equal(await reason(store.save('room', pngHeader(5, 5, 4097))), 'too-large');
    assert.equal(await reason(store.save('room', img.gif)), 'unsupported');
    assert.equal(await reason(store.save('room', pngHeader(0, 5))), 'unreadable');
    assert.equal(await reason(store.save('room', pngHeader(5, 5, 4096))), 'saved');
    for (const id of ['../room', 'snap_../../../../x', 'snap_AAAAAAAAAAAAAAA', '', 'x'.repeat(1000)]) {
      assert.equal(store.get(id), undefined);
      assert.equal(await store.delete(id), false);
    }
    assert.deepEqual(store.list('../room'), []);
    assert.equal(store.list('room').length, 1);
    assert.deepEqual(await readdir(dir), ['room']);
  });

  test('parallel deletes of one snapshot: one true, the rest false; files gone', async () => {
    const dir = await mkdtemp(path.join(tmp, 'store-'));
    const store = new SnapshotStore({ dir, maxBytes: 1 << 20 });
    await store.load();
    const s = await store.save('room', img.webp);
    const results = await Promise.all(Array.from({ length: 5 }, () => store.delete(s.id)));
    assert.deepEqual(results.filter(Boolean).length, 1);
    assert.deepEqual(await readdir(path.join(dir, 'room')), []);
    assert.equal(store.get(s.id), undefined);
  });
});
