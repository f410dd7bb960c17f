// Security of the reference server: the host's `authorize` hook guards every route (fail closed), helmet headers,
// CORS closed unless configured, the token route's rate limit, 500s that say nothing of the cause, and the
// OpenVidu secret never leaving the process (responses, headers, served files, logs).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import util from 'node:util';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { buildApp, type BuildAppOptions } from '../../demo-server/src/app.js';
import { loadConfig } from '../../demo-server/src/config.js';
import type { Action, Authorize, Resource } from '../../demo-server/src/plugins/authorize.js';
import { startEmbeddedOpenVidu, type EmbeddedOpenVidu } from '../../demo-server/embedded-openvidu/index.js';
import { testImage } from '../helpers/image-headers.js';
import { startTestServer } from '../helpers/app-server.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { registeredRoutes } from '../helpers/routes.js';
import { sleep } from '../helpers/until.js';

const require = createRequire(import.meta.url);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let ov: EmbeddedOpenVidu;
let dataDir: string;
let png: Buffer;
const apps: FastifyInstance[] = [];
const participants: RpcClient[] = [];

/** An app on the shared embedded OpenVidu, listening on a free port. */
async function start(env: Record<string, string> = {}, opts: Partial<BuildAppOptions> = {}) {
  const dir = await mkdtemp(path.join(dataDir, 'app-'));
  const config = loadConfig({ DATA_DIR: dir, OPENVIDU_URL: ov.url, OPENVIDU_SECRET: ov.secret, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000', ...env });
  const app = await buildApp({ config, logger: false, ...opts });
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

interface Res {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: Buffer;
  json?: any;
}

/** One request over real HTTP; a live event stream is cut after its first bytes. */
async function call(
  base: string,
  method: string,
  url: string,
  init: { headers?: Record<string, string>; body?: string | Buffer; json?: unknown } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), 10_000);
  try {
    const res = await fetch(base + url, {
      method,
      headers,
      body: init.json !== undefined ? JSON.stringify(init.json) : (init.body as BodyInit | undefined),
      redirect: 'manual',
      signal: ctrl.signal,
    });
    let body: Buffer;
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
      const reader = res.body!.getReader();
      body = Buffer.from((await reader.read()).value ?? []);
      ctrl.abort();
    } else body = Buffer.from(await res.arrayBuffer());
    const text = body.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: Object.fromEntries(res.headers), text, body, json };
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// A valid request for every route, and what the authorize hook must be asked. HEAD routes reuse their GET entry.

const ROOM = 'sec-room';
const CLIP = `${ROOM}~2`;
const LINK = `exp=9999999999&sig=${'A'.repeat(43)}`;
const SNAPSHOT = 'snap_AAAAAAAAAAAAAAAA'; // replaced by a real one in `before`
const ids = { snapshot: SNAPSHOT };

interface Probe {
  route: string;
  url: () => string;
  json?: unknown;
  image?: boolean;
  headers?: Record<string, string>;
  /** What the hook must be asked; undefined: the route has no action and is refused before the hook. */
  expect?: { action: Action; resource: () => Resource };
}

const session = (): Resource => ({ type: 'session', id: ROOM });
const clip = (): Resource => ({ type: 'clip', id: CLIP, sessionId: ROOM });
const server = (): Resource => ({ type: 'server' });
const snapshot = (): Resource => ({ type: 'snapshot', id: ids.snapshot, sessionId: ROOM });
const docs = { action: 'docs:read' as const, resource: server };

const PROBES: Probe[] = [
  {
    route: 'POST /api/sessions/:sessionId/token',
    url: () => `/api/sessions/${ROOM}/token`,
    json: { name: 'Ann' },
    expect: { action: 'token:create', resource: session },
  },
  { route: 'GET /api/sessions/:sessionId/clips', url: () => `/api/sessions/${ROOM}/clips`, expect: { action: 'clip:list', resource: session } },
  { route: 'POST /api/sessions/:sessionId/clips', url: () => `/api/sessions/${ROOM}/clips`, json: {}, expect: { action: 'clip:start', resource: session } },
  { route: 'POST /api/clips/:clipId/stop', url: () => `/api/clips/${CLIP}/stop`, expect: { action: 'clip:stop', resource: clip } },
  { route: 'GET /api/clips/:clipId', url: () => `/api/clips/${CLIP}`, expect: { action: 'clip:read', resource: clip } },
  { route: 'DELETE /api/clips/:clipId', url: () => `/api/clips/${CLIP}`, expect: { action: 'clip:delete', resource: clip } },
  { route: 'GET /api/clips/:clipId/media', url: () => `/api/clips/${CLIP}/media`, expect: { action: 'clip:read', resource: clip } },
  { route: 'GET /api/clips/:clipId/thumbnail', url: () => `/api/clips/${CLIP}/thumbnail`, expect: { action: 'clip:read', resource: clip } },
  { route: 'PATCH /api/clips/:clipId', url: () => `/api/clips/${CLIP}`, json: { name: 'Renamed' }, expect: { action: 'clip:rename', resource: clip } },
  { route: 'POST /api/clips/:clipId/trim', url: () => `/api/clips/${CLIP}/trim`, json: { start: 0, end: 1 }, expect: { action: 'clip:trim', resource: clip } },
  { route: 'DELETE /api/clips/:clipId/trim', url: () => `/api/clips/${CLIP}/trim`, expect: { action: 'clip:trim', resource: clip } },
  { route: 'POST /api/clips/:clipId/share', url: () => `/api/clips/${CLIP}/share`, json: {}, expect: { action: 'clip:share', resource: clip } },
  { route: 'DELETE /api/clips/:clipId/share', url: () => `/api/clips/${CLIP}/share`, expect: { action: 'clip:share', resource: clip } },
  // A well-formed link to a clip never shared: 404 when allowed, 403 from the hook when refused.
  { route: 'GET /watch/:clipId', url: () => `/watch/${CLIP}?${LINK}`, expect: { action: 'share:watch', resource: clip } },
  { route: 'GET /watch/:clipId/media', url: () => `/watch/${CLIP}/media?${LINK}`, expect: { action: 'share:watch', resource: clip } },
  { route: 'GET /watch/:clipId/thumbnail', url: () => `/watch/${CLIP}/thumbnail?${LINK}`, expect: { action: 'share:watch', resource: clip } },
  { route: 'GET /api/sessions/:sessionId/events', url: () => `/api/sessions/${ROOM}/events`, expect: { action: 'events:read', resource: session } },
  { route: 'GET /api/sessions/:sessionId/replay', url: () => `/api/sessions/${ROOM}/replay`, expect: { action: 'replay:read', resource: session } },
  { route: 'POST /api/sessions/:sessionId/replay', url: () => `/api/sessions/${ROOM}/replay`, json: {}, expect: { action: 'replay:start', resource: session } },
  { route: 'DELETE /api/sessions/:sessionId/replay', url: () => `/api/sessions/${ROOM}/replay`, expect: { action: 'replay:stop', resource: session } },
  {
    route: 'POST /api/sessions/:sessionId/snapshots',
    url: () => `/api/sessions/${ROOM}/snapshots`,
    image: true,
    expect: { action: 'snapshot:create', resource: session },
  },
  { route: 'GET /api/sessions/:sessionId/snapshots', url: () => `/api/sessions/${ROOM}/snapshots`, expect: { action: 'snapshot:list', resource: session } },
  { route: 'GET /api/snapshots/:snapshotId', url: () => `/api/snapshots/${ids.snapshot}`, expect: { action: 'snapshot:read', resource: snapshot } },
  { route: 'DELETE /api/snapshots/:snapshotId', url: () => `/api/snapshots/${ids.snapshot}`, expect: { action: 'snapshot:delete', resource: snapshot } },
  {
    route: 'POST /api/webhooks/openvidu',
    url: () => '/api/webhooks/openvidu',
    json: { event: 'participantJoined', sessionId: ROOM, timestamp: 1 },
    expect: { action: 'webhook:receive', resource: server },
  },
  { route: 'GET /api/health', url: () => '/api/health', expect: { action: 'health:read', resource: server } },
  { route: 'GET /api/openapi.json', url: () => '/api/openapi.json', expect: docs },
  { route: 'GET /api/docs', url: () => '/api/docs', expect: docs },
  { route: 'GET /api/docs/', url: () => '/api/docs/', expect: docs },
  { route: 'GET /api/docs/static/index.html', url: () => '/api/docs/static/index.html', expect: docs },
  { route: 'GET /api/docs/static/swagger-initializer.js', url: () => '/api/docs/static/swagger-initializer.js', expect: docs },
  { route: 'GET /api/docs/static/*', url: () => '/api/docs/static/swagger-ui.css', expect: docs },
  { route: 'GET /api/docs/json', url: () => '/api/docs/json', expect: docs },
  { route: 'GET /api/docs/yaml', url: () => '/api/docs/yaml', expect: docs },
  // The CORS preflight catch-all declares no action: refused (403) before the hook is asked.
  { route: 'OPTIONS *', url: () => `/api/sessions/${ROOM}/token`, headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } },
  { route: 'GET /', url: () => '/', expect: { action: 'page:read', resource: server } },
  { route: 'GET /embed', url: () => `/embed?session=${ROOM}`, expect: { action: 'page:read', resource: server } },
  { route: 'GET /demo/:file', url: () => '/demo/demo.js', expect: { action: 'page:read', resource: server } },
  { route: 'GET /ov-live-elements.js', url: () => '/ov-live-elements.js', expect: { action: 'page:read', resource: server } },
  { route: 'GET /ov-live-elements.js.map', url: () => '/ov-live-elements.js.map', expect: { action: 'page:read', resource: server } },
  { route: 'GET /ov-live-elements/:file', url: () => '/ov-live-elements/elements-AAAAAAAA.js', expect: { action: 'page:read', resource: server } },
];

