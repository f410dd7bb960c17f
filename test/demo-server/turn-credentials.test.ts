// TURN credentials for browsers (TURN_URLS + TURN_SECRET, coturn's use-auth-secret). The attacker's view first: the
// secret is in no answer, page, log line or call to OpenVidu; each connection gets its own credentials, which reach no
// other participant and verify under no other username; their expiry is read from the username. Then the maths
// against known vectors, and a real Chromium participant whose RTCPeerConnections carry the TURN servers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import util from 'node:util';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildAppOptions } from '../../demo-server/src/app.js';
import { loadConfig } from '../../demo-server/src/config.js';
import { TurnCredentials, turnCredential, turnUsername } from '../../demo-server/src/services/turn-credentials.js';
import { startEmbeddedOpenVidu, type EmbeddedOpenVidu } from '../../demo-server/embedded-openvidu/index.js';
import { startTestServer, type TestServer } from '../helpers/app-server.js';
import { newContext } from '../helpers/browser.js';
import { startOvBrowser, type OvBrowser } from '../helpers/ov-browser.js';
import { Participant } from '../helpers/participant.js';
import { RpcClient } from '../helpers/rpc-client.js';

const SECRET = 'turn-secret-' + Math.random().toString(36).slice(2);
// Nothing listens there: browsers are handed these servers, none is contacted for the tests to pass.
const URLS = ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp', 'turns:127.0.0.1:5349'];
const USERNAME = /^([0-9]{10}):([A-Za-z0-9_-]{16})$/;

/** What coturn with `use-auth-secret` checks: the username's timestamp is not past, and the password is its HMAC. */
function coturnCheck(secret: string, username: string, credential: string, nowSeconds: number): 'ok' | 'expired' | 'wrong' {
  const expiresAt = Number(username.split(':')[0]);
  if (!Number.isSafeInteger(expiresAt)) return 'wrong';
  if (expiresAt < nowSeconds) return 'expired';
  const want = createHmac('sha1', secret).update(username).digest();
  const got = Buffer.from(credential, 'base64');
  return got.length === want.length && timingSafeEqual(got, want) ? 'ok' : 'wrong';
}

type Ice = { url: string; username: string; credential: string };

/** One connection's ICE servers as OpenVidu CE 2.32 takes them: every TURN URL, one username, its credential. */
function assertTurnServers(list: Ice[], seconds: number): Ice {
  const first = list[0];
  // Exactly `{url, username, credential}` per URL (what CE reads), one username and credential for them all.
  assert.deepEqual(
    list,
    URLS.map((url) => ({ url, username: first.username, credential: first.credential })),
  );
  const m = USERNAME.exec(first.username);
  assert.ok(m, `username of the form <expiry>:<random id>: ${first.username}`);
  const expected = Math.floor(Date.now() / 1000) + seconds;
  assert.ok(Math.abs(Number(m[1]) - expected) <= 60, `expires in ${seconds} s: ${m[1]} vs ${expected}`);
  assert.equal(coturnCheck(SECRET, first.username, first.credential, Date.now() / 1000), 'ok');
  return first;
}

