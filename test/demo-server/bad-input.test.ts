// Bad input on every route of the reference server, over real HTTP, with a real embedded OpenVidu behind it:
// wrong types, missing and unknown fields, huge bodies, wrong content types, disguised files, hostile path ids,
// then a seeded fuzz loop. Every error must be a 4xx JSON `{statusCode, error, message, code}`, never a 5xx, and
// nothing that existed before must be lost.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../demo-server/src/app.js';
import { loadConfig } from '../../demo-server/src/config.js';
import { startEmbeddedOpenVidu, type EmbeddedOpenVidu } from '../../demo-server/embedded-openvidu/index.js';
import { testImage } from '../helpers/image-headers.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { registeredRoutes } from '../helpers/routes.js';
import { sleep } from '../helpers/until.js';

const SNAPSHOT_MAX = 256 * 1024;
const FUZZ_REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 600);
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 0x5eed1);
/** No request may take longer than this (OpenVidu is local and answers in milliseconds). */
const ANSWER_WITHIN_MS = 5000;

// ---------------------------------------------------------------------------------------------------------------
// Every route the app registers, with what bad input means for it. `app.printRoutes()` must list nothing else.

type Param = 'sessionId' | 'clipId' | 'snapshotId';
interface RouteSpec {
  method: string;
  url: string;
  param?: Param;
  /** What the route takes as a body. */
  body: 'json' | 'image' | 'none';
  /** A valid body for the route (JSON routes). */
  validBody?: unknown;
  /** Why unknown query fields are not refused (third-party UI, CORS preflight). */
  queryExempt?: string;
  /** A concrete URL for a route whose parameter is not an id (e.g. a file name). */
  example?: string;
}

const DOCS = 'Swagger UI (third-party static files; its query is not ours to validate)';
const ROUTES: RouteSpec[] = [
  { method: 'POST', url: '/api/sessions/:sessionId/token', param: 'sessionId', body: 'json', validBody: { name: 'Ann', role: 'subscriber' } },
  { method: 'GET', url: '/api/sessions/:sessionId/clips', param: 'sessionId', body: 'none' },
  { method: 'POST', url: '/api/sessions/:sessionId/clips', param: 'sessionId', body: 'json', validBody: { name: 'A clip' } },
  { method: 'POST', url: '/api/clips/:clipId/stop', param: 'clipId', body: 'none' },
  { method: 'GET', url: '/api/clips/:clipId', param: 'clipId', body: 'none' },
  { method: 'DELETE', url: '/api/clips/:clipId', param: 'clipId', body: 'none' },
  { method: 'GET', url: '/api/clips/:clipId/media', param: 'clipId', body: 'none' },
  { method: 'GET', url: '/api/clips/:clipId/thumbnail', param: 'clipId', body: 'none' },
  { method: 'PATCH', url: '/api/clips/:clipId', param: 'clipId', body: 'json', validBody: { name: 'Renamed' } },
  { method: 'POST', url: '/api/clips/:clipId/trim', param: 'clipId', body: 'json', validBody: { start: 0, end: 0.6 } },
  { method: 'DELETE', url: '/api/clips/:clipId/trim', param: 'clipId', body: 'none' },
  { method: 'POST', url: '/api/clips/:clipId/share', param: 'clipId', body: 'json', validBody: { expiresIn: 3600 } },
  { method: 'DELETE', url: '/api/clips/:clipId/share', param: 'clipId', body: 'none' },
  {
    method: 'GET',
    url: '/watch/:clipId',
    param: 'clipId',
    body: 'none',
    queryExempt: 'share page: tolerates tracking fields (utm_*, fbclid…); exp and sig are checked',
  },
  { method: 'GET', url: '/watch/:clipId/media', param: 'clipId', body: 'none' },
  { method: 'GET', url: '/watch/:clipId/thumbnail', param: 'clipId', body: 'none' },
  { method: 'GET', url: '/api/sessions/:sessionId/events', param: 'sessionId', body: 'none' },
  { method: 'GET', url: '/api/sessions/:sessionId/replay', param: 'sessionId', body: 'none' },
  { method: 'POST', url: '/api/sessions/:sessionId/replay', param: 'sessionId', body: 'json', validBody: {} },
  { method: 'DELETE', url: '/api/sessions/:sessionId/replay', param: 'sessionId', body: 'none' },
  { method: 'POST', url: '/api/sessions/:sessionId/snapshots', param: 'sessionId', body: 'image' },
  { method: 'GET', url: '/api/sessions/:sessionId/snapshots', param: 'sessionId', body: 'none' },
  { method: 'GET', url: '/api/snapshots/:snapshotId', param: 'snapshotId', body: 'none' },
  { method: 'DELETE', url: '/api/snapshots/:snapshotId', param: 'snapshotId', body: 'none' },
  { method: 'POST', url: '/api/webhooks/openvidu', body: 'json', validBody: { event: 'participantJoined', sessionId: 'room', timestamp: 1 } },
  { method: 'GET', url: '/api/health', body: 'none' },
  { method: 'GET', url: '/api/openapi.json', body: 'none' },
  { method: 'GET', url: '/api/docs', body: 'none', queryExempt: DOCS },
  { method: 'GET', url: '/api/docs/', body: 'none', queryExempt: DOCS },
  { method: 'GET', url: '/api/docs/static/index.html', body: 'none', queryExempt: DOCS },
  { method: 'GET', url: '/api/docs/static/swagger-initializer.js', body: 'none', queryExempt: DOCS },
  { method: 'GET', url: '/api/docs/static/*', body: 'none', queryExempt: DOCS },
  { method: 'GET', url: '/api/docs/json', body: 'none', queryExempt: DOCS },
  { method: 'GET', url: '/api/docs/yaml', body: 'none', queryExempt: DOCS },
  { method: 'OPTIONS', url: '*', body: 'none', queryExempt: 'CORS preflight catch-all' },
  { method: 'GET', url: '/', body: 'none', queryExempt: 'page: tolerates tracking fields a CMS or share link adds (its own fields are checked)' },
  { method: 'GET', url: '/embed', body: 'none', queryExempt: 'page: tolerates tracking fields a CMS or share link adds (its own fields are checked)' },
  { method: 'GET', url: '/demo/:file', body: 'none', example: '/demo/demo.js' },
  { method: 'GET', url: '/ov-live-elements.js', body: 'none' },
  { method: 'GET', url: '/ov-live-elements.js.map', body: 'none' },
  { method: 'GET', url: '/ov-live-elements/:file', body: 'none', example: '/ov-live-elements/elements-AAAAAAAA.js' },
];

// ---------------------------------------------------------------------------------------------------------------
// HTTP: node:http with a keep-alive agent, so paths go out byte for byte and sockets are reused between requests.

let app: FastifyInstance;
let ov: EmbeddedOpenVidu;
let port: number;
let dataDir: string;
let agent: http.Agent;
const participants: RpcClient[] = [];

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json?: any;
  ms: number;
}

interface Req {
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body in two chunks without Content-Length. */
  chunked?: boolean;
  timeoutMs?: number;
}

