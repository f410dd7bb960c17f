// Cross-site request forgery against the reference server: a page on another origin must not change anything
// (start or stop a clip, take a token, upload or delete), even with requests that need no CORS preflight — a
// body-less `fetch(…, {mode: 'no-cors'})` or a `<form method=post>` — because with a cookie-based `authorize` the
// visitor's cookies would ride along. Attacked from real Chromium pages on two other origins (another port: same
// site; another host name: cross site), then the whole Origin / Sec-Fetch-Site matrix through `inject`, then over
// HTTPS with HTTP/1.1 and HTTP/2.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildAppOptions } from '../../demo-server/src/app.js';
import { loadConfig } from '../../demo-server/src/config.js';
import type { Action } from '../../demo-server/src/plugins/authorize.js';
import { startEmbeddedOpenVidu, type EmbeddedOpenVidu } from '../../demo-server/embedded-openvidu/index.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer } from '../helpers/app-server.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { sleep } from '../helpers/until.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let dir: string;
let ov: EmbeddedOpenVidu;
const apps: FastifyInstance[] = [];
const participants: RpcClient[] = [];

/** A page server on another port: `/` is an empty page that the test scripts; `/form?action=…` submits a form. */
async function attackerSite() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.writeHead(200, { 'content-type': 'text/html' });
    if (url.pathname === '/form') {
      const action = (url.searchParams.get('action') ?? '').replace(/"/g, '&quot;');
      res.end(
        `<!doctype html><form id=f method=post action="${action}"><input type=hidden name=name ` +
          `value=pwned></form><script>document.getElementById('f').submit()</script>`,
      );
    } else res.end('<!doctype html><title>another site</title><p>nothing to see</p>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('cross-site requests', () => {
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let site: Awaited<ReturnType<typeof attackerSite>>;
  const logLines: { req?: { method: string; url: string }; res?: { statusCode: number }; reqId: string }[] = [];
  const asked: { action: Action; method: string; url: string }[] = [];

  /** The status the server answered to `METHOD url` (from its request log), waiting for the line to come. */
  async function answered(method: string, url: string): Promise<number> {
    for (let i = 0; i < 200; i++) {
      const req = logLines.find((l) => l.req?.method === method && l.req.url === url);
      const res = req && logLines.find((l) => l.reqId === req.reqId && l.res);
      if (res) return res.res!.statusCode;
      await sleep(25);
    }
    assert.fail(`the server never saw ${method} ${url}`);
  }

  const api = (p: string, init: RequestInit = {}) => fetch(base + p, init);
  const clipsOf = async (room: string) => (await (await api(`/api/sessions/${room}/clips`)).json()).clips as { id: string; status: string }[];

  /** A live participant in `room`, so that a clip could start there. */
  async function live(room: string) {
    const tok = await (await api(`/api/sessions/${room}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
    const rpc = await RpcClient.connect(tok.token);
    participants.push(rpc);
    await rpc.join(tok.token);
  }

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ov-xsite-'));
    ov = await startEmbeddedOpenVidu({ port: 0, secret: 'XSITE_TEST_SECRET_123', recordingPath: path.join(dir, 'recordings'), logger: quiet });
    const stream = new Writable({
      write(c, _e, cb) {
        for (const line of String(c).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        cb();
      },
    });
    const config = loadConfig({ DATA_DIR: path.join(dir, 'app'), OPENVIDU_URL: ov.url, OPENVIDU_SECRET: ov.secret, RATE_LIMIT_PER_MINUTE: '100000' });
    app = await buildApp({
      config,
      logger: { level: 'info', stream } as BuildAppOptions['logger'],
      authorize: (request, action) => {
        asked.push({ action, method: request.method, url: request.url });
        return true;
      },
    });
    apps.push(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    site = await attackerSite();
    browser = await launchChromium();
  });

  after(async () => {
    for (const p of participants) p.close();
    await browser?.close();
    await site?.close();
    for (const a of apps) await a.close();
    await ov?.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [label, host] of [
    ['another host name (cross-site: Sec-Fetch-Site: cross-site)', 'localhost'],
    ['another port of the same host (same-site, cross-origin)', '127.0.0.1'],
  ] as const) {
    it(`a page on ${label} cannot start or stop a clip with body-less no-cors POSTs, nor with a form`, async () => {
      const tag = host === 'localhost' ? 'xs' : 'ss';
      const page: Page = await browser.newPage();
      try {
        await page.goto(`http://${host}:${site.port}/`);
        const pageOrigin = await page.evaluate(() => location.origin);
        assert.notEqual(pageOrigin, base);

        // Start: a room with someone live, where a same-origin request would start a clip.
        const room = `${tag}-start`;
        await live(room);
        const startUrl = `/api/sessions/${room}/clips`;
        const from = asked.length;
        await page.evaluate(
          (u) =>
            fetch(u, { method: 'POST', mode: 'no-cors', credentials: 'include' }).then(
              () => 'sent',
              (e) => String(e),
            ),
          base + startUrl,
        );
        assert.equal(await answered('POST', startUrl), 403);
        assert.deepEqual(await clipsOf(room), [], 'no clip was started');
        assert.deepEqual(
          asked.slice(from).filter((a) => a.method === 'POST' && a.url === startUrl),
          [],
          'refused before the authorize hook (cookies never looked at)',
        );

        // Stop: a clip started by the host itself keeps recording.
        const started = await (await api(startUrl, { method: 'POST' })).json();
        assert.equal(started.status, 'recording', JSON.stringify(started));
        const stopUrl = `/api/clips/${encodeURIComponent(started.id)}/stop`;
        await page.evaluate(
          (u) =>
            fetch(u, { method: 'POST', mode: 'no-cors', credentials: 'include' }).then(
              () => 'sent',
              (e) => String(e),
            ),
          base + stopUrl,
        );
        assert.equal(await answered('POST', stopUrl), 403);
        assert.equal((await clipsOf(room)).find((c) => c.id === started.id)?.status, 'recording', 'the clip is still recording');

        // A form post (top-level navigation, form-urlencoded body): refused too.
        const formRoom = `${tag}-form`;
        await live(formRoom);
        const formUrl = `/api/sessions/${formRoom}/clips`;
        await page.goto(`http://${host}:${site.port}/form?action=${encodeURIComponent(base + formUrl)}`);
        assert.equal(await answered('POST', formUrl), 403);
        assert.match(await page.locator('body').innerText(), /OV_CROSS_SITE/, 'the browser shows the refusal');
        assert.deepEqual(await clipsOf(formRoom), []);

        // A token, a delete, an upload: the same.
        for (const [method, url] of [
          ['POST', `/api/sessions/${tag}-token/token`],
          ['DELETE', `/api/clips/${encodeURIComponent(started.id)}`],
          ['POST', `/api/sessions/${tag}-snap/snapshots`],
        ]) {
          await page.goto(`http://${host}:${site.port}/`);
          await page.evaluate(
            ([u, m]) =>
              fetch(u, { method: m, mode: 'no-cors', credentials: 'include' }).then(
                () => 'sent',
                (e) => String(e),
              ),
            [base + url, method] as const,
          );
          // A DELETE needs a preflight, which CORS refuses: the DELETE itself never arrives.
          if (method === 'DELETE') continue;
          assert.equal(await answered(method, url), 403, `${method} ${url}`);
        }
        assert.equal((await clipsOf(room)).find((c) => c.id === started.id)?.status, 'recording');
        await api(stopUrl, { method: 'POST' });
      } finally {
        await page.close();
      }
    });
  }

  it('the demo page itself (same origin) still takes tokens and starts clips', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${base}/`);
      const room = 'same-origin';
      await live(room);
      const r = await page.evaluate(async (room) => {
        const tok = await fetch(`/api/sessions/${room}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Ana"}' });
        const clip = await fetch(`/api/sessions/${room}/clips`, { method: 'POST' });
        const body = await clip.json();
        const stop = await fetch(`/api/clips/${encodeURIComponent(body.id)}/stop`, { method: 'POST' });
        return [tok.status, clip.status, stop.status];
      }, room);
      assert.deepEqual(r, [201, 201, 200]);
    } finally {
      await page.close();
    }
  });
});