/** Every registered route as a concrete request (HEAD for GET routes too); fails on a route without a probe. */
function requestsFor(app: FastifyInstance) {
  const byRoute = new Map(PROBES.map((p) => [p.route, p]));
  const registered = registeredRoutes(app);
  assert.ok(registered.length >= 20, app.printRoutes());
  const missing = registered.filter((r) => !byRoute.has(r) && !(r.startsWith('HEAD ') && byRoute.has(`GET ${r.slice(5)}`)));
  assert.deepEqual(missing, [], 'routes without a security probe: add them to PROBES');
  return registered.map((r) => {
    const method = r.slice(0, r.indexOf(' '));
    const probe = byRoute.get(r) ?? byRoute.get(`GET ${r.slice(5)}`)!;
    return { route: r, method, probe };
  });
}

function send(base: string, method: string, probe: Probe) {
  return call(base, method, probe.url(), {
    headers: { ...probe.headers, ...(probe.image ? { 'content-type': 'image/png' } : {}) },
    json: probe.json,
    body: probe.image ? png : undefined,
  });
}

describe('security', () => {
  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ov-security-'));
    ov = await startEmbeddedOpenVidu({ port: 0, secret: 'SECURITY_TEST_SECRET_x9', recordingPath: path.join(dataDir, 'recordings'), logger: quiet });
    png = await testImage(path.join(dataDir, 'a.png'), '32x24');
  });

  after(async () => {
    for (const c of participants) c.close();
    for (const app of apps) await app.close();
    await ov?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('every route asks the authorize hook once, with the right action and resource', async () => {
    const calls: { action: Action; resource: Resource; request: FastifyRequest }[] = [];
    const authorize: Authorize = (request, action, resource) => {
      calls.push({ action, resource, request });
      return true;
    };
    const { app, base } = await start({}, { authorize });
    // A real snapshot of the room, so that snapshot routes can name its session.
    const up = await call(base, 'POST', `/api/sessions/${ROOM}/snapshots`, { headers: { 'content-type': 'image/png' }, body: png });
    assert.equal(up.status, 201, up.text);
    ids.snapshot = up.json.id;
    // Delete last, so the reads before it find the snapshot.
    const reqs = requestsFor(app).sort(
      (a, b) => Number(a.route === 'DELETE /api/snapshots/:snapshotId') - Number(b.route === 'DELETE /api/snapshots/:snapshotId'),
    );
    for (const { route, method, probe } of reqs) {
      calls.length = 0;
      const res = await send(base, method, probe);
      const what = `${route} (${method} ${probe.url()}) → ${res.status} ${res.text.slice(0, 160)}`;
      if (!probe.expect) {
        assert.equal(calls.length, 0, `${what}: no action, the hook is not asked`);
        assert.equal(res.status, 403, what);
        continue;
      }
      assert.notEqual(res.status, 403, `allowed: ${what}`);
      assert.equal(calls.length, 1, `the hook is asked exactly once: ${what}; calls ${JSON.stringify(calls.map((c) => c.action))}`);
      const { action, resource, request } = calls[0];
      assert.equal(action, probe.expect.action, what);
      const want = probe.expect.resource();
      assert.equal(resource.type, want.type, `${what}: resource ${JSON.stringify(resource)}`);
      assert.equal(resource.id, want.id, `${what}: resource ${JSON.stringify(resource)}`);
      // Session resources may repeat their id as sessionId; clip and snapshot resources must name their session.
      if (want.sessionId !== undefined || resource.sessionId !== undefined)
        assert.equal(resource.sessionId, want.sessionId ?? want.id, `${what}: resource ${JSON.stringify(resource)}`);
      assert.equal(typeof request.headers, 'object', 'the hook gets the request (to read cookies and headers)');
      assert.equal(request.method, method);
    }
  });

  for (const [label, authorize] of [
    ['returns false', () => false],
    [
      'throws',
      () => {
        throw new Error('hook exploded: /etc/shadow');
      },
    ],
    [
      'rejects',
      async () => {
        throw new Error('hook exploded: /etc/shadow');
      },
    ],
    ['returns a truthy non-boolean', () => 'yes' as unknown as boolean],
  ] as [string, Authorize][]) {
    it(`an authorize hook that ${label} → 403 OV_FORBIDDEN on every route (docs, OpenAPI, health, webhook, SSE included)`, async () => {
      const { app, base } = await start({}, { authorize });
      const failures: string[] = [];
      for (const { route, method, probe } of requestsFor(app)) {
        const res = await send(base, method, probe);
        const what = `${route} (${method} ${probe.url()}) → ${res.status} ${res.text.slice(0, 160)}`;
        if (res.status !== 403) {
          failures.push(what);
          continue;
        }
        if (method === 'HEAD') continue;
        try {
          assert.deepEqual(res.json, { statusCode: 403, error: 'Forbidden', message: 'You are not allowed to do this', code: 'OV_FORBIDDEN' });
        } catch {
          failures.push(`body: ${what}`);
        }
        if (/exploded|shadow/.test(res.text)) failures.push(`leaks the hook's error: ${what}`);
      }
      assert.deepEqual(failures, []);
    });
  }

  it('a refused client is refused before its body is read or validated', {}, async () => {
    const { base } = await start({}, { authorize: () => false });
    const invalid = await call(base, 'POST', `/api/sessions/${ROOM}/token`, { json: { admin: true } });
    assert.equal(invalid.status, 403, `invalid body from a refused client: ${invalid.status} ${invalid.text}`);
    // 5 MB announced, nothing sent: a check before the body would answer at once.
    const { port } = new URL(base);
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      let got = '';
      socket.on('data', (d) => (got += d.toString('latin1')));
      socket.on('error', () => {});
      socket.write(`POST /api/sessions/${ROOM}/snapshots HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 5000000\r\n\r\n`);
      setTimeout(() => {
        socket.destroy();
        resolve(got);
      }, 1000);
    });
    assert.match(answer, /^HTTP\/1\.1 403/, `no answer before the upload was sent: ${JSON.stringify(answer.slice(0, 60))}`);
  });

  it('helmet headers on JSON, errors, SSE, images and the docs', async () => {
    const { base } = await start();
    const up = await call(base, 'POST', `/api/sessions/${ROOM}/snapshots`, { headers: { 'content-type': 'image/png' }, body: png });
    assert.equal(up.status, 201);
    for (const [method, url] of [
      ['GET', '/api/health'],
      ['GET', '/no/such/route'],
      ['GET', '/api/clips/..%2f'],
      ['GET', `/api/sessions/${ROOM}/events`],
      ['GET', `/api/snapshots/${up.json.id}`],
      ['GET', '/api/docs/static/index.html'],
      ['GET', '/api/openapi.json'],
      ['POST', `/api/sessions/${ROOM}/token`],
    ]) {
      const res = await call(base, method, url, method === 'POST' ? { json: {} } : {});
      const what = `${method} ${url} → ${res.status}`;
      assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
      assert.match(res.headers['content-security-policy'] ?? '', /default-src 'self'/, what);
      assert.match(res.headers['content-security-policy'] ?? '', /object-src 'none'/, what);
      assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN', what);
      assert.equal(res.headers['referrer-policy'], 'no-referrer', what);
      assert.equal(res.headers['x-powered-by'], undefined, what);
    }
  });

  it('CORS is closed by default: no Access-Control-Allow-Origin for a foreign Origin, preflight refused', async () => {
    const { base } = await start();
    const evil = { origin: 'https://evil.example' };
    for (const [method, url] of [
      ['GET', '/api/health'],
      ['GET', `/api/sessions/${ROOM}/clips`],
      ['GET', '/no/such/route'],
      ['POST', `/api/sessions/${ROOM}/token`],
    ]) {
      const res = await call(base, method, url, { headers: evil, ...(method === 'POST' ? { json: {} } : {}) });
      assert.equal(res.headers['access-control-allow-origin'], undefined, `${method} ${url}`);
      assert.equal(res.headers['access-control-allow-credentials'], undefined, `${method} ${url}`);
    }
    for (const m of ['POST', 'DELETE', 'GET']) {
      const pre = await call(base, 'OPTIONS', `/api/sessions/${ROOM}/token`, {
        headers: { ...evil, 'access-control-request-method': m, 'access-control-request-headers': 'content-type' },
      });
      assert.equal(pre.headers['access-control-allow-origin'], undefined, `preflight ${m}`);
      assert.equal(pre.headers['access-control-allow-methods'], undefined, `preflight ${m}`);
      assert.ok(pre.status >= 400, `preflight ${m} is refused: ${pre.status}`);
    }
    const sse = await call(base, 'GET', `/api/sessions/${ROOM}/events`, { headers: evil });
    assert.equal(sse.status, 200);
    assert.equal(sse.headers['access-control-allow-origin'], undefined, 'SSE');
  });

  it('CORS opens for the listed CORS_ORIGINS only (also on errors and SSE)', async () => {
    const { base } = await start({ CORS_ORIGINS: 'https://good.example, https://other.example:8443' });
    for (const origin of ['https://good.example', 'https://other.example:8443']) {
      const res = await call(base, 'GET', '/api/health', { headers: { origin } });
      assert.equal(res.headers['access-control-allow-origin'], origin);
      assert.match(res.headers.vary ?? '', /origin/i);
      const pre = await call(base, 'OPTIONS', `/api/sessions/${ROOM}/token`, {
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      assert.ok(pre.status === 204 || pre.status === 200, `preflight ${pre.status}`);
      assert.equal(pre.headers['access-control-allow-origin'], origin);
      assert.match(pre.headers['access-control-allow-methods'] ?? '', /POST/);
      assert.match(pre.headers['access-control-allow-methods'] ?? '', /DELETE/);
      const err = await call(base, 'GET', '/api/clips/no-such-room~9', { headers: { origin } });
      assert.equal(err.status, 404);
      assert.equal(err.headers['access-control-allow-origin'], origin, 'a page on a listed origin can read error bodies');
      const sse = await call(base, 'GET', `/api/sessions/${ROOM}/events`, { headers: { origin } });
      assert.equal(sse.headers['access-control-allow-origin'], origin, 'SSE');
    }
    for (const origin of ['https://evil.example', 'https://good.example.evil.example', 'http://good.example', 'https://good.example:444', 'null']) {
      const res = await call(base, 'GET', '/api/health', { headers: { origin } });
      assert.equal(res.headers['access-control-allow-origin'], undefined, origin);
      const pre = await call(base, 'OPTIONS', `/api/sessions/${ROOM}/token`, { headers: { origin, 'access-control-request-method': 'POST' } });
      assert.equal(pre.headers['access-control-allow-origin'], undefined, `preflight from ${origin}`);
    }
  });

  it('rate limit on the token route: with RATE_LIMIT_PER_MINUTE=5 the 6th request → 429 OV_RATE_LIMITED; per client; other routes unaffected', async () => {
    const { app, base } = await start({ RATE_LIMIT_PER_MINUTE: '5' });
    for (let i = 1; i <= 5; i++) {
      const res = await call(base, 'POST', `/api/sessions/rl-${i % 2}/token`, { json: { name: `n${i}` } });
      assert.equal(res.status, 201, `request ${i}: ${res.text}`);
    }
    const sixth = await call(base, 'POST', '/api/sessions/rl-0/token', { json: {} });
    assert.equal(sixth.status, 429);
    assert.deepEqual(sixth.json, { statusCode: 429, error: 'Too Many Requests', message: 'Too many requests; slow down', code: 'OV_RATE_LIMITED' });
    assert.ok(Number(sixth.headers['retry-after']) > 0, `retry-after ${sixth.headers['retry-after']}`);
    // X-Forwarded-For is not trusted: it does not open a new bucket.
    const spoofed = await call(base, 'POST', '/api/sessions/rl-0/token', { json: {}, headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(spoofed.status, 429);
    // Another client has its own budget.
    const other = await app.inject({ method: 'POST', url: '/api/sessions/rl-0/token', payload: {}, remoteAddress: '10.9.8.7' });
    assert.equal(other.statusCode, 201, other.body);
    // Routes without a limit are not affected.
    for (let i = 0; i < 10; i++) assert.equal((await call(base, 'GET', '/api/health')).status, 200);
    // The snapshot upload has its own budget of 5.
    const uploads = [];
    for (let i = 0; i < 6; i++)
      uploads.push((await call(base, 'POST', `/api/sessions/${ROOM}/snapshots`, { headers: { 'content-type': 'image/png' }, body: png })).status);
    assert.deepEqual(uploads, [201, 201, 201, 201, 201, 429]);
  });

  it('an unexpected Error in any route → 500 {code: OV_INTERNAL, message: "Internal server error"} without any detail; logged for the operator', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(c, _e, cb) {
        lines.push(String(c));
        cb();
      },
    });
    const { app, base } = await start({}, { logger: { level: 'info', stream } as BuildAppOptions['logger'] });
    const boom = () => {
      throw new Error('secret internal detail /etc/passwd');
    };
    const asyncBoom = async () => boom();
    const s = app.services as unknown as Record<string, Record<string, unknown>>;
    s.gateway.createToken = asyncBoom;
    s.gateway.listClips = asyncBoom;
    s.gateway.startClip = asyncBoom;
    s.gateway.stopClip = asyncBoom;
    s.gateway.getClip = asyncBoom;
    s.gateway.fetchClipFile = asyncBoom;
    s.gateway.ping = asyncBoom;
    s.snapshots.save = asyncBoom;
    s.snapshots.list = boom;
    s.snapshots.get = boom;
    s.clips.publish = boom;
    const cases: [string, string, { json?: unknown; headers?: Record<string, string>; body?: Buffer }?][] = [
      ['POST', `/api/sessions/${ROOM}/token`, { json: {} }],
      ['GET', `/api/sessions/${ROOM}/clips`],
      ['POST', `/api/sessions/${ROOM}/clips`, { json: {} }],
      ['POST', `/api/clips/${CLIP}/stop`],
      ['GET', `/api/clips/${CLIP}`],
      ['DELETE', `/api/clips/${CLIP}`],
      ['GET', `/api/clips/${CLIP}/media`],
      ['GET', `/api/clips/${CLIP}/thumbnail`],
      ['GET', '/api/health'],
      ['POST', `/api/sessions/${ROOM}/snapshots`, { headers: { 'content-type': 'image/png' }, body: png }],
      ['GET', `/api/sessions/${ROOM}/snapshots`],
      ['GET', `/api/snapshots/${SNAPSHOT}`],
      ['DELETE', `/api/snapshots/${SNAPSHOT}`],
      ['POST', '/api/webhooks/openvidu', { json: { event: 'recordingStatusChanged', sessionId: ROOM, id: CLIP, status: 'ready' } }],
    ];
    for (const [method, url, init] of cases) {
      const res = await call(base, method, url, init);
      const what = `${method} ${url} → ${res.status} ${res.text}`;
      assert.equal(res.status, 500, what);
      assert.deepEqual(res.json, { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error', code: 'OV_INTERNAL' }, what);
      const all = JSON.stringify(res.headers) + res.text;
      assert.doesNotMatch(all, /secret internal detail|passwd|at .*\.ts:\d+|Error:/, what);
    }
    const logged = lines.filter((l) => l.includes('secret internal detail')).map((l) => JSON.parse(l));
    assert.ok(logged.length >= cases.length, `every internal error is logged (${logged.length})`);
    assert.ok(
      logged.every((l) => l.level >= 50),
      'at error level',
    );
  });

  it('an OpenVidu that answers garbage or errors with details → 5xx with a code, nothing of its body passed on', async () => {
    const garbage = http.createServer((req, res) => {
      const bad = req.url?.includes('sessions') ? 500 : 200;
      res.writeHead(bad, { 'content-type': bad === 500 ? 'application/json' : 'text/html', 'x-upstream-secret': 'UPSTREAM_DETAIL' });
      res.end(bad === 500 ? '{"status":500,"message":"java.lang.NullPointerException at UPSTREAM_DETAIL"}' : '<html>UPSTREAM_DETAIL garbage');
    });
    await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', () => r()));
    try {
      const dir = await mkdtemp(path.join(dataDir, 'garbage-'));
      const app = await buildApp({
        config: loadConfig({
          DATA_DIR: dir,
          OPENVIDU_URL: `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`,
          OPENVIDU_SECRET: 'x',
          OPENVIDU_TIMEOUT_MS: '2000',
        }),
        logger: false,
      });
      apps.push(app);
      for (const [method, url, payload] of [
        ['POST', '/api/sessions/g/token', {}],
        ['GET', '/api/sessions/g/clips'],
        ['POST', '/api/sessions/g/clips', {}],
        ['POST', '/api/clips/g/stop'],
        ['GET', '/api/clips/g'],
        ['DELETE', '/api/clips/g'],
        ['GET', '/api/clips/g/media'],
      ] as [string, string, object?][]) {
        const res = await app.inject({ method: method as 'GET', url, payload });
        const what = `${method} ${url} → ${res.statusCode} ${res.body}`;
        assert.ok(res.statusCode >= 400, what);
        assert.equal(typeof res.json().code, 'string', what);
        assert.doesNotMatch(res.body + JSON.stringify(res.headers), /UPSTREAM_DETAIL|NullPointer|garbage/, what);
      }
    } finally {
      garbage.closeAllConnections();
      await new Promise((r) => garbage.close(r));
    }
  });

  it('the OpenVidu secret appears in no response body or header of any route, nor in any served file (full server)', async () => {
    const srv = await startTestServer({ LOG_LEVEL: 'silent' });
    try {
      const secret = srv.openvidu!.secret;
      assert.ok(secret.length >= 16);
      const responses = await exerciseEverything(srv.url, srv.app.services.config.webhookToken, srv.app);
      const leaks = findSecret(responses, secret);
      assert.deepEqual(leaks, [], 'responses that contain the secret');
      console.log(`    ${responses.length} responses checked, ${Math.round(responses.reduce((n, r) => n + r.text.length, 0) / 1024)} KiB`);
    } finally {
      await srv.stop();
    }
  });

  it('the OpenVidu secret appears in no log line, at trace level, on success and failure paths', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(c, _e, cb) {
        lines.push(String(c));
        cb();
      },
    });
    const ovLines: string[] = [];
    const capture = (l: string) => (msg: string, extra?: object) => ovLines.push(`${l} ${msg} ${extra ? JSON.stringify(extra) : ''}`);
    const secret = 'LOG_TEST_SECRET_' + Math.random().toString(36).slice(2);
    const dir = await mkdtemp(path.join(dataDir, 'logs-'));
    // openvidu-node-client logs through console.*: captured too.
    const consoleLines: string[] = [];
    const saved = { log: console.log, warn: console.warn, error: console.error, info: console.info, debug: console.debug };
    for (const k of Object.keys(saved) as (keyof typeof saved)[])
      console[k] = (...args: unknown[]) => void consoleLines.push(args.map((a) => (typeof a === 'string' ? a : util.inspect(a, { depth: 6 }))).join(' '));
    const own = await startEmbeddedOpenVidu({
      port: 0,
      secret,
      recordingPath: path.join(dir, 'recordings'),
      logger: { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') },
    });
    try {
      const webhookToken = 'hook-token-for-logs';
      const app = await buildApp({
        config: loadConfig({ DATA_DIR: dir, OPENVIDU_URL: own.url, OPENVIDU_SECRET: secret, WEBHOOK_TOKEN: webhookToken, LOG_LEVEL: 'trace' }),
        logger: { level: 'trace', stream } as BuildAppOptions['logger'],
      });
      apps.push(app);
      await app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      own.setWebhook({ endpoint: `${base}/api/webhooks/openvidu`, headers: [`Authorization: Bearer ${webhookToken}`], events: ['recordingStatusChanged'] });
      const responses = await exerciseEverything(base, webhookToken, app);
      // Failure paths: OpenVidu rejecting the secret, an internal error, OpenVidu gone.
      const wrong = await buildApp({
        config: loadConfig({ DATA_DIR: dir, OPENVIDU_URL: own.url, OPENVIDU_SECRET: `${secret}-wrong`, LOG_LEVEL: 'trace' }),
        logger: { level: 'trace', stream } as BuildAppOptions['logger'],
      });
      apps.push(wrong);
      const rejected = await wrong.inject({ method: 'POST', url: '/api/sessions/x/token', payload: {} });
      assert.equal(rejected.json().code, 'OV_OPENVIDU_AUTH', rejected.body);
      (app.services.gateway as unknown as Record<string, unknown>).listClips = async () => {
        throw new Error('boom');
      };
      assert.equal((await call(base, 'GET', '/api/sessions/x/clips')).status, 500);
      await own.close();
      for (const [m, u] of [
        ['POST', '/api/sessions/x/token'],
        ['GET', '/api/health'],
        ['POST', '/api/sessions/x/clips'],
      ])
        await call(base, m, u, m === 'POST' ? { json: {} } : {});
      assert.ok(lines.length > 50, `captured ${lines.length} log lines`);
      assert.ok(
        lines.some((l) => l.includes('incoming request')),
        'request log lines were captured',
      );
      const basic = Buffer.from(`OPENVIDUAPP:${secret}`).toString('base64');
      const leaking = lines.filter((l) => l.includes(secret) || l.includes(basic) || l.includes(`${secret}-wrong`));
      assert.deepEqual(
        leaking.map((l) => l.slice(0, 400)),
        [],
        'log lines with the secret',
      );
      assert.deepEqual(
        consoleLines.filter((l) => l.includes(secret) || l.includes(basic)),
        [],
        'console output with the secret',
      );
      assert.deepEqual(
        ovLines.filter((l) => l.includes(secret) || l.includes(basic)),
        [],
        'embedded OpenVidu log lines with the secret',
      );
      assert.deepEqual(findSecret(responses, secret), []);
    } finally {
      Object.assign(console, saved);
      await own.close();
    }
  });
});

