// The demo page, the iframe page, their assets and the element bundle as the server serves them; and
// `HTTPS=1 npm start`: a generated certificate, and OpenVidu's WebSocket reached through the server's own origin.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/app-server.js';
import { loadOrCreateCertificate } from '../../demo-server/src/tls.js';
import os from 'node:os';

describe('pages', () => {
  let server: TestServer;
  before(async () => {
    // As `npm start` does: build the bundle when it is missing or stale.
    const build = spawnSync(process.execPath, ['scripts/ensure-build.mjs'], { encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    server = await startTestServer({ EMBED_ORIGINS: 'https://cms.example, https://blog.example' });
  });
  after(() => server?.stop());

  const get = (p: string, init?: RequestInit) => fetch(`${server.url}${p}`, init);

  it('/ is the demo page: HTML that loads the element bundle and its script, framed by its own origin only', async () => {
    const res = await get('/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/html/);
    const html = await res.text();
    assert.match(html, /<script type="module" src="\/ov-live-elements.js"><\/script>/);
    assert.match(html, /src="\/demo\/demo.js"/);
    const csp = res.headers.get('content-security-policy')!;
    assert.match(csp, /frame-ancestors 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /upgrade-insecure-requests/, 'ws:// to OpenVidu must not be upgraded on a plain-HTTP demo');
    assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
  });

  it('/embed may be framed by the origins in EMBED_ORIGINS, and checks its own query fields', async () => {
    const res = await get('/embed?session=room-1&name=Ann&utm_source=cms');
    assert.equal(res.status, 200);
    assert.match(await res.text(), /src="\/demo\/embed.js"/);
    assert.match(res.headers.get('content-security-policy')!, /frame-ancestors https:\/\/cms.example https:\/\/blog.example(;|$)/);
    assert.equal(res.headers.get('x-frame-options'), null);
    for (const q of ['session=../x', 'session=a%20b', `name=${'x'.repeat(65)}`, 'lang=english']) {
      const bad = await get(`/embed?${q}`);
      assert.equal(bad.status, 400, q);
      assert.equal((await bad.json()).code, 'OV_VALIDATION_FAILED');
    }
  });

  it('assets are served from the public folder only, whatever the path asks', async () => {
    const js = await get('/demo/demo.js');
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type')!, /^text\/javascript/);
    assert.equal(await js.text(), await readFile(path.resolve('demo-server/public/demo.js'), 'utf8'));
    for (const p of [
      '/demo/..%2Fsrc%2Fserver.ts',
      '/demo/..%2F..%2Fpackage.json',
      '/demo/%2Fetc%2Fpasswd',
      '/demo/index.html',
      '/demo/Demo.js',
      '/demo/.env.js',
    ]) {
      const res = await get(p);
      assert.equal(res.status, 400, p);
      assert.equal((await res.json()).code, 'OV_VALIDATION_FAILED', p);
    }
    const missing = await get('/demo/nothing-here.js');
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).code, 'OV_FILE_NOT_FOUND');
  });

  it('the element bundle is served to pages on any origin (a module script is a CORS request)', async () => {
    const res = await get('/ov-live-elements.js', { headers: { origin: 'https://cms.example' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/javascript/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
    // Its parts, imported from beside it, the same way; their names carry a hash, so they are cached for good.
    const parts = [...(await res.text()).matchAll(/from"\.\/(ov-live-elements\/[\w-]+\.js)"/g)].map((m) => m[1]);
    assert.ok(parts.length > 0, 'the entry imports its parts');
    for (const part of parts) {
      const r = await get(`/${part}`, { headers: { origin: 'https://cms.example' } });
      assert.equal(r.status, 200, part);
      assert.match(r.headers.get('content-type')!, /^text\/javascript/);
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      assert.match(r.headers.get('cache-control')!, /immutable/);
      assert.ok((await r.arrayBuffer()).byteLength > 50_000, part);
    }
    assert.equal((await get('/ov-live-elements/..%2Fov-live-elements.js')).status, 400);
    assert.equal((await get('/ov-live-elements/nothing-AAAAAAAA.js')).status, 404);
  });

  it('API responses stay same-origin resources unless CORS_ORIGINS lets other sites in', async () => {
    assert.equal((await get('/api/health')).headers.get('cross-origin-resource-policy'), 'same-origin');
    const open = await startTestServer({ CORS_ORIGINS: 'https://cms.example' });
    try {
      assert.equal((await fetch(`${open.url}/api/health`)).headers.get('cross-origin-resource-policy'), 'cross-origin');
    } finally {
      await open.stop();
    }
  });
});

describe('HTTPS=1', () => {
  let server: TestServer;
  let ca: string;
  before(async () => {
    server = await startTestServer({ HTTPS: '1' });
    ca = await readFile(path.join(server.dataDir, 'tls/cert.pem'), 'utf8');
  });
  after(() => server?.stop());

  it('serves over HTTPS with a certificate for localhost and the listening address; the key is private', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const cert = new X509Certificate(ca);
    assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
    assert.match(cert.subjectAltName ?? '', /IP Address:127.0.0.1/);
    assert.ok(Date.parse(cert.validTo) > Date.now() + 300 * 24 * 3600 * 1000);
    const { mode } = await stat(path.join(server.dataDir, 'tls/key.pem'));
    assert.equal(mode & 0o077, 0, 'key.pem is readable by its owner only');
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`${server.url}/api/health`, { ca }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    assert.equal(JSON.parse(body).openvidu, 'embedded');
  });

  it("a token points at the server's own origin, and OpenVidu answers JSON-RPC through it", async () => {
    const { token } = await new Promise<{ token: string }>((resolve, reject) => {
      const req = https.request(`${server.url}/api/sessions/tls-room/token`, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ name: 'Ann' }));
    });
    const url = new URL(token);
    assert.equal(url.protocol, 'wss:');
    assert.equal(url.host, new URL(server.url).host, 'one origin, one certificate to accept');
    const ws = new WebSocket(`wss://${url.host}/openvidu`, { ca });
    const reply = await new Promise<{ id: number; result?: { value?: string } }>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping', params: { interval: 5000 } })));
      ws.on('message', (m) => resolve(JSON.parse(String(m))));
      ws.on('error', reject);
    });
    ws.close();
    assert.equal(reply.id, 7);
    assert.equal(reply.result?.value, 'pong');
  });

  it('other WebSocket paths are refused', async () => {
    const ws = new WebSocket(`wss://${new URL(server.url).host}/elsewhere`, { ca });
    const status = await new Promise<number>((resolve) =>
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)).on('error', () => resolve(-1)),
    );
    assert.equal(status, 404);
  });

  it('the certificate is kept across restarts and made again when the addresses change', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ov-tls-'));
    try {
      const a = await loadOrCreateCertificate(dir, ['localhost', '127.0.0.1']);
      const b = await loadOrCreateCertificate(dir, ['localhost', '127.0.0.1']);
      assert.equal(b.cert, a.cert);
      const c = await loadOrCreateCertificate(dir, ['localhost', '127.0.0.1', '192.168.1.20']);
      assert.notEqual(c.cert, a.cert);
      assert.match(new X509Certificate(c.cert).subjectAltName ?? '', /IP Address:192.168.1.20/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
