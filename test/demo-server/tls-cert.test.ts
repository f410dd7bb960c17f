// TLS_CERT / TLS_KEY: a real certificate laid out as certbot lays it out (live/ symlinks into archive/), checked at
// start, served to browsers (SNI) while connections by address get the self-signed one OpenVidu's webhook trusts,
// and reloaded when the symlinks are swapped; a broken pair keeps the old one. Then the plain-HTTP side: redirects
// that never leave the site's host whatever the Host header says, and ACME challenges whose token names one file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import https from 'node:https';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { generate } from 'selfsigned';
import { buildApp } from '../../demo-server/src/app.js';
import { loadConfig } from '../../demo-server/src/config.js';
import {
  CertificateFileError,
  loadCertificateFiles,
  serveCertificate,
  watchCertificate,
  type CertificateFiles,
  type LoadedCertificate,
} from '../../demo-server/src/cert-reload.js';
import { redirectAuthority, startHttpRedirect } from '../../demo-server/src/http-redirect.js';
import { loadOrCreateCertificate, publicSocketUrl } from '../../demo-server/src/tls.js';

const NAME = 'example.test';

async function makePair(cn: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: NAME },
          { type: 2, value: `www.${NAME}` },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** The certificate a new TLS connection is served, checked against `ca` for `servername` (none: by address). */
function peerFingerprint(port: number, ca: string[], servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, ...(servername ? { servername } : {}), ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}

/** A log whose lines can be awaited. */
function recordingLog() {
  const lines: Array<{ level: 'info' | 'error'; msg: string }> = [];
  const waiters: Array<{ match: (l: (typeof lines)[number]) => boolean; resolve: (msg: string) => void }> = [];
  const push = (level: 'info' | 'error', msg: string) => {
    lines.push({ level, msg });
    for (const w of waiters.splice(0))
      if (w.match({ level, msg })) w.resolve(msg);
      else waiters.push(w);
  };
  return {
    lines,
    info: (msg: string) => push('info', msg),
    error: (msg: string) => push('error', msg),
    next: (level: 'info' | 'error', re: RegExp) =>
      new Promise<string>((resolve, reject) => {
        const found = lines.find((l) => l.level === level && re.test(l.msg));
        if (found) return resolve(found.msg);
        const t = setTimeout(() => reject(new Error(`no ${level} line matching ${re} within 20 s`)), 20_000);
        waiters.push({ match: (l) => l.level === level && re.test(l.msg), resolve: (m) => (clearTimeout(t), resolve(m)) });
      }),
  };
}

/** Poll new connections (bounded) until one is served `want`. */
async function servedEventually(port: number, ca: string[], want: string): Promise<void> {
  let seen = '';
  for (let i = 0; i < 200 && seen !== want; i++) {
    seen = await peerFingerprint(port, ca, NAME);
    if (seen !== want) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(seen, want, 'the renewed certificate is served to new connections within 20 s');
}

let dir: string;
let pairA: { cert: string; key: string };
let pairB: { cert: string; key: string };
let live: CertificateFiles;
const archive = (f: string) => path.join(dir, 'archive', NAME, f);

/** certbot's swap: a new symlink renamed over the old one. */
async function pointLive(which: 'cert' | 'key', target: string): Promise<void> {
  const tmp = `${live[which]}.new`;
  await symlink(path.relative(path.dirname(live[which]), archive(target)), tmp);
  await rename(tmp, live[which]);
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ov-tls-'));
  [pairA, pairB] = await Promise.all([makePair('pair A'), makePair('pair B')]);
  await mkdir(path.join(dir, 'archive', NAME), { recursive: true });
  await mkdir(path.join(dir, 'live', NAME), { recursive: true });
  await writeFile(archive('fullchain1.pem'), pairA.cert);
  await writeFile(archive('privkey1.pem'), pairA.key, { mode: 0o600 });
  await writeFile(archive('fullchain2.pem'), pairB.cert);
  await writeFile(archive('privkey2.pem'), pairB.key, { mode: 0o600 });
  live = { cert: path.join(dir, 'live', NAME, 'fullchain.pem'), key: path.join(dir, 'live', NAME, 'privkey.pem') };
  await pointLive('cert', 'fullchain1.pem');
  await pointLive('key', 'privkey1.pem');
});
after(() => rm(dir, { recursive: true, force: true }));