interface Seen {
  what: string;
  status: number;
  text: string;
}

/** Call every route the way a browser and OpenVidu would, including a clip's whole life and error paths. */
async function exerciseEverything(base: string, webhookToken: string | undefined, app: FastifyInstance): Promise<Seen[]> {
  const seen: Seen[] = [];
  const record = async (method: string, url: string, init: { headers?: Record<string, string>; body?: string | Buffer; json?: unknown } = {}) => {
    const res = await call(base, method, url, init);
    // Headers and body, body also as latin1 so binary files are searched byte for byte.
    seen.push({ what: `${method} ${url}`, status: res.status, text: JSON.stringify(res.headers) + res.text + res.body.toString('latin1') });
    return res;
  };
  const room = 'leak-room';
  // Docs, OpenAPI and every static file the docs serve.
  for (const url of [
    '/',
    '/api/health',
    '/api/openapi.json',
    '/api/docs',
    '/api/docs/',
    '/api/docs/json',
    '/api/docs/yaml',
    '/api/docs/static/index.html',
    '/api/docs/static/swagger-initializer.js',
  ])
    await record('GET', url);
  const staticDir = path.join(path.dirname(require.resolve('@fastify/swagger-ui/package.json')), 'static');
  for (const f of await readdir(staticDir)) await record('GET', `/api/docs/static/${f}`);
  // A token and a participant, live events, a clip from start to delete.
  const events = new AbortController();
  const sse = fetch(`${base}/api/sessions/${room}/events`, { signal: events.signal }).then(async (res) => {
    const reader = res.body!.getReader();
    let text = JSON.stringify(Object.fromEntries(res.headers));
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    } catch {
      /* aborted */
    }
    seen.push({ what: 'SSE', status: res.status, text });
  });
  const tok = await record('POST', `/api/sessions/${room}/token`, { json: { name: 'Leak check', role: 'publisher' } });
  assert.equal(tok.status, 201, tok.text);
  const rpc = await RpcClient.connect(tok.json.token);
  participants.push(rpc);
  const joined = await rpc.join(tok.json.token);
  seen.push({ what: 'joinRoom result', status: 200, text: JSON.stringify(joined) });
  await record('POST', `/api/sessions/${room}/token`, { json: { role: 'subscriber' } });
  const started = await record('POST', `/api/sessions/${room}/clips`, { json: { name: 'leak check' } });
  assert.equal(started.status, 201, started.text);
  const id = encodeURIComponent(started.json.id);
  await record('POST', `/api/sessions/${room}/clips`, { json: {} }); // 409
  await record('DELETE', `/api/clips/${id}`); // 409 while recording
  await sleep(1000);
  await record('POST', `/api/clips/${id}/stop`);
  for (let i = 0; i < 100; i++) {
    const c = await record('GET', `/api/clips/${id}`);
    if (c.json?.status === 'ready') break;
    await sleep(100);
  }
  await record('POST', `/api/clips/${id}/stop`);
  await record('GET', `/api/sessions/${room}/clips`);
  await record('GET', `/api/clips/${id}/media`);
  await record('GET', `/api/clips/${id}/media`, { headers: { range: 'bytes=0-99' } });
  await record('GET', `/api/clips/${id}/media`, { headers: { range: 'bytes=99999999-' } });
  await record('GET', `/api/clips/${id}/thumbnail`);
  await record('HEAD', `/api/clips/${id}/media`);
  // Snapshots.
  const up = await record('POST', `/api/sessions/${room}/snapshots?name=leak`, { headers: { 'content-type': 'image/png' }, body: png });
  assert.equal(up.status, 201, up.text);
  await record('GET', `/api/sessions/${room}/snapshots`);
  await record('GET', `/api/snapshots/${up.json.id}`);
  await record('GET', `/api/snapshots/${up.json.id}`, { headers: { 'if-none-match': `"${up.json.id}"` } });
  await record('DELETE', `/api/snapshots/${up.json.id}`);
  await record('GET', `/api/snapshots/${up.json.id}`);
  // The webhook receiver, with and without its token.
  const hook = { event: 'recordingStatusChanged', sessionId: room, id: 'leak-room~5', status: 'ready', name: 'x', startTime: Date.now(), duration: 1, size: 1 };
  await record('POST', '/api/webhooks/openvidu', { json: hook });
  if (webhookToken) await record('POST', '/api/webhooks/openvidu', { json: hook, headers: { authorization: `Bearer ${webhookToken}` } });
  // Error paths.
  await record('DELETE', `/api/clips/${id}`);
  await record('GET', `/api/clips/${id}`); // 404 now
  await record('POST', '/api/sessions/empty-room/clips', { json: {} }); // nobody live
  await record('GET', '/api/clips/no-such~1/media');
  await record('GET', '/api/clips/..%2f..%2f');
  await record('POST', `/api/sessions/${room}/token`, { body: '{bad', headers: { 'content-type': 'application/json' } });
  await record('POST', `/api/sessions/${room}/token`, { json: { name: 'x'.repeat(70_000) } });
  await record('POST', `/api/sessions/${room}/token`, { body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  await record('GET', '/no/such/route');
  await record('OPTIONS', '/api/health', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  // Everything the server may say about its OpenVidu.
  seen.push({ what: 'swagger document', status: 200, text: JSON.stringify(app.swagger()) });
  rpc.close();
  await sleep(200);
  events.abort();
  await sse;
  return seen;
}

function findSecret(seen: Seen[], secret: string): string[] {
  const basic = Buffer.from(`OPENVIDUAPP:${secret}`).toString('base64');
  const needles = [secret, basic, encodeURIComponent(secret), Buffer.from(secret).toString('base64')];
  return seen.filter((s) => needles.some((n) => s.text.includes(n)) || /OPENVIDUAPP/.test(s.text)).map((s) => `${s.what} → ${s.status}`);
}
