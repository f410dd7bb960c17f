// Faults around the reference server: OpenVidu down (refused, or accepting TCP and never answering) → prompt 503s
// within the configured timeout, recovery when it comes back on the same port; the webhook receiver's token; and
// every configuration variable refusing bad values with a one-line ConfigError.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildAppOptions } from '../../demo-server/src/app.js';
import { ConfigError, loadConfig } from '../../demo-server/src/config.js';
import { encodeClipName } from '../../demo-server/src/services/openvidu-gateway.js';
import { startEmbeddedOpenVidu, type EmbeddedOpenVidu } from '../../demo-server/embedded-openvidu/index.js';
import { SseClient } from '../helpers/sse.js';
import { sleep } from '../helpers/until.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const SECRET = 'FAULTS_TEST_SECRET';
let dataDir: string;
const apps: FastifyInstance[] = [];
const embedded: EmbeddedOpenVidu[] = [];
const sse: SseClient[] = [];

async function app(env: Record<string, string>, logger: BuildAppOptions['logger'] = false) {
  const dir = await mkdtemp(path.join(dataDir, 'app-'));
  const a = await buildApp({
    config: loadConfig({ DATA_DIR: dir, OPENVIDU_SECRET: SECRET, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000', ...env }),
    logger,
  });
  apps.push(a);
  return a;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** The routes that need OpenVidu, as a browser calls them. */
const OV_ROUTES: { name: string; method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; payload?: object; required?: boolean }[] = [
  { name: 'token', method: 'POST', url: '/api/sessions/fault-room/token', payload: { name: 'Ann' }, required: true },
  { name: 'clip start', method: 'POST', url: '/api/sessions/fault-room/clips', payload: { name: 'x' }, required: true },
  { name: 'clip list', method: 'GET', url: '/api/sessions/fault-room/clips', required: true },
  { name: 'clip stop', method: 'POST', url: '/api/clips/fault-room/stop' },
  { name: 'clip get', method: 'GET', url: '/api/clips/fault-room' },
  { name: 'clip delete', method: 'DELETE', url: '/api/clips/fault-room' },
  { name: 'clip media', method: 'GET', url: '/api/clips/fault-room/media' },
  { name: 'clip thumbnail', method: 'GET', url: '/api/clips/fault-room/thumbnail' },
  { name: 'clip rename', method: 'PATCH', url: '/api/clips/fault-room', payload: { name: 'Renamed' } },
  { name: 'clip trim', method: 'POST', url: '/api/clips/fault-room/trim', payload: { start: 0, end: 1 } },
  { name: 'clip restore', method: 'DELETE', url: '/api/clips/fault-room/trim' },
  { name: 'clip share', method: 'POST', url: '/api/clips/fault-room/share', payload: {} },
  { name: 'clip unshare', method: 'DELETE', url: '/api/clips/fault-room/share' },
];

async function timed(a: FastifyInstance, r: (typeof OV_ROUTES)[number]) {
  const t0 = performance.now();
  const res = await a.inject({ method: r.method, url: r.url, payload: r.payload });
  return { ...r, ms: Math.round(performance.now() - t0), status: res.statusCode, body: res.json() as { code: string; statusCode: number } };
}

function assertUnavailable(results: Awaited<ReturnType<typeof timed>>[], maxMs: number) {
  for (const r of results) {
    const what = `${r.name}: ${r.status} ${JSON.stringify(r.body)} in ${r.ms} ms`;
    assert.equal(r.status, 503, what);
    assert.deepEqual(
      r.body,
      { statusCode: 503, error: 'Service Unavailable', message: 'The video service is not reachable; try again shortly', code: 'OV_OPENVIDU_UNAVAILABLE' },
      what,
    );
    assert.ok(r.ms <= maxMs, `${what}: over ${maxMs} ms`);
  }
  console.log(`    ${results.map((r) => `${r.name} ${r.ms} ms`).join(', ')}`);
}

/** Accepts connections and never writes a byte. */
async function silentServer() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('faults', () => {
  let silent: Awaited<ReturnType<typeof silentServer>>;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ov-faults-'));
    silent = await silentServer();
  });

  after(async () => {
    for (const c of sse) c.close();
    for (const a of apps) await a.close();
    await silent?.close();
    for (const e of embedded) await e.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  describe('OpenVidu refusing connections, then coming back on the same port', () => {
    let port: number;
    let a: FastifyInstance;

    before(async () => {
      port = await freePort();
      a = await app({ OPENVIDU_URL: `http://127.0.0.1:${port}` }); // default OPENVIDU_TIMEOUT_MS
    });

    it('token, clip start/list (and every clip route) → 503 OV_OPENVIDU_UNAVAILABLE at once; health says degraded; snapshots still work', async () => {
      const results = [];
      for (const r of OV_ROUTES) results.push(await timed(a, r));
      // At once: the refusal is seen, not the 4.5 s timeout waited out (2 s leaves room for a busy machine's first call).
      assertUnavailable(results, 2000);
      const t0 = performance.now();
      const health = await a.inject({ url: '/api/health' });
      assert.equal(health.statusCode, 200);
      assert.deepEqual(
        { ...(health.json() as object), uptimeSeconds: 0 },
        { status: 'degraded', openvidu: 'remote', openviduReachable: false, uptimeSeconds: 0 },
      );
      assert.ok(performance.now() - t0 < 2000);
      const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
      const snap = await a.inject({ method: 'POST', url: '/api/sessions/fault-room/snapshots', headers: { 'content-type': 'image/png' }, payload: png });
      assert.equal(snap.statusCode, 201, snap.body);
    });

    it('recovery: OpenVidu starts on that port → the same requests succeed, without restarting the server', async () => {
      const ov = await startEmbeddedOpenVidu({ port, secret: SECRET, recordingPath: path.join(dataDir, 'recovered'), logger: quiet });
      embedded.push(ov);
      assert.equal(ov.port, port);
      const tok = await a.inject({ method: 'POST', url: '/api/sessions/fault-room/token', payload: { name: 'Ann' } });
      assert.equal(tok.statusCode, 201, tok.body);
      assert.match(tok.json().token, new RegExp(`^ws://127\\.0\\.0\\.1:${port}\\?sessionId=fault-room&token=tok_`));
      const list = await a.inject({ url: '/api/sessions/fault-room/clips' });
      assert.equal(list.statusCode, 200, list.body);
      assert.deepEqual(list.json(), { clips: [] });
      // OpenVidu answers again: a start with nobody connected is now OpenVidu's refusal, not a 503.
      const start = await a.inject({ method: 'POST', url: '/api/sessions/fault-room/clips', payload: {} });
      assert.equal(start.statusCode, 409, start.body);
      assert.equal(start.json().code, 'OV_SESSION_NOT_LIVE');
      const health = await a.inject({ url: '/api/health' });
      assert.equal(health.json().status, 'ok');
      // And down again: back to 503, with the token route's session cache not hiding it.
      await ov.close();
      const again = await timed(a, OV_ROUTES[0]);
      assertUnavailable([again], 1000);
    });
  });

  it('OpenVidu accepting TCP but never answering → 503 within OPENVIDU_TIMEOUT_MS (1000 here), every route at once', async () => {
    const a = await app({ OPENVIDU_URL: silent.url, OPENVIDU_TIMEOUT_MS: '1000' });
    const results = await Promise.all(OV_ROUTES.map((r) => timed(a, r)));
    assertUnavailable(results, 1500);
    for (const r of results) assert.ok(r.ms >= 950, `${r.name} waited for the timeout (${r.ms} ms)`);
    assert.ok(silent.sockets.size > 0, 'the requests did reach the silent server');
    const t0 = performance.now();
    const health = await a.inject({ url: '/api/health' });
    assert.equal(health.json().status, 'degraded');
    assert.ok(performance.now() - t0 < 1500, 'health is bounded by the same timeout');
  });

  it('the default bound: OPENVIDU_TIMEOUT_MS unset → token, clip start and list answer 503 within 5 s of a silent OpenVidu', async () => {
    const a = await app({ OPENVIDU_URL: silent.url });
    assert.equal(a.services.config.openviduTimeoutMs, 4500);
    const results = await Promise.all(OV_ROUTES.filter((r) => r.required).map((r) => timed(a, r)));
    // The issue's bound: 503 within 5 s of a silent OpenVidu.
    assertUnavailable(results, 5000);
    for (const r of results) assert.ok(r.ms >= 4400, `${r.name} waited for the default timeout (${r.ms} ms)`);
  });

  describe('webhook receiver with WEBHOOK_TOKEN', () => {
    const TOKEN = 'hook-Token_123';
    let base: string;
    let ov: EmbeddedOpenVidu;
    const logLines: string[] = [];

    before(async () => {
      ov = await startEmbeddedOpenVidu({ port: 0, secret: SECRET, recordingPath: path.join(dataDir, 'hooks'), logger: quiet });
      embedded.push(ov);
      const stream = new Writable({
        write(c, _e, cb) {
          logLines.push(String(c));
          cb();
        },
      });
      const a = await app({ OPENVIDU_URL: ov.url, WEBHOOK_TOKEN: TOKEN }, { level: 'info', stream } as BuildAppOptions['logger']);
      await a.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(a.server.address() as AddressInfo).port}`;
    });

    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}/api/webhooks/openvidu`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

    const event = (status: string, extra: object = {}) => ({
      event: 'recordingStatusChanged',
      timestamp: 1_700_000_000_500,
      sessionId: 'hook-room',
      id: 'hook-room~3',
      name: encodeClipName('첫 클립 <b>'),
      outputMode: 'COMPOSED',
      resolution: '1280x720',
      startTime: 1_700_000_000_000,
      duration: status === 'ready' ? 4.2 : 0,
      size: status === 'ready' ? 123456 : 0,
      hasAudio: true,
      hasVideo: true,
      status,
      reason: 'recordingStoppedByServer',
      ...extra,
    });

    it('a missing or wrong token → 401 OV_WEBHOOK_UNAUTHORIZED, and nothing is published', async () => {
      const stream = new SseClient(`${base}/api/sessions/hook-room/events`);
      sse.push(stream);
      await stream.ready;
      assert.equal(stream.status, 200);
      for (const headers of [
        {},
        { authorization: '' },
        { authorization: 'Bearer wrong' },
        { authorization: `Bearer ${TOKEN}x` },
        { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
        { authorization: `bearer ${TOKEN}` },
        { authorization: TOKEN },
        { authorization: `Basic ${Buffer.from(`OPENVIDUAPP:${TOKEN}`).toString('base64')}` },
        { authorization: `Bearer  ${TOKEN}` },
        { 'x-webhook-token': TOKEN },
      ] as Record<string, string>[]) {
        const res = await post(event('ready'), headers);
        const body = await res.json();
        assert.equal(res.status, 401, JSON.stringify(headers));
        assert.deepEqual(body, { statusCode: 401, error: 'Unauthorized', message: 'Missing or wrong webhook token', code: 'OV_WEBHOOK_UNAUTHORIZED' });
      }
      // Barrier: an accepted event posted after them reaches the stream after anything they could have published.
      assert.equal((await post(event('started', { id: 'hook-room~0', name: 'hook-room~0' }), { authorization: `Bearer ${TOKEN}` })).status, 200);
      await stream.waitFor((e) => e.data?.id === 'hook-room~0', 5000);
      assert.deepEqual(
        stream.events.map((e) => e.data?.id),
        ['hook-room~0'],
        'no event from a refused webhook',
      );
    });

    it('without the token, a bad body is never read: 401, not 400/413/415 (the token is checked before the body)', async () => {
      const raw = (headers: Record<string, string>, body: string) => fetch(`${base}/api/webhooks/openvidu`, { method: 'POST', headers, body });
      for (const [what, headers, body] of [
        ['invalid JSON', { 'content-type': 'application/json' }, '{not json'],
        ['a body that fails the schema', { 'content-type': 'application/json' }, JSON.stringify({ event: 42 })],
        ['text/plain', { 'content-type': 'text/plain' }, 'hello'],
        ['a form', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=b'],
        ['a body over the limit', { 'content-type': 'application/json' }, JSON.stringify({ event: 'x', sessionId: 'y', pad: 'z'.repeat(100_000) })],
        ['a wrong token and invalid JSON', { 'content-type': 'application/json', authorization: 'Bearer wrong' }, '{'],
      ] as [string, Record<string, string>, string][]) {
        const res = await raw(headers, body);
        assert.equal(res.status, 401, `${what}: ${res.status} ${await res.clone().text()}`);
        assert.equal((await res.json()).code, 'OV_WEBHOOK_UNAUTHORIZED', what);
      }
      // 5 MB announced, nothing sent: only a check before the body answers.
      const { port } = new URL(base);
      const answer = await new Promise<string>((resolve) => {
        const socket = net.connect(Number(port), '127.0.0.1');
        let got = '';
        const done = () => {
          socket.destroy();
          resolve(got);
        };
        const timer = setTimeout(done, 5000);
        socket.on('data', (d) => {
          got += d.toString('latin1');
          if (got.includes('\r\n\r\n')) {
            clearTimeout(timer);
            done();
          }
        });
        socket.on('error', done);
        socket.write(`POST /api/webhooks/openvidu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n`);
      });
      assert.match(answer, /^HTTP\/1\.1 401/, `answered before the body was sent: ${JSON.stringify(answer.slice(0, 60))}`);
    });

    it('the right token → 200, and recordingStatusChanged becomes a `clip` SSE event (status mapped, name decoded)', async () => {
      const stream = new SseClient(`${base}/api/sessions/hook-room/events`);
      sse.push(stream);
      await stream.ready;
      const auth = { authorization: `Bearer ${TOKEN}` };
      for (const status of ['started', 'stopped', 'ready']) {
        const res = await post(event(status), auth);
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { ok: true });
      }
      const ready = await stream.waitFor((e) => e.event === 'clip' && e.data.status === 'ready', 5000);
      assert.deepEqual(ready.data, {
        id: 'hook-room~3',
        sessionId: 'hook-room',
        name: '첫 클립 <b>',
        status: 'ready',
        createdAt: 1_700_000_000_000,
        duration: 4.2,
        size: 123456,
        hasAudio: true,
        hasVideo: true,
        mediaUrl: '/api/clips/hook-room~3/media',
        thumbnailUrl: '/api/clips/hook-room~3/thumbnail',
      });
      assert.deepEqual(
        stream.events.filter((e) => e.event === 'clip').map((e) => e.data.status),
        ['recording', 'processing', 'ready'],
      );
      assert.ok(
        stream.events.every((e) => /^\d+$/.test(e.id ?? '')),
        'events have ids (for Last-Event-ID)',
      );
      // A failure carries an error for the list to show; other events are accepted and ignored.
      const failed = await post(event('failed', { id: 'hook-room~4', name: 'hook-room~4' }), auth);
      assert.equal(failed.status, 200);
      const f = await stream.waitFor((e) => e.event === 'clip' && e.data.id === 'hook-room~4', 5000);
      assert.equal(f.data.status, 'failed');
      assert.equal(f.data.name, '');
      assert.equal(typeof f.data.error, 'string');
      const count = stream.events.length;
      const other = new SseClient(`${base}/api/sessions/other-room/events`);
      sse.push(other);
      await other.ready;
      for (const e of ['sessionCreated', 'participantJoined', 'webrtcConnectionCreated', 'signalSent']) {
        const res = await post({ event: e, sessionId: 'hook-room', timestamp: Date.now() }, auth);
        assert.equal(res.status, 200, e);
      }
      const odd = await post(event('bogus'), auth);
      assert.equal(odd.status, 200);
      // Barrier: a clip event posted last reaches the stream after anything the events above could have published.
      await post(event('ready', { id: 'hook-room~5' }), auth);
      await stream.waitFor((e) => e.data?.id === 'hook-room~5', 5000);
      assert.deepEqual(
        stream.events.slice(count).map((e) => e.data?.id),
        ['hook-room~5'],
        'only recordingStatusChanged with a known status is published',
      );
      // Other rooms do not hear it.
      assert.deepEqual(other.events, []);
    });

    it("the embedded OpenVidu's own webhook POSTs, with the token in OPENVIDU_WEBHOOK_HEADERS, are accepted (and refused with a wrong one)", async () => {
      const statuses = async (header: string, room: string) => {
        ov.setWebhook({ endpoint: `${base}/api/webhooks/openvidu`, headers: [header], events: ['sessionCreated'] });
        const from = logLines.length;
        const res = await fetch(`${base}/api/sessions/${room}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        assert.equal(res.status, 201);
        // The request log tells what the receiver answered OpenVidu.
        for (let i = 0; i < 50; i++) {
          const lines = logLines.slice(from).map((l) => JSON.parse(l));
          const hook = lines.find((l) => l.req?.url === '/api/webhooks/openvidu');
          const done = hook && lines.find((l) => l.reqId === hook.reqId && l.res);
          if (done) return done.res.statusCode as number;
          await sleep(50);
        }
        assert.fail('no webhook POST from OpenVidu reached the receiver');
      };
      assert.equal(await statuses(`Authorization: Bearer ${TOKEN}`, 'hook-live-1'), 200);
      assert.equal(await statuses('Authorization: Bearer not-the-token', 'hook-live-2'), 401);
      ov.setWebhook(undefined);
    });
  });

  it('loadConfig: a bad value of any variable → ConfigError with a one-line message naming it', () => {
    const bad: [string, string][] = [
      ['PORT', 'abc'],
      ['PORT', '-1'],
      ['PORT', '65536'],
      ['PORT', '80.5'],
      ['PORT', ''.padEnd(3, '9') + 'x'],
      ['EMBEDDED_OPENVIDU_PORT', 'x'],
      ['EMBEDDED_OPENVIDU_PORT', '70000'],
      ['OPENVIDU_URL', 'not a url'],
      ['OPENVIDU_URL', 'ftp://openvidu.example.com'],
      ['OPENVIDU_URL', 'javascript:alert(1)'],
      ['SNAPSHOT_MAX_BYTES', '10'],
      ['SNAPSHOT_MAX_BYTES', 'lots'],
      ['SNAPSHOT_MAX_BYTES', String(200 * 1024 * 1024)],
      ['CORS_ORIGINS', 'example.com'],
      ['CORS_ORIGINS', 'https://a.example/path'],
      ['CORS_ORIGINS', 'https://a.example,not-an-origin'],
      ['CORS_ORIGINS', 'https://a.example/'],
      ['CLIP_RESOLUTION', '1280*720'],
      ['CLIP_RESOLUTION', '99x99'],
      ['CLIP_RESOLUTION', '2000x1000'],
      ['CLIP_RESOLUTION', 'hd'],
      ['CLIP_FRAME_RATE', '0'],
      ['CLIP_FRAME_RATE', '61'],
      ['CLIP_FRAME_RATE', '25fps'],
      ['CLIP_HAS_AUDIO', 'maybe'],
      ['CLIP_HAS_VIDEO', '2'],
      ['RATE_LIMIT_PER_MINUTE', '0'],
      ['RATE_LIMIT_PER_MINUTE', 'unlimited'],
      ['LOG_LEVEL', 'verbose'],
      ['LOG_LEVEL', 'INFO'],
      ['HTTPS', 'sure'],
      ['OPENVIDU_TIMEOUT_MS', '50'],
      ['OPENVIDU_TIMEOUT_MS', '600000'],
      ['OPENVIDU_TIMEOUT_MS', 'soon'],
      ['SSE_MAX_PER_CLIENT', '0'],
      ['SSE_MAX_PER_CLIENT', 'many'],
      ['SSE_MAX_TOTAL', '0'],
      ['SSE_MAX_TOTAL', '-5'],
      ['SSE_MAX_TOTAL', '10000000'],
      ['SNAPSHOT_MAX_WIDTH', '0'],
      ['SNAPSHOT_MAX_WIDTH', '8k'],
      ['SNAPSHOT_MAX_HEIGHT', '0'],
      ['SNAPSHOT_MAX_HEIGHT', '4320px'],
      ['SNAPSHOT_MAX_PIXELS', '0'],
      ['SNAPSHOT_MAX_PIXELS', '33e6'],
      ['OPENVIDU_SESSIONS_GARBAGE_INTERVAL', '-1'],
      ['OPENVIDU_SESSIONS_GARBAGE_INTERVAL', '15m'],
      ['OPENVIDU_SESSIONS_GARBAGE_THRESHOLD', '0'],
      ['OPENVIDU_SESSIONS_GARBAGE_THRESHOLD', 'hour'],
      ['REPLAY_SECONDS', '601'],
      ['REPLAY_SECONDS', '30s'],
      ['REPLAY_SEGMENT_SECONDS', '4'],
      ['REPLAY_MAX_ROOMS', '0'],
      ['OPENVIDU_CE_STRICT', 'strict'],
      ['MEDIA_PUBLIC_IP', '203.0.113'],
      ['MEDIA_PUBLIC_IP', 'vps.example.com'],
      ['MEDIA_LISTEN_IP', '10.0.0.256'],
      ['MEDIA_PORT_RANGE', '40000'],
      ['MEDIA_PORT_RANGE', '50000-40000'],
      ['MEDIA_PORT_RANGE', '80-200'],
      ['TURN_URLS', 'turn:turn.example.com:3478'], // without TURN_SECRET
      ['TURN_URLS', 'http://turn.example.com'],
      ['TURN', 'coturn'],
      ['TURN_SECRET', 'short'],
      ['TURN_PORT', '0'],
      ['TURN_RELAY_PORT_RANGE', '49160-49999'], // without TURN=embedded
      ['TURN_HOST', 'turn example.com'],
      ['TURN_REALM', 'a/b'],
      ['TLS_CERT', '/etc/letsencrypt/live/example.com/fullchain.pem'], // without TLS_KEY
      ['TLS_KEY', '/etc/letsencrypt/live/example.com/privkey.pem'], // without TLS_CERT
      ['HTTP_REDIRECT_PORT', '80'], // without TLS
      ['BACKEND_SECRET', 'short'],
      ['BACKEND_SECRET', 'a secret with spaces that is long enough'],
      ['ACCESS_SECONDS', '5'],
      ['TURN_CREDENTIAL_SECONDS', '10'],
    ];
    for (const [name, value] of bad) {
      const env: Record<string, string> = { [name]: value };
      if (name === 'OPENVIDU_URL') env.OPENVIDU_SECRET = 's';
      let err: unknown;
      try {
        loadConfig(env);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof ConfigError, `${name}=${JSON.stringify(value)} → ${err === undefined ? 'accepted' : String(err)}`);
      assert.ok(err.message.includes(name), `names ${name}: ${err.message}`);
      assert.doesNotMatch(err.message, /[\r\n]/, `one line: ${err.message}`);
      assert.ok(err.message.length < 200, `short: ${err.message}`);
    }
    // A URL without its secret is refused too, naming the missing one.
    assert.throws(
      () => loadConfig({ OPENVIDU_URL: 'https://openvidu.example.com' }),
      (e: Error) => e instanceof ConfigError && /OPENVIDU_SECRET/.test(e.message),
    );
    // The defaults, and good values, load.
    const d = loadConfig({});
    assert.equal(d.port, 5080);
    assert.equal(d.openviduTimeoutMs, 4500);
    assert.deepEqual(d.corsOrigins, []);
    assert.equal(d.snapshotMaxBytes, 10 * 1024 * 1024);
    // An 8K camera frame passes the default image limits; a tab keeps about two streams, a classroom shares one address.
    assert.ok(d.snapshotMaxWidth >= 7680 && d.snapshotMaxHeight >= 7680 && d.snapshotMaxPixels >= 7680 * 4320, JSON.stringify(d));
    assert.ok(d.sseMaxPerClient >= 60 && d.sseMaxTotal >= d.sseMaxPerClient, JSON.stringify(d));
    const good = loadConfig({
      PORT: '0',
      CORS_ORIGINS: 'https://a.example, http://localhost:8080',
      CLIP_RESOLUTION: '640x480',
      CLIP_HAS_AUDIO: 'false',
      HTTPS: 'yes',
      LOG_LEVEL: 'warn',
    });
    assert.deepEqual(good.corsOrigins, ['https://a.example', 'http://localhost:8080']);
    assert.equal(good.clip.hasAudio, false);
  });

  it('loadConfig: numbers are decimal digits only (no hex, exponent or padding)', () => {
    for (const [name, value] of [
      ['PORT', '0x50'],
      ['RATE_LIMIT_PER_MINUTE', '1e3'],
      ['PORT', ' 80 '],
      ['SNAPSHOT_MAX_BYTES', '0b11111111111'],
    ]) {
      assert.throws(() => loadConfig({ [name]: value }), ConfigError, `${name}=${JSON.stringify(value)}`);
    }
  });

  it('loadConfig: a value with a line break still gives a one-line message', () => {
    for (const [name, value] of [
      ['PORT', '80\n81'],
      ['LOG_LEVEL', 'info\nERROR injected'],
      ['CORS_ORIGINS', 'https://a.example\r\nx'],
    ]) {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (e: Error) => e instanceof ConfigError && !/[\r\n]/.test(e.message),
        `${name}=${JSON.stringify(value)}`,
      );
    }
  });
});