describe('TURN credentials: the maths', () => {
  it('is base64(HMAC-SHA1(secret, username)), against known vectors', () => {
    // RFC 2202, HMAC-SHA1 test case 2: effcdf6ae5eb2fa2d27416d5f184df9c259a7c79.
    assert.equal(turnCredential('Jefe', 'what do ya want for nothing?'), '7/zfauXrL6LSdBbV8YTfnCWafHk=');
    // printf '%s' '1700003600:conn-7Qx' | openssl dgst -sha1 -hmac 'north-wind-turn-secret' -binary | base64
    assert.equal(turnUsername(1_700_003_600, 'conn-7Qx'), '1700003600:conn-7Qx');
    assert.equal(turnCredential('north-wind-turn-secret', '1700003600:conn-7Qx'), 'iaZ4tK+9iW4Hij81GsNx7an7/2w=');
  });

  it('gives each connection its own username, expiring after the configured time, for every URL', () => {
    const now = 1_700_000_000_500;
    const turn = new TurnCredentials({ urls: URLS, secret: SECRET, seconds: 3600, now: () => now });
    const made = Array.from({ length: 1000 }, () => turn.forConnection());
    for (const servers of made) {
      const { username } = servers[0];
      assert.deepEqual(
        servers,
        URLS.map((url) => ({ url, username, credential: turnCredential(SECRET, username) })),
      );
      assert.equal(Number(USERNAME.exec(username)?.[1]), 1_700_003_600, username);
    }
    assert.equal(new Set(made.map((s) => s[0].username)).size, made.length, 'no two connections share a username');
  });

  it('attacker: a credential verifies under no other username, a later expiry cannot be forged, and expiry shows in the username', () => {
    let now = 1_700_000_000_000;
    const turn = new TurnCredentials({ urls: URLS, secret: SECRET, seconds: 600, now: () => now });
    const [a] = turn.forConnection();
    const [b] = turn.forConnection();
    const t = now / 1000;
    assert.equal(coturnCheck(SECRET, a.username, a.credential, t), 'ok');
    assert.equal(coturnCheck(SECRET, b.username, a.credential, t), 'wrong', "A's credential under B's username");
    const [, id] = a.username.split(':');
    assert.equal(coturnCheck(SECRET, `${t + 86_400}:${id}`, a.credential, t), 'wrong', 'a later expiry with the same credential');
    assert.equal(coturnCheck(`${SECRET}x`, a.username, a.credential, t), 'wrong', 'another secret');
    assert.equal(coturnCheck(SECRET, a.username, a.credential, t + 600), 'ok', 'valid to the last second');
    assert.equal(coturnCheck(SECRET, a.username, a.credential, t + 601), 'expired', 'expired, read from the username alone');
    now += 601_000;
    const [c] = turn.forConnection();
    assert.equal(coturnCheck(SECRET, c.username, c.credential, now / 1000), 'ok', 'a new connection gets fresh credentials');
  });

  it('attacker: the secret shows in no serialization of the service', () => {
    const turn = new TurnCredentials({ urls: URLS, secret: SECRET, seconds: 600 });
    for (const text of [JSON.stringify(turn), util.inspect(turn, { depth: 9, showHidden: true }), String(turn), JSON.stringify({ turn })])
      assert.ok(!text.includes(SECRET), text);
    assert.throws(() => new TurnCredentials({ urls: [], secret: SECRET, seconds: 600 }));
    assert.throws(() => new TurnCredentials({ urls: URLS, secret: '', seconds: 600 }));
  });
});