function request(method: string, pathname: string, r: Req = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const timeoutMs = r.timeoutMs ?? ANSWER_WITHIN_MS;
    let timer: NodeJS.Timeout;
    // Framing is explicit: node:http sends bodies of GET/DELETE/OPTIONS without Content-Length otherwise.
    const headers: Record<string, string | number> = { ...r.headers };
    const chunked = r.chunked && r.body !== undefined && r.body.length > 1;
    if (r.body !== undefined && !chunked) headers['content-length'] = Buffer.byteLength(r.body);
    if (chunked) headers['transfer-encoding'] = 'chunked';
    const req = http.request({ host: '127.0.0.1', port, method, path: pathname, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      const done = () => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks);
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString('utf8'), json, ms: performance.now() - t0 });
      };
      if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        // A live stream: the first bytes are enough.
        res.once('data', (c: Buffer) => {
          chunks.push(c);
          res.destroy();
          done();
        });
        return;
      }
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', done);
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    timer = setTimeout(() => req.destroy(new Error(`${method} ${pathname}: no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (chunked) {
      const half = Math.floor(r.body!.length / 2);
      req.write(r.body!.slice(0, half));
      req.end(r.body!.slice(half));
    } else req.end(r.body);
  });
}

const json = (method: string, pathname: string, body: unknown, headers: Record<string, string> = {}) =>
  request(method, pathname, { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** Raw bytes over a fresh socket, for what node:http refuses to send (lying Content-Length, raw UTF-8 in the path). */
function rawRequest(data: string | Buffer, timeoutMs = ANSWER_WITHIN_MS): Promise<{ status: number; head: string; body: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const finish = () => {
      const s = buf.toString('latin1');
      const end = s.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const head = s.slice(0, end);
      const len = /\r\ncontent-length: *(\d+)/i.exec(head);
      const body = buf.subarray(end + 4);
      if (len && body.length < Number(len[1])) return false;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(head.split(' ')[1]), head, body: body.toString('utf8'), ms: performance.now() - t0 });
      return true;
    };
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`raw request: no full answer within ${timeoutMs} ms; got ${JSON.stringify(buf.toString('latin1').slice(0, 200))}`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      finish();
    });
    socket.on('end', () => {
      if (!finish()) {
        clearTimeout(timer);
        reject(new Error(`raw request: connection closed; got ${JSON.stringify(buf.toString('latin1').slice(0, 200))}`));
      }
    });
    socket.on('error', () => {
      /* the server may close while we write; what it answered is in buf */
    });
    socket.write(data);
  });
}

/** Error codes seen that are not the server's own `OV_…` codes (Fastify's `FST_…` leaking through), by code. */
const foreignCodes = new Map<string, string>();

/** A 4xx answer in the error format of the contract: `{statusCode, error, message, code}`, code a non-empty string. */
function assertErrorShape(res: Res, what: string) {
  const ctx = `${what} → ${res.status} ${res.text.slice(0, 300)}`;
  assert.match(String(res.headers['content-type']), /^application\/json/, `JSON error: ${ctx}`);
  assert.ok(res.json && typeof res.json === 'object', `JSON body: ${ctx}`);
  assert.deepEqual(Object.keys(res.json).sort(), ['code', 'error', 'message', 'statusCode'], `error shape: ${ctx}`);
  assert.equal(res.json.statusCode, res.status, `statusCode field: ${ctx}`);
  assert.ok(typeof res.json.code === 'string' && res.json.code.length > 0, `code: ${ctx}`);
  if (!/^OV_[A-Z_]+$/.test(res.json.code) && !foreignCodes.has(res.json.code)) foreignCodes.set(res.json.code, ctx);
}

/** A 4xx answer in the error format of the contract, with one of the server's own `OV_` codes. */
function assertApiError(res: Res, what: string, status?: number | number[], code?: string | RegExp) {
  const ctx = `${what} → ${res.status} ${res.text.slice(0, 300)}`;
  if (status !== undefined) assert.ok(([] as number[]).concat(status).includes(res.status), `expected ${status}: ${ctx}`);
  else assert.ok(res.status >= 400 && res.status < 500, `expected a 4xx: ${ctx}`);
  assert.match(String(res.headers['content-type']), /^application\/json/, `JSON error: ${ctx}`);
  assert.ok(res.json && typeof res.json === 'object', `JSON body: ${ctx}`);
  assert.deepEqual(Object.keys(res.json).sort(), ['code', 'error', 'message', 'statusCode'], `error shape: ${ctx}`);
  assert.equal(res.json.statusCode, res.status, `statusCode field: ${ctx}`);
  assert.match(res.json.code, /^OV_[A-Z_]+$/, `stable OV_ code: ${ctx}`);
  assert.equal(typeof res.json.message, 'string');
  assert.equal(typeof res.json.error, 'string');
  if (code !== undefined) {
    if (typeof code === 'string') assert.equal(res.json.code, code, ctx);
    else assert.match(res.json.code, code, ctx);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What exists before the bad input, and must still exist after it.

const images: Record<'jpeg' | 'png' | 'webp', Buffer> = {} as never;
const kept: { snapshots: { id: string; bytes: Buffer }[]; clip?: { id: string; size: number } } = { snapshots: [] };
const KEEP_ROOM = 'keep-room';
const CLIP_ROOM = 'clip-room';

async function makeImage(ext: 'jpg' | 'png' | 'webp', dir: string): Promise<Buffer> {
  return testImage(path.join(dir, `img.${ext}`), '64x48');
}

async function waitReady(clipId: string, timeoutMs = 20_000) {
  const t0 = Date.now();
  for (;;) {
    const r = await request('GET', `/api/clips/${encodeURIComponent(clipId)}`);
    assert.equal(r.status, 200, r.text);
    if (r.json.status === 'ready') return r.json;
    assert.notEqual(r.json.status, 'failed', r.text);
    assert.ok(Date.now() - t0 < timeoutMs, `clip ${clipId} not ready within ${timeoutMs} ms: ${r.text}`);
    await sleep(150);
  }
}

/** A media-less participant, so that OpenVidu lets a clip start in the room. */
async function joinRoom(room: string) {
  const tok = await json('POST', `/api/sessions/${room}/token`, { name: 'keeper' });
  assert.equal(tok.status, 201, tok.text);
  const c = await RpcClient.connect(tok.json.token);
  participants.push(c);
  await c.join(tok.json.token);
}

describe('bad input on every route', () => {
  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ov-bad-input-'));
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    ov = await startEmbeddedOpenVidu({ port: 0, secret: 'BAD_INPUT_SECRET', recordingPath: path.join(dataDir, 'recordings'), logger: quiet });
    const config = loadConfig({
      DATA_DIR: dataDir,
      OPENVIDU_URL: ov.url,
      OPENVIDU_SECRET: ov.secret,
      SNAPSHOT_MAX_BYTES: String(SNAPSHOT_MAX),
      RATE_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: 'silent',
    });
    app = await buildApp({ config, logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as net.AddressInfo).port;
    agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

    const [jpeg, png, webp] = await Promise.all([makeImage('jpg', dataDir), makeImage('png', dataDir), makeImage('webp', dataDir)]);
    Object.assign(images, { jpeg, png, webp });
    for (const [type, bytes] of [
      ['image/jpeg', jpeg],
      ['image/png', png],
      ['image/webp', webp],
    ] as const) {
      const r = await request('POST', `/api/sessions/${KEEP_ROOM}/snapshots?name=${encodeURIComponent('kept ' + type)}`, {
        headers: { 'content-type': type },
        body: bytes,
      });
      assert.equal(r.status, 201, r.text);
      kept.snapshots.push({ id: r.json.id, bytes });
    }

    // A ready clip: a participant without media is enough for the embedded recorder (it records filler).
    await joinRoom(CLIP_ROOM);
    const started = await json('POST', `/api/sessions/${CLIP_ROOM}/clips`, { name: 'kept clip' });
    assert.equal(started.status, 201, started.text);
    await sleep(1000);
    const stopped = await request('POST', `/api/clips/${encodeURIComponent(started.json.id)}/stop`);
    assert.equal(stopped.status, 200, stopped.text);
    const ready = await waitReady(started.json.id);
    kept.clip = { id: ready.id, size: ready.size };
  });

  after(async () => {
    for (const c of participants) c.close();
    agent?.destroy();
    await app?.close();
    await ov?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A valid value for each path parameter: things that exist. */
  const validParam = (p: Param) => (p === 'sessionId' ? KEEP_ROOM : p === 'clipId' ? kept.clip!.id : kept.snapshots[0].id);
  const fill = (spec: RouteSpec, value?: string) =>
    spec.param ? spec.url.replace(`:${spec.param}`, value ?? validParam(spec.param)) : (spec.example ?? spec.url.replace('*', 'static/swagger-ui.css'));

  it('the route table covers every route the app registers (a new route needs bad-input cases here)', () => {
    const registered = registeredRoutes(app);
    assert.ok(registered.length >= 20, `parsed ${registered.length} routes from printRoutes:\n${app.printRoutes()}`);
    for (const r of registered) {
      const [method, url] = r.split(' ');
      const known = app.hasRoute({ method: method as 'GET', url }) || app.hasRoute({ method: method as 'GET', url: `/${url}` });
      assert.ok(known, `the printRoutes parser is right about ${r}`);
    }
    const covered = new Set(ROUTES.flatMap((s) => (s.method === 'GET' ? [`GET ${s.url}`, `HEAD ${s.url}`] : [`${s.method} ${s.url}`])));
    const uncovered = registered.filter((r) => !covered.has(r));
    assert.deepEqual(uncovered, [], 'routes without bad-input coverage: add them to ROUTES');
    const missing = ROUTES.filter((s) => !registered.includes(`${s.method} ${s.url}`)).map((s) => `${s.method} ${s.url}`);
    assert.deepEqual(missing, [], 'routes of the table that the app no longer registers');
  });

  // Path segments as they go on the wire. None of them is a valid id of any kind.
  const HOSTILE_IDS = [
    '..',
    '.',
    '..%2f..%2fetc%2fpasswd',
    '%2e%2e%2f',
    '%2e%2e',
    '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    '..%5c..%5cwindows%5cwin.ini',
    '%252e%252e%252f',
    '%c0%ae%c0%ae%c0%af',
    '%00',
    'room%00',
    '%00.jpg',
    'room%0a',
    'room%0d%0aSet-Cookie:%20pwned=1',
    '%01',
    '%1f',
    '%7f',
    '%c2%85',
    '%e2%80%ae',
    '%ef%bb%bf',
    'caf%C3%A9',
    '%ED%95%9C%EA%B8%80',
    '%F0%9F%98%80',
    '%F0%9F%91%A8%E2%80%8D%F0%9F%91%A9',
    'a'.repeat(65),
    'a'.repeat(2000),
    `snap_${'A'.repeat(60)}`,
    '%',
    '%zz',
    '%ff',
    '%C3',
    'a%20b',
    '%20',
    'a;b',
    'a%3Fb',
    'a%23b',
    'a%2Fb',
    '~',
    '~1',
    'a~',
    'a~b',
    'a~1234567',
    '$(id)',
    '%24%7Bjndi%3Aldap%3A%2F%2Fx%7D',
    '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
    "a'--",
    'a%22b',
    'a%5Cb',
    'a*',
  ];

  it('hostile path ids (traversal, NUL, control characters, unicode, emoji, 65+ chars, bad escapes) → 4xx JSON with an OV_ code', async () => {
    let n = 0;
    for (const spec of ROUTES.filter((s) => s.param)) {
      for (const id of HOSTILE_IDS) {
        const url = fill(spec, id);
        const body = spec.body === 'json' ? JSON.stringify(spec.validBody) : spec.body === 'image' ? images.jpeg : undefined;
        const headers: Record<string, string> =
          spec.body === 'json' ? { 'content-type': 'application/json' } : spec.body === 'image' ? { 'content-type': 'image/jpeg' } : {};
        const res = await request(spec.method, url, { headers, body });
        assertApiError(res, `${spec.method} ${url}`);
        assert.equal(res.headers['set-cookie'], undefined, `no header injection: ${url}`);
        n++;
        if (spec.method === 'GET') {
          const head = await request('HEAD', url);
          assert.ok(head.status >= 400 && head.status < 500, `HEAD ${url} → ${head.status}`);
          n++;
        }
      }
    }
    // Valid-looking ids with special meanings elsewhere: never a 5xx.
    for (const id of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'null', 'undefined', '-', '_', 'a'.repeat(64)]) {
      for (const spec of ROUTES.filter((s) => s.param && s.method === 'GET')) {
        const res = await request(spec.method, fill(spec, id));
        assert.ok(res.status < 500, `${spec.method} ${fill(spec, id)} → ${res.status} ${res.text.slice(0, 200)}`);
        if (res.status >= 400) assertApiError(res, fill(spec, id));
        n++;
      }
      const tok = await json('POST', `/api/sessions/${id}/token`, {});
      assert.ok(tok.status === 201 || tok.status === 400, `token for ${id}: ${tok.status} ${tok.text}`);
    }
    // Traversal that leaves the route: no route, and never a file from outside.
    for (const url of [
      '/api/clips/../../etc/passwd',
      '/api/snapshots/../../../package.json',
      '/api/sessions/../../package.json/token',
      '/api/docs/static/../../../../package.json',
      '/api/docs/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/api/docs/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
      '/api/docs/static/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/api/docs/%00',
      '/api/docs/static/%F0%9F%98%80',
      '/api/docs/' + 'a'.repeat(3000),
      '//etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
    ]) {
      const res = await request('GET', url);
      assertApiError(res, `GET ${url}`);
      assert.doesNotMatch(res.text, /ov-live-elements|root:x:0/, `no file from outside: ${url}`);
      n++;
    }
    console.log(`    ${n} hostile-id requests, all 4xx JSON`);
  });

  // Raw UTF-8 and control bytes in the request line never reach Fastify: Node's HTTP parser refuses them and Fastify's
  // default clientErrorHandler answers. What matters here is a prompt 4xx JSON error and no hang, no 5xx.
  const RAW_IDS = ['café', '한글', '😀', 'a\u202eb', 'a\u0001b', 'a\u0000b', 'a\u007fb', 'a\tb'];
  const rawGet = (id: string) => rawRequest(Buffer.from(`GET /api/clips/${id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 'utf8'));

  it('raw bytes in the request line (UTF-8, emoji, control characters) → a prompt 400 JSON', async () => {
    for (const id of RAW_IDS) {
      const res = await rawGet(id);
      assert.equal(res.status, 400, `raw ${JSON.stringify(id)} → ${res.head}`);
      assert.match(res.head, /content-type: application\/json/i);
      assert.equal(JSON.parse(res.body).statusCode, 400);
    }
  });

  it('raw bytes in the request line → the error carries an OV_ code like every other error', async () => {
    for (const id of RAW_IDS) {
      const res = await rawGet(id);
      assert.match(JSON.parse(res.body).code ?? '', /^OV_/, `raw ${JSON.stringify(id)}: ${res.body}`);
    }
  });

  it('JSON bodies: wrong types, missing fields, unknown fields, non-objects → 400 OV_VALIDATION_FAILED', async () => {
    const cases: [string, unknown][] = [
      // token
      ['/api/sessions/r1/token', { name: {} }],
      ['/api/sessions/r1/token', { name: ['a', 'b'] }],
      ['/api/sessions/r1/token', { name: 'x'.repeat(101) }],
      ['/api/sessions/r1/token', { role: 'admin' }],
      ['/api/sessions/r1/token', { role: 'MODERATOR' }],
      ['/api/sessions/r1/token', { role: 1 }],
      ['/api/sessions/r1/token', { role: null, name: {} }],
      ['/api/sessions/r1/token', { name: 'Ann', admin: true }],
      ['/api/sessions/r1/token', { name: 'Ann', data: '{"role":"MODERATOR"}' }],
      ['/api/sessions/r1/token', { NAME: 'Ann' }],
      // clip start
      ['/api/sessions/r1/clips', { name: '' }],
      ['/api/sessions/r1/clips', { name: {} }],
      ['/api/sessions/r1/clips', { name: 'x'.repeat(101) }],
      ['/api/sessions/r1/clips', { name: 'ok', outputMode: 'INDIVIDUAL' }],
      ['/api/sessions/r1/clips', { resolution: '7680x4320' }],
      // a name goes through the rename rules at start too: a clip cut from a replay buffer stores it as sent
      ['/api/sessions/r1/clips', { name: 'Ann\u202Egnp.exe' }],
      ['/api/sessions/r1/clips', { name: 'two\nlines' }],
      ['/api/sessions/r1/clips', { name: '   ' }],
      ['/api/sessions/r1/clips', { replaySeconds: 0 }],
      ['/api/sessions/r1/clips', { replaySeconds: 601 }],
      ['/api/sessions/r1/clips', { replaySeconds: '30' }],
      ['/api/sessions/r1/clips', { replaySeconds: 30, start: 0 }],
      // webhook: required fields, types
      ['/api/webhooks/openvidu', {}],
      ['/api/webhooks/openvidu', { event: 'recordingStatusChanged' }],
      ['/api/webhooks/openvidu', { sessionId: 'room' }],
      ['/api/webhooks/openvidu', { event: {}, sessionId: 'room' }],
      ['/api/webhooks/openvidu', { event: 'x', sessionId: ['a', 'b'] }],
      ['/api/webhooks/openvidu', { event: 'x', sessionId: 'room', timestamp: 'yesterday' }],
      ['/api/webhooks/openvidu', { event: 'x', sessionId: 'room', hasAudio: 'maybe' }],
      ['/api/webhooks/openvidu', { event: 'x', sessionId: 'room', size: {} }],
      ['/api/webhooks/openvidu', { event: 'x'.repeat(65), sessionId: 'room' }],
      ['/api/webhooks/openvidu', { event: 'recordingStatusChanged', sessionId: 'room', id: 'x'.repeat(257), status: 'ready' }],
    ];
    for (const url of ['/api/sessions/r1/token', '/api/sessions/r1/clips', '/api/webhooks/openvidu']) {
      for (const v of [1, 'text', [], [{}], true]) cases.push([url, v]);
    }
    cases.push(['/api/webhooks/openvidu', null]);
    for (const [url, body] of cases) {
      const res = await json('POST', url, body);
      assertApiError(res, `POST ${url} ${JSON.stringify(body).slice(0, 80)}`, 400, 'OV_VALIDATION_FAILED');
    }
    // Malformed JSON and prototype pollution attempts: 400 with a code, and nothing polluted.
    for (const url of ['/api/sessions/r1/token', '/api/sessions/r1/clips', '/api/webhooks/openvidu']) {
      for (const raw of [
        '{bad',
        '{"name":',
        ' ',
        '\u0000',
        '{"__proto__":{"polluted":1}}',
        '{"constructor":{"prototype":{"polluted":1}}}',
        '['.repeat(20_000) + ']'.repeat(20_000),
      ]) {
        const res = await request('POST', url, { headers: { 'content-type': 'application/json' }, body: raw });
        assertApiError(res, `POST ${url} ${JSON.stringify(raw.slice(0, 30))}`, 400);
      }
    }
    assert.equal(({} as { polluted?: number }).polluted, undefined, 'Object.prototype untouched');
    // The webhook receiver takes what OpenVidu sends beyond the fields it reads (by design): accepted.
    const extra = await json('POST', '/api/webhooks/openvidu', { event: 'participantJoined', sessionId: 'room', participantId: 'con_x', location: 'here' });
    assert.equal(extra.status, 200, extra.text);
  });

  it('clip edits: bad names, ranges and lifetimes → 400 OV_VALIDATION_FAILED; the clip keeps its name, its media and no trim', async () => {
    const id = encodeURIComponent(kept.clip!.id);
    const before = (await request('GET', `/api/clips/${id}`)).json;
    const names: unknown[] = [
      '',
      '   ',
      'x'.repeat(101),
      '한'.repeat(101),
      '😀'.repeat(101),
      'a\u0000b',
      'a\u0007b',
      'line\nbreak',
      'tab\there',
      'a\u007fb',
      'a\u0085b',
      'evil\u202egnp.exe',
      'a\u202ab',
      'a\u2066b',
      'a\u2069b',
      12,
      null,
      true,
      ['a'],
      { name: 'a' },
    ];
    for (const name of names) {
      const res = await json('PATCH', `/api/clips/${id}`, { name });
      assertApiError(res, `rename to ${JSON.stringify(name)}`, 400, 'OV_VALIDATION_FAILED');
    }
    for (const body of [{}, { name: 'ok', extra: 1 }, { NAME: 'ok' }, [], 'name'])
      assertApiError(await json('PATCH', `/api/clips/${id}`, body), `rename body ${JSON.stringify(body)}`, 400, 'OV_VALIDATION_FAILED');

    const d = before.duration as number;
    const ranges: unknown[] = [
      { start: -1, end: 0.8 },
      { start: 0.8, end: 0.2 },
      { start: 0.5, end: 0.5 },
      { start: 0, end: 0.2 }, // shorter than half a second
      { start: 0, end: d + 5 },
      { start: d + 1, end: d + 2 },
      { start: 0, end: 1e308 },
      { start: '0', end: '1' },
      { start: 0, end: null },
      { start: null, end: 1 },
      { start: 0 },
      { end: 1 },
      { start: 0, end: 1, extra: true },
      { start: [0], end: [1] },
      { start: true, end: 1 },
    ];
    for (const r of ranges) assertApiError(await json('POST', `/api/clips/${id}/trim`, r), `trim ${JSON.stringify(r)}`, 400, 'OV_VALIDATION_FAILED');
    // NaN and Infinity are not JSON: as raw text they are malformed bodies.
    for (const raw of ['{"start":NaN,"end":1}', '{"start":0,"end":Infinity}', '{"start":0,"end":-Infinity}']) {
      const res = await request('POST', `/api/clips/${id}/trim`, { headers: { 'content-type': 'application/json' }, body: raw });
      assertApiError(res, `trim ${raw}`, 400);
    }
    for (const expiresIn of [0, -1, 59, 1e12, 3600.5, '3600', null, true, [3600], {}])
      assertApiError(await json('POST', `/api/clips/${id}/share`, { expiresIn }), `share for ${JSON.stringify(expiresIn)}`, 400, 'OV_VALIDATION_FAILED');

    // The elements' cache buster on media and thumbnail URLs: digits only.
    for (const kind of ['media', 'thumbnail']) {
      assert.equal((await request('GET', `/api/clips/${id}/${kind}?v=1765000000000`)).status, 200, `${kind}?v=<updatedAt>`);
      for (const v of ['abc', '1e3', '-1', '1'.repeat(17), '1&v=2'])
        assertApiError(await request('GET', `/api/clips/${id}/${kind}?v=${v}`), `${kind}?v=${v}`, 400, 'OV_VALIDATION_FAILED');
    }

    const after = (await request('GET', `/api/clips/${id}`)).json;
    assert.equal(after.name, before.name, 'name kept');
    assert.equal(after.trim, undefined, 'not trimmed');
    assert.equal(after.duration, before.duration);
    const media = await request('GET', `/api/clips/${id}/media`);
    assert.equal(media.status, 200);
    assert.equal(media.body.length, kept.clip!.size, 'the media is the whole original');
  });

  it('unknown or ill-typed query fields → 400 OV_VALIDATION_FAILED on every route of ours', async () => {
    for (const spec of ROUTES.filter((s) => !s.queryExempt)) {
      const url = fill(spec);
      const body = spec.body === 'json' ? JSON.stringify(spec.validBody) : spec.body === 'image' ? images.png : undefined;
      const headers: Record<string, string> =
        spec.body === 'json' ? { 'content-type': 'application/json' } : spec.body === 'image' ? { 'content-type': 'image/png' } : {};
      for (const q of ['unknown=1', 'admin=true', '__proto__=x', 'constructor[prototype][x]=1', 'name=x&unknown=1']) {
        // Destructive routes get ids that do not exist: the query must be refused before anything is looked up.
        const target = spec.method === 'DELETE' ? fill(spec, spec.param === 'snapshotId' ? 'snap_AAAAAAAAAAAAAAAA' : 'no-such-clip') : url;
        const res = await request(spec.method, `${target}?${q}`, { headers, body });
        assertApiError(res, `${spec.method} ${target}?${q}`, 400, 'OV_VALIDATION_FAILED');
      }
    }
    const typed: [string, string][] = [
      ['GET', `/api/sessions/${KEEP_ROOM}/events?lastEventId=abc`],
      ['GET', `/api/sessions/${KEEP_ROOM}/events?lastEventId=${'9'.repeat(21)}`],
      ['GET', `/api/sessions/${KEEP_ROOM}/events?lastEventId=1&lastEventId=2`],
      ['POST', `/api/sessions/${KEEP_ROOM}/snapshots?name=a%01b`],
      ['POST', `/api/sessions/${KEEP_ROOM}/snapshots?name=a%0Ab`],
      ['POST', `/api/sessions/${KEEP_ROOM}/snapshots?name=a%C2%85b`],
      ['POST', `/api/sessions/${KEEP_ROOM}/snapshots?name=${'x'.repeat(101)}`],
      ['POST', `/api/sessions/${KEEP_ROOM}/snapshots?name=a&name=b`],
      ['POST', `/api/sessions/${KEEP_ROOM}/snapshots?streamId=..%2F..%2Fx`],
      ['POST', `/api/sessions/${KEEP_ROOM}/snapshots?streamId=${'s'.repeat(129)}`],
      ['POST', `/api/sessions/${KEEP_ROOM}/snapshots?streamId=a%20b`],
    ];
    const before = (await request('GET', `/api/sessions/${KEEP_ROOM}/snapshots`)).json.snapshots.length;
    for (const [method, url] of typed) {
      const res = await request(method, url, method === 'POST' ? { headers: { 'content-type': 'image/jpeg' }, body: images.jpeg } : {});
      assertApiError(res, `${method} ${url}`, 400, 'OV_VALIDATION_FAILED');
    }
    const res = await request('GET', `/api/sessions/${KEEP_ROOM}/events`, { headers: { 'last-event-id': '1'.repeat(41) } });
    assertApiError(res, 'Last-Event-ID of 41 characters', 400, 'OV_VALIDATION_FAILED');
    assert.equal((await request('GET', `/api/sessions/${KEEP_ROOM}/snapshots`)).json.snapshots.length, before, 'refused uploads are not stored');
  });

  it(
    'huge bodies → 413 OV_BODY_TOO_LARGE (JSON routes) and OV_SNAPSHOT_TOO_LARGE (snapshot upload), also chunked ' + 'and with a lying Content-Length',
    async () => {
      const bigJson = JSON.stringify({ name: 'x'.repeat(70 * 1024) });
      const jsonRoutes = ROUTES.filter((s) => s.method === 'POST' || s.method === 'PATCH' || s.method === 'DELETE').filter((s) => s.body !== 'image');
      for (const spec of jsonRoutes) {
        const url = spec.method === 'DELETE' ? fill(spec, spec.param === 'snapshotId' ? 'snap_AAAAAAAAAAAAAAAA' : 'no-such-clip') : fill(spec);
        for (const chunked of [false, true]) {
          const res = await request(spec.method, url, { headers: { 'content-type': 'application/json' }, body: bigJson, chunked });
          assertApiError(res, `${spec.method} ${url} 70 KiB${chunked ? ' chunked' : ''}`, 413, 'OV_BODY_TOO_LARGE');
        }
      }
      const bigImage = Buffer.concat([images.jpeg, Buffer.alloc(SNAPSHOT_MAX)]);
      for (const chunked of [false, true]) {
        const res = await request('POST', `/api/sessions/${KEEP_ROOM}/snapshots`, { headers: { 'content-type': 'image/jpeg' }, body: bigImage, chunked });
        assertApiError(res, `snapshot of ${bigImage.length} bytes${chunked ? ' chunked' : ''}`, 413, 'OV_SNAPSHOT_TOO_LARGE');
      }
      // A Content-Length of 10 GB with no body behind it: refused at once, without waiting for bytes that never come.
      for (const [url, type, code] of [
        [`/api/sessions/${KEEP_ROOM}/snapshots`, 'image/jpeg', 'OV_SNAPSHOT_TOO_LARGE'],
        ['/api/sessions/r1/token', 'application/json', 'OV_BODY_TOO_LARGE'],
      ]) {
        const res = await rawRequest(`POST ${url} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: 10000000000\r\n\r\n${'{'}`);
        assert.equal(res.status, 413, res.head);
        assert.equal(JSON.parse(res.body).code, code);
        assert.ok(res.ms < 2000, `answered in ${res.ms} ms`);
      }
    },
  );

  it('wrong content types → 415 (text/plain JSON, multipart, forms, XML on JSON routes; anything but an image on the upload)', async () => {
    const body = JSON.stringify({ name: 'Ann' });
    for (const spec of ROUTES.filter((s) => s.body === 'json')) {
      for (const type of [
        'text/plain',
        'text/plain; charset=utf-8',
        'multipart/form-data; boundary=xyz',
        'application/x-www-form-urlencoded',
        'application/xml',
        'image/jpeg',
        'application/octet-stream',
        'text/html',
        'application/javascript',
      ]) {
        const payload = type.startsWith('multipart')
          ? `--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\nAnn\r\n--xyz--\r\n`
          : type.includes('form-urlencoded')
            ? 'name=Ann'
            : body;
        const res = await request(spec.method, fill(spec), { headers: { 'content-type': type }, body: payload });
        assertApiError(res, `${spec.method} ${spec.url} as ${type}`, 415, 'OV_UNSUPPORTED_MEDIA_TYPE');
      }
      // A body without any Content-Type.
      const res = await request(spec.method, fill(spec), { body });
      assertApiError(res, `${spec.method} ${spec.url} without Content-Type`, 415);
    }
    const before = (await request('GET', `/api/sessions/${KEEP_ROOM}/snapshots`)).json.snapshots.length;
    for (const type of [
      'application/json',
      'text/plain',
      'multipart/form-data; boundary=xyz',
      'application/x-www-form-urlencoded',
      'image/gif',
      'image/svg+xml',
      'text/html',
      'video/mp4',
    ]) {
      const payload = type.startsWith('multipart')
        ? Buffer.concat([
            Buffer.from('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'),
            images.jpeg,
            Buffer.from('\r\n--xyz--\r\n'),
          ])
        : images.jpeg;
      const res = await request('POST', `/api/sessions/${KEEP_ROOM}/snapshots`, { headers: { 'content-type': type }, body: payload });
      assertApiError(res, `snapshot upload as ${type}`, 415, 'OV_SNAPSHOT_UNSUPPORTED');
    }
    const noType = await request('POST', `/api/sessions/${KEEP_ROOM}/snapshots`, { body: images.jpeg });
    assertApiError(noType, 'snapshot upload without Content-Type', 415);
    assert.equal((await request('GET', `/api/sessions/${KEEP_ROOM}/snapshots`)).json.snapshots.length, before, 'nothing stored');
  });

  it('disguised files on the snapshot upload → 415 OV_SNAPSHOT_UNSUPPORTED (magic bytes decide), broken images → 400; nothing stored', async () => {
    const files: [string, Buffer][] = [
      ['GIF', Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(64, 1)])],
      ['HTML', Buffer.from('<!doctype html><html><script>alert(document.cookie)</script></html>')],
      ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>')],
      ['PDF', Buffer.from('%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF')],
      ['ZIP', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(100)])],
      ['ELF', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(100)])],
      ['EXE', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100)])],
      ['BMP', Buffer.concat([Buffer.from('BM'), Buffer.alloc(100)])],
      ['MP4', Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.alloc(100)])],
      ['RIFF WAVE', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt '), Buffer.alloc(40)])],
      ['JPEG magic cut to 2 bytes', Buffer.from([0xff, 0xd8])],
      ['PNG signature cut short', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a])],
      ['text named .jpg', Buffer.from('just some text, with a .jpg name')],
      ['UTF-16 BOM then JPEG', Buffer.concat([Buffer.from([0xfe, 0xff]), images.jpeg])],
      ['whitespace then PNG', Buffer.concat([Buffer.from('  \n'), images.png])],
    ];
    const broken: [string, Buffer][] = [
      ['JPEG magic + HTML', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from('<html><script>alert(1)</script></html>')])],
      ['PNG signature + HTML', Buffer.concat([images.png.subarray(0, 8), Buffer.from('<html><script>alert(1)</script></html>')])],
      ['RIFF WEBP + garbage', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 '), Buffer.alloc(30, 0xff)])],
      ['JPEG header only (SOI, APP0)', images.jpeg.subarray(0, 20)],
      [
        'PNG with zero width',
        (() => {
          const b = Buffer.from(images.png);
          b.writeUInt32BE(0, 16);
          return b;
        })(),
      ],
    ];
    const countFiles = async () => (await readdir(path.join(dataDir, 'snapshots'), { recursive: true })).length;
    const filesBefore = await countFiles();
    const listBefore = (await request('GET', `/api/sessions/${KEEP_ROOM}/snapshots`)).json.snapshots.length;
    for (const [label, bytes] of files) {
      for (const type of ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream']) {
        const res = await request('POST', `/api/sessions/${KEEP_ROOM}/snapshots?name=evil.jpg`, { headers: { 'content-type': type }, body: bytes });
        assertApiError(res, `${label} as ${type}`, 415, 'OV_SNAPSHOT_UNSUPPORTED');
      }
    }
    for (const [label, bytes] of broken) {
      const res = await request('POST', `/api/sessions/${KEEP_ROOM}/snapshots`, { headers: { 'content-type': 'image/jpeg' }, body: bytes });
      assertApiError(res, label, [400, 415], /^OV_SNAPSHOT_/);
    }
    const empty = await request('POST', `/api/sessions/${KEEP_ROOM}/snapshots`, { headers: { 'content-type': 'image/jpeg' }, body: Buffer.alloc(0) });
    assertApiError(empty, 'empty upload', 400, 'OV_SNAPSHOT_EMPTY');
    assert.equal((await request('GET', `/api/sessions/${KEEP_ROOM}/snapshots`)).json.snapshots.length, listBefore, 'nothing listed');
    assert.equal(await countFiles(), filesBefore, 'no file written (not even a temporary one left behind)');
  });

  it(`fuzz: ${FUZZ_REQUESTS} seeded random requests → never a 5xx, always a prompt answer, JSON errors with a code; nothing lost; still serving`, async () => {
    const rnd = mulberry32(FUZZ_SEED);
    const int = (n: number) => Math.floor(rnd() * n);
    const pick = <T>(a: readonly T[]): T => a[int(a.length)];
    const chance = (p: number) => rnd() < p;
    const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const ID_CHARS = ALNUM + '_-';
    const str = (chars: string, n: number) => Array.from({ length: n }, () => chars[int(chars.length)]).join('');
    const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
    const CODEPOINT_POOLS: [number, number][] = [
      [0x20, 0x7e],
      [0x00, 0x1f],
      [0x7f, 0x9f],
      [0xa0, 0x2ff],
      [0x200b, 0x202e],
      [0xac00, 0xd7a3],
      [0x4e00, 0x9fff],
      [0x1f300, 0x1faff],
      [0xfff0, 0xfffd],
    ];
    const unicode = (n: number) =>
      Array.from({ length: n }, () => {
        const [a, b] = pick(CODEPOINT_POOLS);
        return String.fromCodePoint(a + int(b - a + 1));
      }).join('');
    const percentBytes = (n: number) => Array.from({ length: n }, () => '%' + int(256).toString(16).padStart(2, '0')).join('');
    const protectedIds = new Set([kept.clip!.id, ...kept.snapshots.map((s) => s.id)]);
    const existing = () => pick([KEEP_ROOM, CLIP_ROOM, kept.clip!.id, ...kept.snapshots.map((s) => s.id)]);

    const genId = (): string => {
      switch (int(8)) {
        case 0:
          return str(ID_CHARS, 1 + int(64));
        case 1:
          return existing();
        case 2:
          return pick(HOSTILE_IDS);
        case 3:
          return encodeURIComponent(unicode(1 + int(70)));
        case 4:
          return percentBytes(1 + int(20));
        case 5:
          return existing() + pick(['x', '~1', '~999999', '%00', '/', '/..', '.', '~', '-']);
        case 6:
          return `snap_${str(ALNUM, 14 + int(5))}`;
        default:
          return `${str(ID_CHARS, 1 + int(20))}~${int(1_000_000)}`;
      }
    };
    const templates = [
      ...ROUTES.map((s) => s.url),
      '/',
      '/api',
      '/api/',
      '/api/sessions',
      '/api/sessions/:sessionId',
      '/api/clips',
      '/api/snapshots',
      '/api/sessions/:sessionId/clips/:clipId',
      '/api/docs/static/:any',
      '/favicon.ico',
      '/.env',
      '/.git/config',
    ];
    const genPath = (tpl: string) =>
      tpl === '*'
        ? '/' + encodeURIComponent(unicode(int(10)))
        : tpl
            .replace(/:[A-Za-z]+/g, () => genId())
            .replace('*', () => pick(['swagger-ui.css', 'index.html', '../../package.json', '%2e%2e/%2e%2e/package.json', encodeURIComponent(unicode(5))]));
    const genQuery = () => {
      if (chance(0.6)) return '';
      const keys = ['name', 'streamId', 'lastEventId', 'foo', '__proto__', 'constructor', 'toString', str(ALNUM, 1 + int(8)), 'name[]', 'a[b]'];
      const vals = () =>
        pick([encodeURIComponent(unicode(int(30))), String(int(1e6)), str(ID_CHARS, 1 + int(140)), percentBytes(int(6)), '', 'x'.repeat(int(300))]);
      return '?' + Array.from({ length: 1 + int(3) }, () => `${pick(keys)}=${vals()}`).join('&');
    };
    const CONTENT_TYPES = [
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'multipart/form-data; boundary=b',
      'application/x-www-form-urlencoded',
      'image/jpeg',
      'image/png',
      'image/webp',
      'application/octet-stream',
      'image/gif',
      'application/json; charset=utf-16',
      'application/JSON',
      'image/jpeg; q=1',
      '*/*',
      'application/',
      ';;',
      'x',
    ];
    const jsonValue = (depth: number): unknown => {
      const k = int(depth > 3 ? 5 : 8);
      if (k === 0) return null;
      if (k === 1) return chance(0.5);
      if (k === 2) return pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1]);
      if (k === 3) return unicode(int(40));
      if (k === 4) return str(PRINTABLE, int(120));
      if (k === 5) return Array.from({ length: int(4) }, () => jsonValue(depth + 1));
      const o: Record<string, unknown> = {};
      const keys = [
        'name',
        'role',
        'event',
        'sessionId',
        'id',
        'status',
        'timestamp',
        'startTime',
        'duration',
        'size',
        'hasAudio',
        'hasVideo',
        '__proto__',
        'constructor',
        str(ALNUM, 1 + int(6)),
      ];
      for (let i = int(5); i > 0; i--) o[pick(keys)] = jsonValue(depth + 1);
      return o;
    };
    const plausible = (): unknown =>
      pick([
        { name: unicode(int(40)), role: pick(['publisher', 'subscriber', 'moderator', '']) },
        { name: str(PRINTABLE, 1 + int(50)) },
        {},
        {
          event: pick(['recordingStatusChanged', 'sessionCreated', 'x']),
          sessionId: pick([KEEP_ROOM, str(ID_CHARS, 8)]),
          id: pick([kept.clip!.id, str(ID_CHARS, 8)]),
          status: pick(['started', 'stopped', 'ready', 'failed', 'bogus']),
          name: unicode(10),
          timestamp: Date.now(),
          startTime: Date.now(),
          duration: rnd() * 10,
          size: int(1e6),
        },
      ]);
    const genBody = (): { body?: Buffer | string; type?: string } => {
      switch (int(9)) {
        case 0:
          return {};
        case 1:
          return { body: JSON.stringify(jsonValue(0)), type: 'application/json' };
        case 2:
          return { body: JSON.stringify(plausible()), type: 'application/json' };
        case 3:
          return { body: Buffer.from(Array.from({ length: int(3000) }, () => int(256))), type: pick(CONTENT_TYPES) };
        case 4:
          return { body: pick([images.jpeg, images.png, images.webp]), type: pick(['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream']) };
        case 5: {
          const img = Buffer.from(pick([images.jpeg, images.png, images.webp]));
          for (let i = 0; i < 1 + int(20); i++) img[int(Math.min(img.length, 64))] = int(256);
          return { body: img.subarray(0, 1 + int(img.length)), type: pick(['image/jpeg', 'image/png', 'image/webp']) };
        }
        case 6:
          return {
            body: chance(0.5) ? JSON.stringify({ name: 'x'.repeat(66 * 1024) }) : Buffer.alloc(SNAPSHOT_MAX + 1 + int(1000), 0xff),
            type: pick(CONTENT_TYPES),
          };
        case 7:
          return { body: JSON.stringify(plausible()), type: pick(CONTENT_TYPES) };
        default:
          return { body: str(PRINTABLE, int(500)), type: chance(0.5) ? pick(CONTENT_TYPES) : undefined };
      }
    };
    const genHeaders = (): Record<string, string> => {
      const h: Record<string, string> = {};
      if (chance(0.2))
        h.range = pick([
          'bytes=0-',
          'bytes=0-99',
          'bytes=-5',
          'bytes=5-1',
          'bytes=abc',
          'bytes=999999999-',
          'bytes=0-1,3-4',
          'items=0-1',
          '',
          str(PRINTABLE, 20),
        ]);
      if (chance(0.15)) h['last-event-id'] = pick([String(int(1e6)), String(Date.now() + 1e9), 'abc', str(PRINTABLE, int(60)), '']);
      if (chance(0.15)) h.origin = pick(['https://evil.example', 'null', 'http://localhost', str(PRINTABLE, 20)]);
      if (chance(0.15)) h.authorization = pick(['Bearer x', 'Basic ' + Buffer.from('OPENVIDUAPP:guess').toString('base64'), str(PRINTABLE, int(200))]);
      if (chance(0.1)) h['if-none-match'] = pick(['*', `"${kept.snapshots[0].id}"`, 'W/"x"', str(PRINTABLE, 30)]);
      if (chance(0.1)) h.accept = pick(['text/event-stream', 'application/json', '*/*', 'image/*', str(PRINTABLE, 20)]);
      if (chance(0.1)) h['x-forwarded-for'] = pick(['1.2.3.4', '::1', str(PRINTABLE, 30)]);
      if (chance(0.05)) h['access-control-request-method'] = pick(['POST', 'DELETE', 'PUT']);
      if (chance(0.05)) h.cookie = str(PRINTABLE.replace(';', ''), 40);
      return h;
    };
    const METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'TRACE'];
    const isProtected = (p: string) =>
      p.split(/[/?]/).some((seg) => {
        try {
          return protectedIds.has(decodeURIComponent(seg));
        } catch {
          return false;
        }
      });

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const times: number[] = [];
    let sent = 0;
    // Requests are generated in order from the seed, then sent four at a time (concurrency finds what order hides).
    const planned = Array.from({ length: FUZZ_REQUESTS }, (_, i) => {
      const spec = chance(0.75) ? pick(ROUTES) : undefined;
      const method = spec && chance(0.7) ? spec.method : pick(METHODS);
      let p = genPath(spec?.url ?? pick(templates)) + genQuery();
      // Deleting what exists is legitimate; this test is about what bad input does to it.
      if (method === 'DELETE' && isProtected(p)) p = p.replace(/(snap_[A-Za-z0-9]+|clip-room)/g, '$1x');
      const { body, type } = method === 'GET' || method === 'HEAD' ? (chance(0.1) ? genBody() : {}) : genBody();
      const headers = genHeaders();
      if (type !== undefined) headers['content-type'] = type;
      const what = `#${i} ${method} ${p.slice(0, 160)} ${JSON.stringify(headers).slice(0, 200)} body=${body === undefined ? '-' : `${body.length}B`}`;
      return { method, p, headers, body, chunked: body !== undefined && chance(0.2), what };
    });
    const one = async ({ method, p, headers, body, chunked, what }: (typeof planned)[number]) => {
      let res: Res;
      try {
        res = await request(method, p, { headers, body, chunked });
      } catch (err) {
        const msg = (err as Error).message;
        // node:http refuses some generated paths/headers before sending: that is the client, not the server.
        if (/ERR_UNESCAPED_CHARACTERS|Invalid character|ERR_INVALID_CHAR|ERR_INVALID_HTTP_TOKEN/.test(`${(err as NodeJS.ErrnoException).code} ${msg}`)) return;
        failures.push(`${what}: ${msg}`);
        return;
      }
      sent++;
      times.push(res.ms);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) failures.push(`${what} → ${res.status} ${res.text.slice(0, 200)}`);
      else if (res.ms > ANSWER_WITHIN_MS) failures.push(`${what} → answered in ${Math.round(res.ms)} ms`);
      else if (res.status >= 400 && method !== 'HEAD') {
        try {
          assertErrorShape(res, what);
        } catch (err) {
          failures.push((err as Error).message.split('\n')[0]);
        }
      }
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < planned.length) await one(planned[next++]);
      }),
    );
    const hist = [...statuses]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `    fuzz seed ${FUZZ_SEED}: ${sent} requests answered; ${hist}; p50 ` +
        `${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(0)} ms`,
    );
    assert.ok(sent >= 500, `at least 500 requests reached the server (got ${sent})`);
    assert.deepEqual(failures.slice(0, 15), [], `${failures.length} bad answers (FUZZ_SEED=${FUZZ_SEED} reproduces them)`);
    assert.ok(
      [...statuses.keys()].some((s) => s < 300),
      'the fuzz also produced successful requests',
    );

    // Nothing that existed before is lost or changed.
    const list = await request('GET', `/api/sessions/${KEEP_ROOM}/snapshots`);
    assert.equal(list.status, 200);
    const listed = new Set(list.json.snapshots.map((s: { id: string }) => s.id));
    for (const s of kept.snapshots) {
      assert.ok(listed.has(s.id), `snapshot ${s.id} still listed`);
      const img = await request('GET', `/api/snapshots/${s.id}`);
      assert.equal(img.status, 200);
      assert.ok(img.body.equals(s.bytes), `snapshot ${s.id} unchanged`);
    }
    const clip = await request('GET', `/api/clips/${encodeURIComponent(kept.clip!.id)}`);
    assert.equal(clip.status, 200, clip.text);
    assert.equal(clip.json.status, 'ready');
    assert.equal(clip.json.size, kept.clip!.size);
    const media = await request('GET', `/api/clips/${encodeURIComponent(kept.clip!.id)}/media`);
    assert.equal(media.status, 200);
    assert.equal(media.body.length, kept.clip!.size);
    const clips = await request('GET', `/api/sessions/${CLIP_ROOM}/clips`);
    assert.ok(
      clips.json.clips.some((c: { id: string }) => c.id === kept.clip!.id),
      'the clip is still listed',
    );

    // And the server still serves normal requests.
    const health = await request('GET', '/api/health');
    assert.equal(health.status, 200);
    assert.equal(health.json.status, 'ok');
    const tok = await json('POST', '/api/sessions/after-fuzz/token', { name: 'still here' });
    assert.equal(tok.status, 201, tok.text);
    const up = await request('POST', `/api/sessions/after-fuzz/snapshots`, { headers: { 'content-type': 'image/png' }, body: images.png });
    assert.equal(up.status, 201, up.text);

    // Clips the fuzz may have started are stopped, so closing is quick.
    for (const c of clips.json.clips.filter((c: { status: string }) => c.status === 'recording'))
      await request('POST', `/api/clips/${encodeURIComponent(c.id)}/stop`);
  });

  it("every error carries one of the server's own OV_ codes, also on the CORS catch-all and the Swagger UI routes", {}, async () => {
    const res = await request('OPTIONS', '/api/health', { headers: { 'content-type': 'image/png' }, body: images.png });
    try {
      assertApiError(res, 'OPTIONS with an image body', 415, 'OV_UNSUPPORTED_MEDIA_TYPE');
    } catch {
      /* listed below */
    }
    assert.deepEqual(
      [...foreignCodes.entries()].map(([code, example]) => `${code}: ${example.slice(0, 200)}`),
      [],
      'codes that are not OV_ codes, seen during this run',
    );
  });
});

/** A small seeded PRNG (mulberry32): the same seed gives the same requests. */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