describe('cross-site matrix (inject): Origin and Sec-Fetch-Site on every state-changing route', () => {
  let dir2: string;

  before(async () => {
    dir2 = await mkdtemp(path.join(os.tmpdir(), 'ov-xsite-matrix-'));
  });
  after(async () => {
    for (const a of apps.splice(0)) await a.close();
    await rm(dir2, { recursive: true, force: true });
  });

  /** authorize refuses everything: a request that gets past the cross-site check says OV_FORBIDDEN, one refused before says OV_CROSS_SITE. */
  async function make(env: Record<string, string> = {}) {
    const a = await buildApp({
      config: loadConfig({
        DATA_DIR: await mkdtemp(path.join(dir2, 'a-')),
        OPENVIDU_URL: 'http://127.0.0.1:9',
        OPENVIDU_SECRET: 'x',
        LOG_LEVEL: 'silent',
        ...env,
      }),
      logger: false,
      authorize: () => false,
    });
    apps.push(a);
    return a;
  }

  const WRITES: [string, string][] = [
    ['POST', '/api/sessions/room/token'],
    ['POST', '/api/sessions/room/clips'],
    ['POST', '/api/clips/room~1/stop'],
    ['DELETE', '/api/clips/room~1'],
    ['POST', '/api/sessions/room/snapshots'],
    ['DELETE', '/api/snapshots/snap_AAAAAAAAAAAAAAAA'],
    ['POST', '/api/webhooks/openvidu'],
    ['POST', '/no/such/route'],
    ['PUT', '/api/sessions/room/token'],
    ['PATCH', '/api/clips/room~1'],
  ];
  const HOST = '127.0.0.1:5080';

  async function code(a: FastifyInstance, method: string, url: string, headers: Record<string, string>, payload?: string) {
    const res = await a.inject({ method: method as 'POST', url, headers: { host: HOST, ...headers }, ...(payload !== undefined ? { payload } : {}) });
    return { status: res.statusCode, code: (res.json() as { code?: string }).code, body: res.body };
  }

  it(
    'refused (403 OV_CROSS_SITE, before authorize): foreign, null, other-port, other-scheme and look-alike ' +
      'origins; cross-site or same-site fetch metadata without an allowed Origin',
    async () => {
      const a = await make();
      const refused: Record<string, string>[] = [
        { origin: 'https://evil.example' },
        { origin: 'null' },
        { origin: 'http://127.0.0.1:5081' },
        { origin: 'https://127.0.0.1:5080' },
        { origin: 'http://127.0.0.1' },
        { origin: 'http://127.0.0.1:5080.evil.example' },
        { origin: 'http://localhost:5080' },
        { origin: 'not a url' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
        { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
        { 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:5081' },
      ];
      const failures: string[] = [];
      for (const [method, url] of WRITES) {
        for (const headers of refused) {
          for (const payload of [undefined, '{}']) {
            const h = payload === undefined ? headers : { ...headers, 'content-type': 'application/json' };
            const r = await code(a, method, url, h, payload);
            if (r.status !== 403 || r.code !== 'OV_CROSS_SITE') failures.push(`${method} ${url} ${JSON.stringify(h)} → ${r.status} ${r.body}`);
          }
        }
      }
      assert.deepEqual(failures, []);
      const one = await code(a, 'POST', '/api/sessions/room/clips', { origin: 'https://evil.example' });
      const body = JSON.parse(one.body);
      assert.deepEqual(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode']);
      assert.equal(body.error, 'Forbidden');
      assert.doesNotMatch(body.message, /evil/, 'the origin is not echoed');
    },
  );

  it(
    'allowed (reaches authorize → OV_FORBIDDEN here): no Origin and no fetch metadata (curl, webhooks, node ' +
      'clients), same origin (default ports, case), same-origin or user-initiated fetch metadata; GET/HEAD unchanged',
    async () => {
      const a = await make();
      const allowed: [Record<string, string>, string?][] = [
        [{}],
        [{ origin: 'http://127.0.0.1:5080' }],
        [{ origin: 'http://127.0.0.1:5080', 'sec-fetch-site': 'same-origin' }],
        [{ 'sec-fetch-site': 'same-origin' }],
        [{ 'sec-fetch-site': 'none' }],
        [{ origin: 'http://example.com' }, 'example.com'],
        [{ origin: 'http://example.com' }, 'example.com:80'],
        [{ origin: 'http://example.com:80' }, 'EXAMPLE.com'],
        [{ origin: 'http://[::1]:5080' }, '[::1]:5080'],
      ];
      const failures: string[] = [];
      for (const [method, url] of WRITES) {
        for (const [headers, host] of allowed) {
          const r = await code(a, method, url, { ...headers, ...(host ? { host } : {}) });
          // The unknown route and methods answer 404 from the not-found handler.
          const ok = r.code === 'OV_FORBIDDEN' || (r.status === 404 && r.code === 'OV_ROUTE_NOT_FOUND');
          if (!ok) failures.push(`${method} ${url} ${JSON.stringify(headers)} host ${host ?? HOST} → ${r.status} ${r.body}`);
        }
      }
      for (const method of ['GET', 'HEAD']) {
        for (const url of ['/api/sessions/room/clips', '/api/health', '/api/sessions/room/snapshots']) {
          for (const headers of [{ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'cross-site' }]) {
            const r = await a.inject({ method: method as 'GET', url, headers: { host: HOST, ...headers } });
            if (r.statusCode !== 403 || (method === 'GET' && r.json().code !== 'OV_FORBIDDEN'))
              failures.push(`${method} ${url} ${JSON.stringify(headers)} → ${r.statusCode} ${r.body}`);
          }
        }
      }
      assert.deepEqual(failures, []);
    },
  );

  it('CORS_ORIGINS lists the other origins allowed to change things; `*` allows every origin', async () => {
    const listed = await make({ CORS_ORIGINS: 'https://good.example, http://127.0.0.1:5081' });
    for (const headers of [
      { origin: 'https://good.example' },
      { origin: 'https://good.example', 'sec-fetch-site': 'cross-site' },
      { origin: 'http://127.0.0.1:5081', 'sec-fetch-site': 'same-site' },
    ] as Record<string, string>[]) {
      assert.equal((await code(listed, 'POST', '/api/sessions/room/clips', headers)).code, 'OV_FORBIDDEN', JSON.stringify(headers));
    }
    for (const headers of [
      { origin: 'https://evil.example' },
      { origin: 'http://good.example' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
    ] as Record<string, string>[]) {
      assert.equal((await code(listed, 'POST', '/api/sessions/room/clips', headers)).code, 'OV_CROSS_SITE', JSON.stringify(headers));
    }
    const any = await make({ CORS_ORIGINS: '*' });
    for (const headers of [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null', 'sec-fetch-site': 'cross-site' },
    ] as Record<string, string>[]) {
      assert.equal((await code(any, 'POST', '/api/sessions/room/clips', headers)).code, 'OV_FORBIDDEN', JSON.stringify(headers));
    }
  });

  it('behind a proxy with trustProxy, the forwarded scheme and host are the own origin', async () => {
    const a = await buildApp({
      config: loadConfig({ DATA_DIR: await mkdtemp(path.join(dir2, 'p-')), OPENVIDU_URL: 'http://127.0.0.1:9', OPENVIDU_SECRET: 'x', LOG_LEVEL: 'silent' }),
      logger: false,
      authorize: () => false,
      fastify: { trustProxy: true },
    });
    apps.push(a);
    const fwd = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'live.example.com' };
    assert.equal((await code(a, 'POST', '/api/sessions/room/clips', { ...fwd, origin: 'https://live.example.com' })).code, 'OV_FORBIDDEN');
    assert.equal((await code(a, 'POST', '/api/sessions/room/clips', { ...fwd, origin: 'http://live.example.com' })).code, 'OV_CROSS_SITE');
    assert.equal((await code(a, 'POST', '/api/sessions/room/clips', { ...fwd, origin: 'http://127.0.0.1:5080' })).code, 'OV_CROSS_SITE');
  });
});

describe('cross-site over HTTPS (HTTPS=1): HTTP/1.1 and HTTP/2 (:authority)', () => {
  it('the own https origin passes; http://, another port or another site → 403 OV_CROSS_SITE', async () => {
    const server = await startTestServer({ HTTPS: '1', HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '100000' });
    const client = http2.connect(server.url, { rejectUnauthorized: false });
    try {
      assert.match(server.url, /^https:/);
      const { port } = new URL(server.url);
      const own = `https://127.0.0.1:${port}`;
      const h2 = (origin: string | undefined) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = client.request({
            ':method': 'POST',
            ':path': '/api/sessions/tls-room/token',
            'content-type': 'application/json',
            ...(origin ? { origin } : {}),
          });
          let body = '';
          let status = 0;
          req.on('response', (h) => (status = Number(h[':status'])));
          req.on('data', (d) => (body += d));
          req.on('end', () => resolve({ status, body }));
          req.on('error', reject);
          req.end('{}');
        });
      const h1 = (origin: string | undefined) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = https.request(
            `${server.url}/api/sessions/tls-room/token`,
            { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) } },
            (res) => {
              let body = '';
              res.on('data', (d) => (body += d));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            },
          );
          req.on('error', reject);
          req.end('{}');
        });
      for (const [name, send] of [
        ['HTTP/2', h2],
        ['HTTP/1.1', h1],
      ] as const) {
        for (const origin of [undefined, own, `https://localhost:${port}`]) {
          const r = await send(origin);
          // localhost is another origin than 127.0.0.1 even on the same port.
          const want = origin?.includes('localhost') ? 403 : 201;
          assert.equal(r.status, want, `${name} origin ${origin}: ${r.body}`);
        }
        for (const origin of [`http://127.0.0.1:${port}`, `https://127.0.0.1:${Number(port) + 1}`, 'https://evil.example']) {
          const r = await send(origin);
          assert.equal(r.status, 403, `${name} origin ${origin}: ${r.body}`);
          assert.equal(JSON.parse(r.body).code, 'OV_CROSS_SITE');
        }
      }
    } finally {
      client.close();
      await server.stop();
    }
  });
});