/** A pass-through proxy in front of OpenVidu that keeps every request's method, URL and body. */
async function recordingProxy(target: string) {
  const requests: Array<{ method: string; url: string; body: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', body: body.toString('utf8') });
      const up = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('TURN credentials through the token route (embedded OpenVidu)', () => {
  let dir: string;
  let ov: EmbeddedOpenVidu;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  const apps: FastifyInstance[] = [];
  const rpcs: RpcClient[] = [];
  const appLines: string[] = [];
  const ovLines: string[] = [];
  const capture = (l: string) => (msg: string, extra?: object) => ovLines.push(`${l} ${msg} ${extra ? JSON.stringify(extra) : ''}`);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ov-turn-'));
    ov = await startEmbeddedOpenVidu({
      port: 0,
      recordingPath: path.join(dir, 'recordings'),
      logger: { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') },
    });
    proxy = await recordingProxy(ov.url);
  });
  after(async () => {
    for (const r of rpcs) r.ws.close();
    for (const a of apps) await a.close();
    await proxy?.close();
    await ov?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (env: Record<string, string>) => {
    const stream = new Writable({
      write(c, _e, cb) {
        appLines.push(String(c));
        cb();
      },
    });
    const config = loadConfig({
      DATA_DIR: path.join(dir, `app-${apps.length}`),
      OPENVIDU_URL: proxy.url,
      OPENVIDU_SECRET: ov.secret,
      LOG_LEVEL: 'debug',
      ...env,
    });
    const app = await buildApp({ config, logger: { level: 'debug', stream } as BuildAppOptions['logger'] });
    apps.push(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  };
  const post = async (base: string, url: string, body: string) => {
    const res = await fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, text: await res.text() };
  };
  const join = async (token: string) => {
    const rpc = await RpcClient.connect(token);
    rpcs.push(rpc);
    return { rpc, joined: await rpc.join(token) };
  };

  it('attacker: the secret is in no answer, page, log line (debug) or call to OpenVidu; no participant receives another one’s credentials', async () => {
    const base = await start({ TURN_URLS: URLS.join(','), TURN_SECRET: SECRET, TURN_CREDENTIAL_SECONDS: '3600' });
    const answers: string[] = [];
    for (const url of ['/', '/embed', '/api/health', '/api/openapi.json', '/api/docs/json', '/no/such/route']) {
      const res = await fetch(base + url);
      answers.push(JSON.stringify([...res.headers]) + (await res.text()));
    }
    const room = 'turn-room';
    const camera = await post(base, `/api/sessions/${room}/token`, JSON.stringify({ name: 'Ann' }));
    assert.equal(camera.status, 201, camera.text);
    const watcher = await post(base, `/api/sessions/${room}/token`, JSON.stringify({ role: 'subscriber' }));
    assert.equal(watcher.status, 201, watcher.text);
    for (const bad of ['{bad', JSON.stringify({ role: 'moderator' }), JSON.stringify({ screenGrant: 'forged' })])
      answers.push((await post(base, `/api/sessions/${room}/token`, bad)).text);
    answers.push(camera.text, watcher.text);

    const a = await join(JSON.parse(camera.text).token);
    const aIce = assertTurnServers(a.joined.customIceServers, 3600);
    const screen = await post(base, `/api/sessions/${room}/token`, JSON.stringify({ screenGrant: JSON.parse(camera.text).screenGrant }));
    assert.equal(screen.status, 201, screen.text);
    answers.push(screen.text);
    const s = await join(JSON.parse(screen.text).token);
    const sIce = assertTurnServers(s.joined.customIceServers, 3600);
    const b = await join(JSON.parse(watcher.text).token);
    const bIce = assertTurnServers(b.joined.customIceServers, 3600);
    assert.equal(new Set([aIce.username, sIce.username, bIce.username]).size, 3, 'one username per connection, screen shares included');
    assert.equal(coturnCheck(SECRET, bIce.username, aIce.credential, Date.now() / 1000), 'wrong');
    await a.rpc.waitFor('participantJoined', (p) => p.id === JSON.parse(watcher.text).connectionId);
    // Each participant's frames (joinRoom's answer, notifications of the others) hold its own credentials only.
    for (const [who, rpc, own] of [
      ['A', a.rpc, aIce],
      ['S', s.rpc, sIce],
      ['B', b.rpc, bIce],
    ] as const) {
      const frames = JSON.stringify(rpc.frames);
      answers.push(frames);
      for (const other of [aIce, sIce, bIce].filter((x) => x !== own)) {
        assert.ok(!frames.includes(other.username) && !frames.includes(other.credential), `${who} received another connection's credentials`);
      }
    }

    const toOpenVidu = proxy.requests.filter((r) => r.url.endsWith('/connection'));
    assert.equal(toOpenVidu.length, 3);
    for (const r of toOpenVidu) assert.equal(JSON.parse(r.body).customIceServers.length, URLS.length);
    const b64 = Buffer.from(SECRET).toString('base64');
    const leaks = (texts: string[]) => texts.filter((t) => t.includes(SECRET) || t.includes(b64)).map((t) => t.slice(0, 300));
    assert.deepEqual(leaks(answers), [], 'answers, pages and frames with the secret');
    assert.deepEqual(leaks(proxy.requests.map((r) => r.url + r.body)), [], 'calls to OpenVidu with the secret');
    assert.ok(appLines.length > 20 && appLines.some((l) => l.includes('incoming request')), `log lines captured: ${appLines.length}`);
    assert.deepEqual(leaks(appLines), [], 'log lines with the secret');
    assert.deepEqual(leaks(ovLines), [], 'embedded OpenVidu log lines with the secret');
    // Nor are the credentials themselves logged: they let anyone relay through the TURN server until they expire.
    const creds = (l: string) => [aIce, sIce, bIce].some((c) => l.includes(c.credential));
    assert.deepEqual([...appLines, ...ovLines].filter(creds), [], 'log lines with a TURN credential');
  });

  it('without TURN_URLS the connection request to OpenVidu is unchanged: type, role and data only', async () => {
    const base = await start({});
    const mark = proxy.requests.length;
    const res = await post(base, '/api/sessions/plain-room/token', JSON.stringify({ name: 'Bo' }));
    assert.equal(res.status, 201, res.text);
    const [req] = proxy.requests.slice(mark).filter((r) => r.url.endsWith('/connection'));
    const body = JSON.parse(req.body);
    assert.equal(req.body, JSON.stringify({ type: 'WEBRTC', role: 'PUBLISHER', data: body.data }));
    const { joined } = await join(JSON.parse(res.text).token);
    assert.deepEqual(
      joined.customIceServers.map((s: Ice) => s.url.split(':')[0]),
      ['stun'],
      "OpenVidu's own ICE servers",
    );
  });
});

describe('TURN credentials in a real browser (reference server, embedded OpenVidu, openvidu-browser in Chromium)', () => {
  let server: TestServer;
  let chromium: OvBrowser;
  const SECONDS = 900;

  before(async () => {
    [server, chromium] = await Promise.all([
      startTestServer({ TURN_URLS: URLS.join(','), TURN_SECRET: SECRET, TURN_CREDENTIAL_SECONDS: String(SECONDS) }),
      startOvBrowser(),
    ]);
  });
  after(async () => {
    await chromium?.close();
    await server?.stop();
  });

  it("the publisher's and the subscriber's RTCPeerConnections carry the TURN URLs with their own verifiable credentials", async () => {
    const context = await newContext(chromium.browser);
    // Every RTCPeerConnection the page makes is kept, to read the configuration openvidu-browser gave it. A string:
    // a compiled function could call helpers the page does not have.
    await context.addInitScript(
      'const N = window.RTCPeerConnection; window.__pcs = []; window.RTCPeerConnection = class extends N { constructor(c) { super(c); window.__pcs.push(this); } };',
    );
    try {
      const token = async (body: object) => {
        const res = await fetch(`${server.url}/api/sessions/turn-browser/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        assert.equal(res.status, 201);
        return ((await res.json()) as { token: string }).token;
      };
      const pub = await Participant.open(context, chromium.pageUrl);
      await pub.join(await token({ name: 'Pub' }));
      await pub.publish();
      const sub = await Participant.open(context, chromium.pageUrl);
      await sub.join(await token({ role: 'subscriber' }));
      await sub.page.waitForFunction(() => (window as unknown as { __pcs: unknown[] }).__pcs.length > 0, undefined, { timeout: 15_000 });
      const iceOf = (p: Participant) =>
        p.page.evaluate(() =>
          (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.map((pc) =>
            (pc.getConfiguration().iceServers ?? []).map((s) => ({ urls: [s.urls].flat(), username: s.username, credential: s.credential })),
          ),
        );
      const seen: Ice[] = [];
      for (const p of [pub, sub]) {
        const pcs = await iceOf(p);
        assert.equal(pcs.length, 1, 'one peer connection');
        const servers = pcs[0].map((s) => ({ url: s.urls.join(), username: String(s.username), credential: String(s.credential) }));
        seen.push(assertTurnServers(servers, SECONDS));
      }
      assert.notEqual(seen[0].username, seen[1].username, 'the publisher and the subscriber have their own credentials');
      await pub.close();
      await sub.close();
    } finally {
      await context.close();
    }
  });
});