describe('TLS_CERT / TLS_KEY checked at start', () => {
  const refused = async (files: CertificateFiles, re: RegExp, now?: Date) => {
    const err = await loadCertificateFiles(files, now).then(
      () => assert.fail('accepted'),
      (e: Error) => e,
    );
    assert.ok(err instanceof CertificateFileError, String(err));
    assert.match(err.message, re);
    assert.doesNotMatch(err.message, /\n/, 'one line');
  };

  it('reads the pair through the symlinks, with its names and fingerprint', async () => {
    const c = await loadCertificateFiles(live);
    assert.deepEqual(c.names, [NAME, `www.${NAME}`]);
    assert.equal(c.fingerprint256, new (await import('node:crypto')).X509Certificate(pairA.cert).fingerprint256);
  });

  it('refuses a missing file, a file that is no certificate or no key, a mismatched pair and an expired certificate', async () => {
    await refused({ cert: path.join(dir, 'nope.pem'), key: live.key }, /^TLS_CERT .*nope\.pem cannot be read \(ENOENT\)/);
    await refused({ cert: live.cert, key: path.join(dir, 'nope.pem') }, /^TLS_KEY .*nope\.pem cannot be read/);
    await writeFile(path.join(dir, 'junk.pem'), 'not a pem\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    await refused({ cert: path.join(dir, 'junk.pem'), key: live.key }, /^TLS_CERT .*junk\.pem holds no PEM certificate/);
    await refused({ cert: live.cert, key: live.cert }, /^TLS_KEY .* holds no PEM private key/);
    await refused({ cert: archive('fullchain1.pem'), key: archive('privkey2.pem') }, /^TLS_KEY .*privkey2\.pem is not the key of TLS_CERT .*fullchain1\.pem/);
    await refused(live, /expired on/, new Date('2200-01-01T00:00:00Z'));
  });
});

describe('a real certificate served and reloaded', () => {
  let app: FastifyInstance;
  let port: number;
  let loopback: { cert: string; key: string };
  const log = recordingLog();
  let watch: { close(): void } | undefined;
  let fpA: string;
  let fpB: string;

  before(async () => {
    loopback = await loadOrCreateCertificate(dir, ['localhost', '127.0.0.1']);
    const real = await loadCertificateFiles(live);
    fpA = real.fingerprint256;
    fpB = new (await import('node:crypto')).X509Certificate(pairB.cert).fingerprint256;
    const served = serveCertificate(real, loopback);
    const config = loadConfig({ DATA_DIR: dir, OPENVIDU_URL: 'http://127.0.0.1:9', OPENVIDU_SECRET: 'unused-secret', LOG_LEVEL: 'silent' });
    app = await buildApp({ config, logger: false, fastify: { http2: true, https: served.https } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as net.AddressInfo).port;
    // Directory watches and a 60 s poll: the swap is seen through the directory watch.
    watch = watchCertificate(served, live, log, { intervalMs: 60_000, debounceMs: 100, retryMs: 300 });
  });
  after(async () => {
    watch?.close();
    await app?.close();
  });

  it('serves it to a browser naming the host, over HTTP/1.1 and HTTP/2, and the self-signed one to a connection by address', async () => {
    assert.equal(await peerFingerprint(port, [pairA.cert], NAME), fpA);
    // OpenVidu's webhook: https://127.0.0.1:PORT, checked against the self-signed certificate (NODE_EXTRA_CA_CERTS).
    const byAddress = await peerFingerprint(port, [loopback.cert]);
    assert.equal(byAddress, new (await import('node:crypto')).X509Certificate(loopback.cert).fingerprint256);
    const status = await new Promise<number>((resolve, reject) =>
      https
        .get({ host: '127.0.0.1', port, path: '/api/health', servername: NAME, ca: [pairA.cert], headers: { host: NAME } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject),
    );
    assert.ok(status > 0 && status < 500, `an answer over HTTP/1.1 (${status})`);
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca: [pairA.cert], servername: NAME });
    try {
      const h2status = await new Promise<number>((resolve, reject) => {
        const req = session.request({ ':path': '/api/health', ':authority': NAME });
        req.on('response', (h) => resolve(Number(h[':status'])));
        req.on('error', reject);
        req.resume();
        req.end();
      });
      assert.equal(h2status, status, 'the same answer over HTTP/2');
    } finally {
      session.close();
    }
  });

  it('serves the renewed pair to new connections once the live/ symlinks are swapped', async () => {
    await pointLive('cert', 'fullchain2.pem');
    await pointLive('key', 'privkey2.pem');
    await servedEventually(port, [pairA.cert, pairB.cert], fpB);
    assert.match(await log.next('info', /reloaded/), /example\.test/);
  });

  it('keeps serving the previous pair when the new one does not match, and says why', async () => {
    await pointLive('key', 'privkey1.pem'); // certificate B with key A
    const msg = await log.next('error', /not reloaded/);
    assert.match(msg, /is not the key of TLS_CERT/);
    assert.equal(await peerFingerprint(port, [pairA.cert, pairB.cert], NAME), fpB);
    await pointLive('key', 'privkey2.pem'); // put right: the same pair, nothing to reload
  });
});

describe('the stat poll alone sees the swap (file systems without directory watches)', () => {
  it('reloads within the poll interval', async () => {
    const current: { c: LoadedCertificate } = { c: await loadCertificateFiles(live) };
    const log = recordingLog();
    const w = watchCertificate({ current: () => current.c, use: (n) => (current.c = n) }, live, log, {
      intervalMs: 200,
      debounceMs: 50,
      retryMs: 200,
      watchDirectories: false,
    });
    try {
      const before = current.c.fingerprint256;
      await pointLive('cert', before === new (await import('node:crypto')).X509Certificate(pairA.cert).fingerprint256 ? 'fullchain2.pem' : 'fullchain1.pem');
      await pointLive('key', before === new (await import('node:crypto')).X509Certificate(pairA.cert).fingerprint256 ? 'privkey2.pem' : 'privkey1.pem');
      await log.next('info', /reloaded/);
      assert.notEqual(current.c.fingerprint256, before);
    } finally {
      w.close();
    }
  });
});

/** One raw HTTP/1.1 exchange: the request exactly as written (no client fixes the Host or the target). */
function raw(port: number, request: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    // Written, not half-closed: the server ends the exchange (Connection: close).
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}
const get = (port: number, target: string, host?: string, method = 'GET') =>
  raw(port, `${method} ${target} HTTP/1.1\r\n${host === undefined ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`);

describe('HTTP → HTTPS redirect and ACME challenges', () => {
  let webroot: string;
  let redirect: { port: number; close(): Promise<void> };
  let pinned: { port: number; close(): Promise<void> };
  const warnings: string[] = [];

  before(async () => {
    webroot = path.join(dir, 'acme-challenge');
    redirect = await startHttpRedirect({ port: 0, host: '127.0.0.1', httpsPort: 8443, acmeWebroot: webroot, log: { warn: (m) => warnings.push(m) } });
    pinned = await startHttpRedirect({
      port: 0,
      host: '127.0.0.1',
      httpsPort: 443,
      publicUrl: 'https://video.example.test',
      acmeWebroot: webroot,
      log: { warn: (m) => warnings.push(m) },
    });
  });
  after(async () => {
    await redirect?.close();
    await pinned?.close();
  });

  it('sends a request to the same path on HTTPS, with 308', async () => {
    const r = await get(redirect.port, '/room/a-1?x=1&y=%2F', `${NAME}:8080`);
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, `https://${NAME}:8443/room/a-1?x=1&y=%2F`);
    const p = await get(pinned.port, '/api/health', 'anything.example');
    assert.equal(p.headers.location, 'https://video.example.test/api/health', 'PUBLIC_URL decides the host');
    assert.equal(redirectAuthority('Example.TEST', 443), 'example.test');
    assert.equal(redirectAuthority('[::1]:80', 8443), '[::1]:8443');
  });

  it('never redirects off the host named, whatever the Host header or the target holds', async () => {
    for (const host of ['evil.com/..', 'a b', 'evil.com/path', 'user@evil.com', 'evil.com?x', 'evil.com#x', 'evil.com\\x', '[evil.com]', '%65vil.com', '']) {
      const r = await get(redirect.port, '/x', host);
      assert.equal(r.status, 400, `Host ${JSON.stringify(host)} refused`);
      assert.equal(r.headers.location, undefined);
      assert.equal(redirectAuthority(host, 443), undefined, `${JSON.stringify(host)} refused by the server, not only by the HTTP parser`);
    }
    assert.equal((await get(redirect.port, '/x')).status, 400, 'no Host at all');
    for (const target of ['http://evil.com/', '*']) {
      const r = await get(redirect.port, target, NAME, target === '*' ? 'OPTIONS' : 'GET');
      assert.equal(r.status, 400, `target ${target}`);
      assert.equal(r.headers.location, undefined);
    }
    for (const target of ['//evil.com/x', '///evil.com', '/\\evil.com', '/%2F%2Fevil.com']) {
      const r = await get(redirect.port, target, NAME);
      assert.equal(r.status, 308, target);
      assert.equal(new URL(r.headers.location).host, `${NAME}:8443`, `${target} → ${r.headers.location}`);
    }
    // With PUBLIC_URL even a hostile Host goes to the public host.
    const p = await get(pinned.port, '//evil.com/', 'evil.com');
    assert.equal(new URL(p.headers.location).host, 'video.example.test');
  });

  it('answers an ACME challenge from the webroot, and nothing outside it', async () => {
    const dirOf = path.join(webroot, '.well-known', 'acme-challenge');
    const token = 'Tok_en-' + 'x'.repeat(40);
    await writeFile(path.join(dirOf, token), `${token}.thumbprint`);
    const ok = await get(redirect.port, `/.well-known/acme-challenge/${token}`, NAME);
    assert.equal(ok.status, 200);
    assert.equal(ok.body, `${token}.thumbprint`);
    assert.equal((await get(redirect.port, `/.well-known/acme-challenge/${token}`, NAME, 'HEAD')).status, 200);
    assert.equal((await get(redirect.port, `/.well-known/acme-challenge/${token}`, NAME, 'POST')).status, 405);
    assert.equal((await get(redirect.port, '/.well-known/acme-challenge/absent', NAME)).status, 404);
    // Outside the webroot: a secret beside it, reached by traversal or by a symlink planted in the webroot.
    await writeFile(path.join(dir, 'secret'), 'SECRET');
    await symlink(path.join(dir, 'secret'), path.join(dirOf, 'linked'));
    for (const t of [
      '../../../secret',
      '..%2f..%2f..%2fsecret',
      '%2e%2e%2f%2e%2e%2fsecret',
      '..%252fsecret',
      '..',
      '.',
      'linked',
      'a/b',
      'x'.repeat(129),
      '',
    ]) {
      const r = await get(redirect.port, `/.well-known/acme-challenge/${t}`, NAME);
      assert.ok(r.status === 404 || r.status === 400, `${t}: ${r.status}`);
      assert.doesNotMatch(r.body, /SECRET/);
      assert.equal(r.headers.location, undefined);
    }
    assert.deepEqual(warnings, []);
  });

  it('says which port cannot be taken, in one line', async () => {
    const err = await startHttpRedirect({ port: redirect.port, host: '127.0.0.1', httpsPort: 443, acmeWebroot: webroot, log: { warn: () => {} } }).then(
      () => assert.fail('started twice on one port'),
      (e: Error) => e,
    );
    assert.match(err.message, /^HTTP_REDIRECT_PORT \d+ is in use/);
  });
});

describe('OpenVidu WebSocket URL with a real certificate', () => {
  it('is the public origin, never an address', () => {
    assert.equal(publicSocketUrl('https://video.example.test', [], 443), 'wss://video.example.test');
    assert.equal(publicSocketUrl('https://video.example.test:8443/app', [], 5080), 'wss://video.example.test:8443');
    assert.equal(publicSocketUrl('http://video.example.test:8080', [], 5080), 'ws://video.example.test:8080');
    assert.equal(publicSocketUrl(undefined, ['*.example.test', '203.0.113.5', NAME], 443), `wss://${NAME}`);
    assert.equal(publicSocketUrl(undefined, [NAME], 8443), `wss://${NAME}:8443`);
    assert.equal(publicSocketUrl(undefined, ['203.0.113.5'], 443), undefined);
  });
});
