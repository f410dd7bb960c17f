/**
 * The REST API with plain HTTP, for what openvidu-node-client does not exercise (protocol §6): Basic auth, CORS,
 * JSON shapes, query flags, CE quirks, signals, config, Pro-only routes, recording validation and recording files,
 * then hostile input: malformed bodies, wrong types, oversized and mistyped bodies, path traversal and odd ids, a
 * seeded fuzz loop, and JSON-RPC abuse over the WebSocket.
 *
 * Run: node --import tsx --test test/embedded-openvidu/rest.test.ts
 * The fuzz seed is FUZZ_SEED (default 0x5eed); a failure message names the seed and the request.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { appendFileSync } from 'node:fs';
import { useStubRecorder } from '../helpers/stub-recorder.js';
import { openviduTarget, isEmbedded, type OpenViduTarget } from '../helpers/openvidu-target.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { sleep } from '../helpers/until.js';

let target: OpenViduTarget;
let AUTH: string;
let agent: http.Agent;
const clients = new Set<RpcClient>();
const cleanups: Array<() => Promise<unknown> | unknown> = [];

const uid = () => Math.random().toString(36).slice(2, 10);
const API = '/openvidu/api';

before(async () => {
  target = await openviduTarget();
  AUTH = 'Basic ' + Buffer.from(`OPENVIDUAPP:${target.secret}`).toString('base64');
  agent = new (target.url.startsWith('https') ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: 4, rejectUnauthorized: false } as https.AgentOptions);
});

after(async () => {
  for (const c of clients) c.terminate();
  for (const fn of cleanups.reverse()) await fn();
  agent.destroy();
  await target.close();
});

// ---------------------------------------------------------------------------------------------- HTTP helpers

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: any;
}

/**
 * One request with the path sent byte for byte (no URL normalisation, unlike fetch), so `..`, `%2e%2e` and friends
 * reach the server as written.
 */
function raw(
  method: string,
  rawPath: string,
  opts: { headers?: Record<string, string | number>; body?: string | Buffer; auth?: boolean | string; chunks?: Buffer[] } = {},
): Promise<Res> {
  const u = new URL(target.url);
  const headers: Record<string, string | number> = { ...opts.headers };
  const auth = opts.auth ?? true;
  if (auth === true) headers.Authorization = AUTH;
  else if (typeof auth === 'string') headers.Authorization = auth;
  // Node's client sends a DELETE/OPTIONS body with neither Content-Length nor chunking: always declare the length.
  if (opts.body !== undefined && !opts.chunks && !Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h))) {
    headers['Content-Length'] = Buffer.byteLength(opts.body);
  }
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({ host: u.hostname, port: u.port, method, path: rawPath, headers, agent, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let json: unknown;
        if (String(res.headers['content-type'] ?? '').includes('json') && text) {
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.chunks) {
      for (const c of opts.chunks) req.write(c);
      req.end();
    } else req.end(opts.body);
  });
}

/** JSON request helper: objects are JSON-encoded with `Content-Type: application/json`. */
function api(method: string, p: string, body?: unknown, opts: { auth?: boolean | string; headers?: Record<string, string> } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    headers['Content-Type'] ??= 'application/json';
  }
  return raw(method, p.startsWith('/openvidu') ? p : API + p, { headers, body: payload, auth: opts.auth });
}

/** A 4xx answered by the REST layer: CE's error JSON `{timestamp, status, error, message, path}`. */
function assertJsonError(r: Res, status: number | number[], what: string) {
  const ok = Array.isArray(status) ? status.includes(r.status) : r.status === status;
  assert.ok(ok, `${what}: expected ${JSON.stringify(status)}, got ${r.status} ${r.text.slice(0, 200)}`);
  if (!isEmbedded()) return; // a real OpenVidu answers many errors with an empty body
  assert.match(String(r.headers['content-type']), /application\/json/, `${what}: error body is JSON`);
  assert.equal(r.json?.status, r.status, `${what}: body.status`);
  assert.equal(typeof r.json?.message, 'string', `${what}: body.message`);
  assert.equal(typeof r.json?.error, 'string', `${what}: body.error`);
  assert.equal(typeof r.json?.timestamp, 'number', `${what}: body.timestamp`);
}

async function createSession(body: Record<string, unknown> = {}): Promise<any> {
  const r = await api('POST', '/sessions', body);
  assert.equal(r.status, 200, `POST /sessions: ${r.text}`);
  cleanups.push(() => api('DELETE', `/sessions/${r.json.id}`));
  return r.json;
}

async function createConnection(sessionId: string, body: Record<string, unknown> = {}): Promise<any> {
  const r = await api('POST', `/sessions/${sessionId}/connection`, body);
  assert.equal(r.status, 200, `POST connection: ${r.text}`);
  return r.json;
}

/** A media-less participant (JSON-RPC) that keeps pinging so the server's 15 s ping watchdog never fires. */
async function participant(token: string, metadata = '') {
  const rpc = await RpcClient.connect(token);
  clients.add(rpc);
  const keepAlive = setInterval(() => rpc.request('ping').catch(() => {}), 4000);
  keepAlive.unref();
  rpc.ws.once('close', () => clearInterval(keepAlive));
  const result = await rpc.join(token, metadata);
  return { rpc, result, id: result.id as string };
}

async function activeSession(n = 1) {
  const s = await createSession();
  const ps = [];
  for (let i = 0; i < n; i++) ps.push(await participant((await createConnection(s.id, { data: `p${i}` })).token, `client${i}`));
  return { s, ps };
}

/** Seeded PRNG (mulberry32) so the fuzz is reproducible. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    bool: (p = 0.5) => next() < p,
  };
}

// ---------------------------------------------------------------------------------------------- fake recorder

const FAKE_FILE = (() => {
  const r = prng(42);
  return Buffer.from(Array.from({ length: 10_000 }, () => r.int(256)));
})();

async function waitRecordingStatus(id: string, status: string, timeoutMs = 10_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: Res | undefined;
  while (Date.now() < deadline) {
    last = await api('GET', `/recordings/${id}`);
    if (last.json?.status === status) return last.json;
    await sleep(50);
  }
  assert.fail(`recording ${id} not ${status} within ${timeoutMs} ms: ${last?.text}`);
}

// ============================================================================================== auth and CORS

describe('Basic auth and CORS', () => {
  test('missing or wrong credentials → 401 with WWW-Authenticate: Basic', async () => {
    const cases: Array<[string, string | false]> = [
      ['no Authorization header', false],
      ['wrong secret', 'Basic ' + Buffer.from('OPENVIDUAPP:wrong').toString('base64')],
      ['wrong user', 'Basic ' + Buffer.from(`SOMEONE:${target.secret}`).toString('base64')],
      ['no colon', 'Basic ' + Buffer.from(`OPENVIDUAPP${target.secret}`).toString('base64')],
      ['not base64', 'Basic !!!!'],
      ['Bearer scheme', `Bearer ${target.secret}`],
      ['secret in clear', `Basic OPENVIDUAPP:${target.secret}`],
    ];
    for (const [what, auth] of cases) {
      for (const [m, p] of [
        ['GET', '/sessions'],
        ['POST', '/sessions'],
        ['GET', '/config'],
        ['GET', '/recordings'],
        ['DELETE', '/sessions/x'],
      ] as const) {
        const r = await api(m, p, m === 'POST' ? {} : undefined, { auth });
        assertJsonError(r, 401, `${what}: ${m} ${p}`);
        assert.match(String(r.headers['www-authenticate']), /^Basic/i, `${what}: ${m} ${p} WWW-Authenticate`);
      }
    }
    const ok = await api('GET', '/sessions');
    assert.equal(ok.status, 200);
  });

  test('CORS preflight OPTIONS with Origin → 200 and the allow headers, no auth needed', async () => {
    const origin = 'https://app.example.com';
    for (const p of ['/sessions', '/sessions/any/connection', '/recordings/start', '/signal', '/config']) {
      const r = await api('OPTIONS', p, undefined, {
        auth: false,
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
      });
      assert.equal(r.status, 200, `OPTIONS ${p}`);
      assert.ok([origin, '*'].includes(String(r.headers['access-control-allow-origin'])), `allow-origin for ${p}: ${r.headers['access-control-allow-origin']}`);
      const methods = String(r.headers['access-control-allow-methods']).toUpperCase();
      for (const m of ['GET', 'POST', 'DELETE']) assert.ok(methods.includes(m), `allow-methods has ${m}: ${methods}`);
      const allowHeaders = String(r.headers['access-control-allow-headers']).toLowerCase();
      assert.ok(allowHeaders === '*' || (allowHeaders.includes('authorization') && allowHeaders.includes('content-type')), `allow-headers: ${allowHeaders}`);
      // CE allows every origin but no credentials: a reflected origin with credentials would let any site use them.
      assert.notEqual(r.headers['access-control-allow-credentials'], 'true', `no credentials for ${p}`);
    }
    // Actual requests carry the allow-origin header too, error responses included.
    const g = await api('GET', '/sessions', undefined, { headers: { Origin: origin } });
    assert.equal(g.status, 200);
    assert.ok([origin, '*'].includes(String(g.headers['access-control-allow-origin'])));
    const e = await api('GET', '/sessions', undefined, { auth: false, headers: { Origin: origin } });
    assert.equal(e.status, 401);
    assert.ok([origin, '*'].includes(String(e.headers['access-control-allow-origin'])), 'a 401 is still readable cross-origin');
  });
});

// ============================================================================================== sessions, connections

describe('Sessions and connections: JSON shapes and CE quirks', () => {
  test('POST /sessions → Session JSON (§6.1.1)', async () => {
    const before = Date.now();
    const s = await createSession();
    assert.equal(s.object, 'session');
    assert.equal(s.sessionId, s.id);
    assert.ok(s.createdAt >= before - 5000 && s.createdAt <= Date.now() + 5000);
    assert.equal(s.recording, false);
    assert.equal(s.broadcasting, false);
    assert.equal(s.mediaMode, 'ROUTED');
    assert.equal(s.recordingMode, 'MANUAL');
    assert.equal(s.customSessionId, '');
    assert.equal(s.forcedVideoCodec, 'MEDIA_SERVER_PREFERRED');
    assert.equal(s.allowTranscoding, false);
    assert.deepEqual(s.defaultRecordingProperties, {
      name: '',
      hasAudio: true,
      hasVideo: true,
      outputMode: 'COMPOSED',
      recordingLayout: 'BEST_FIT',
      resolution: '1280x720',
      frameRate: 25,
      shmSize: 536870912,
    });
    assert.deepEqual(s.connections, { numberOfElements: 0, content: [] });

    // INDIVIDUAL defaults carry ignoreFailedStreams and none of the COMPOSED-only fields.
    const ind = await createSession({ defaultRecordingProperties: { outputMode: 'INDIVIDUAL' } });
    assert.deepEqual(ind.defaultRecordingProperties, { name: '', hasAudio: true, hasVideo: true, outputMode: 'INDIVIDUAL', ignoreFailedStreams: false });

    const custom = `rest-${uid()}`;
    const c = await createSession({ customSessionId: custom, forcedVideoCodec: 'H264' });
    assert.equal(c.id, custom);
    assert.equal(c.customSessionId, custom);
    assert.equal(c.forcedVideoCodec, 'H264');
    const dup = await api('POST', '/sessions', { customSessionId: custom });
    assert.equal(dup.status, 409, 'duplicate customSessionId → 409');
    const get = await api('GET', `/sessions/${custom}`);
    assert.equal(get.status, 200, 'GET works after a 409');
    assert.equal(get.json.createdAt, c.createdAt);
  });

  test('GET /sessions → {numberOfElements, content}; pendingConnections flag on list, one and /connection', async () => {
    const s = await createSession();
    const pending = await createConnection(s.id, { data: 'pending-one' });
    const active = await participant((await createConnection(s.id, { data: 'active-one' })).token, 'meta');

    const list = await api('GET', '/sessions');
    assert.equal(list.status, 200);
    assert.equal(list.json.numberOfElements, list.json.content.length);
    const listed = list.json.content.find((x: any) => x.id === s.id);
    assert.ok(listed, 'the session is listed');
    assert.deepEqual(
      listed.connections.content.map((c: any) => c.id),
      [active.id],
      'list: pending hidden by default',
    );
    const listP = await api('GET', '/sessions?pendingConnections=true');
    const listedP = listP.json.content.find((x: any) => x.id === s.id);
    assert.deepEqual(listedP.connections.content.map((c: any) => c.id).sort(), [active.id, pending.id].sort());
    assert.equal(listedP.connections.numberOfElements, 2);

    const one = await api('GET', `/sessions/${s.id}`);
    assert.deepEqual(
      one.json.connections.content.map((c: any) => c.id),
      [active.id],
      'GET one: pending hidden by default',
    );
    const oneP = await api('GET', `/sessions/${s.id}?pendingConnections=true`);
    assert.equal(oneP.json.connections.numberOfElements, 2);
    const oneF = await api('GET', `/sessions/${s.id}?pendingConnections=false`);
    assert.equal(oneF.json.connections.numberOfElements, 1);

    const conns = await api('GET', `/sessions/${s.id}/connection`);
    assert.equal(conns.status, 200);
    assert.equal(conns.json.numberOfElements, 2, '/connection: pendingConnections defaults to true');
    assert.equal(conns.json.content.length, 2);
    const connsF = await api('GET', `/sessions/${s.id}/connection?pendingConnections=false`);
    assert.deepEqual(
      connsF.json.content.map((c: any) => c.id),
      [active.id],
    );
  });

  test('Connection JSON: pending (nulls, publishers:null) and active (§6.2.1)', async () => {
    const s = await createSession();
    const p = await createConnection(s.id, { role: 'SUBSCRIBER', data: 'sd', record: false, kurentoOptions: { allowedFilters: ['GStreamerFilter'] } });
    assert.deepEqual(Object.keys(p).sort(), [
      'activeAt',
      'adaptativeBitrate',
      'clientData',
      'connectionId',
      'createdAt',
      'customIceServers',
      'id',
      'ip',
      'kurentoOptions',
      'location',
      'networkCache',
      'object',
      'onlyPlayWithSubscribers',
      'platform',
      'publishers',
      'record',
      'role',
      'rtspUri',
      'serverData',
      'sessionId',
      'status',
      'subscribers',
      'token',
      'type',
    ]);
    assert.equal(p.object, 'connection');
    assert.equal(p.status, 'pending');
    assert.equal(p.id, p.connectionId);
    assert.equal(p.sessionId, s.id);
    assert.equal(p.type, 'WEBRTC');
    assert.equal(p.role, 'SUBSCRIBER');
    assert.equal(p.record, false);
    assert.equal(p.serverData, 'sd');
    assert.deepEqual(p.kurentoOptions, { allowedFilters: ['GStreamerFilter'] });
    assert.deepEqual(p.customIceServers, []);
    for (const k of [
      'activeAt',
      'location',
      'ip',
      'platform',
      'clientData',
      'publishers',
      'subscribers',
      'rtspUri',
      'adaptativeBitrate',
      'onlyPlayWithSubscribers',
      'networkCache',
    ]) {
      assert.equal(p[k], null, `pending connection: ${k} is null`);
    }
    const got = await api('GET', `/sessions/${s.id}/connection/${p.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, p, 'GET one connection = the POST answer');

    const joined = await participant(p.token, 'client-meta');
    const a = (await api('GET', `/sessions/${s.id}/connection/${p.id}`)).json;
    assert.equal(a.status, 'active');
    assert.equal(typeof a.activeAt, 'number');
    assert.ok(a.activeAt >= a.createdAt);
    assert.equal(a.createdAt, p.createdAt);
    assert.equal(a.clientData, 'client-meta');
    assert.equal(a.platform, 'Node test client');
    if (isEmbedded()) {
      assert.equal(a.ip, '127.0.0.1');
      assert.equal(a.location, 'unknown');
    }
    assert.deepEqual(a.publishers, []);
    assert.deepEqual(a.subscribers, []);
    assert.equal(a.token, p.token);
    assert.equal(joined.result.metadata, 'client-meta%/%sd');
  });

  test('connection routes: unknown session → 400 (CE quirk), unknown connection → 404; DELETE/GET session unknown → 404', async () => {
    const s = await createSession();
    assertJsonError(await api('GET', `/sessions/nope-${uid()}/connection/con_X`), 400, 'GET connection of unknown session');
    assertJsonError(await api('DELETE', `/sessions/nope-${uid()}/connection/con_X`), 400, 'DELETE connection of unknown session');
    assertJsonError(await api('DELETE', `/sessions/nope-${uid()}/stream/str_X`), 400, 'DELETE stream of unknown session');
    assertJsonError(await api('GET', `/sessions/${s.id}/connection/con_Nope`), 404, 'GET unknown connection');
    assertJsonError(await api('DELETE', `/sessions/${s.id}/connection/con_Nope`), 404, 'DELETE unknown connection');
    assertJsonError(await api('GET', `/sessions/nope-${uid()}`), 404, 'GET unknown session');
    assertJsonError(await api('DELETE', `/sessions/nope-${uid()}`), 404, 'DELETE unknown session');
    assertJsonError(await api('GET', `/sessions/nope-${uid()}/connection`), 404, 'GET connections of unknown session');
    assertJsonError(await api('POST', `/sessions/nope-${uid()}/connection`, {}), 404, 'POST connection to unknown session');
    assertJsonError(await api('POST', '/tokens', { session: `nope-${uid()}` }), 404, 'POST /tokens unknown session');
    assertJsonError(await api('POST', '/tokens', {}), 400, 'POST /tokens without session');
    const tok = await api('POST', '/tokens', { session: s.id, role: 'MODERATOR', data: 'd', kurentoOptions: { videoMaxRecvBandwidth: 5 } });
    assert.equal(tok.status, 200);
    assert.equal(tok.json.token, tok.json.id);
    assert.equal(tok.json.session, s.id);
    assert.equal(tok.json.role, 'MODERATOR');
    assert.equal(tok.json.data, 'd');
    assert.deepEqual(tok.json.kurentoOptions, { videoMaxRecvBandwidth: 5 });
    assert.match(tok.json.connectionId, /^con_/);
  });

  test('PATCH connection → 405 (Pro only); broadcast routes → 501', async () => {
    const s = await createSession();
    const c = await createConnection(s.id);
    assertJsonError(await api('PATCH', `/sessions/${s.id}/connection/${c.id}`, { role: 'MODERATOR' }), 405, 'PATCH connection');
    const expected = isEmbedded() ? 501 : [404, 405, 501];
    assertJsonError(await api('POST', '/broadcast/start', { session: s.id, broadcastUrl: 'rtmp://x/y' }), expected, 'broadcast/start');
    assertJsonError(await api('POST', '/broadcast/stop', { session: s.id }), expected, 'broadcast/stop');
    // The role was not changed by the refused PATCH.
    assert.equal((await api('GET', `/sessions/${s.id}/connection/${c.id}`)).json.role, 'PUBLISHER');
  });
});

// ============================================================================================== signal

describe('POST /signal', () => {
  test('200: every participant gets sendMessage with no `from` and a `signal:` type; `to` targets only those', async () => {
    const { s, ps } = await activeSession(2);
    const [a, b] = ps;
    const r = await api('POST', '/signal', { session: s.id, type: 'chat', data: 'hello all' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.length, 0, 'empty body');
    for (const p of ps) {
      const m = await p.rpc.waitFor('sendMessage', (x) => x.data === 'hello all', 5000);
      assert.equal(m.type, 'signal:chat');
      assert.ok(!('from' in m), `REST signals carry no from (got ${JSON.stringify(m)})`);
    }
    const r2 = await api('POST', '/signal', { session: s.id, to: [a.id], type: 'dm', data: 'only a' });
    assert.equal(r2.status, 200);
    await a.rpc.waitFor('sendMessage', (x) => x.data === 'only a', 5000);
    // A broadcast sent after it reaches B; by then the targeted one would have arrived too if it had been sent.
    await api('POST', '/signal', { session: s.id, type: 'marker', data: 'after' });
    await b.rpc.waitFor('sendMessage', (x) => x.data === 'after', 5000);
    assert.ok(!b.rpc.notifications.some((n) => n.method === 'sendMessage' && n.params.data === 'only a'), 'B did not get a signal addressed to A');
    const r3 = await api('POST', '/signal', { session: s.id, to: [], data: 'empty to' });
    assert.equal(r3.status, 200, 'empty `to` = everyone');
    await b.rpc.waitFor('sendMessage', (x) => x.data === 'empty to', 5000);
  });

  test('400 missing session / bad types; 404 unknown session; 406 nobody connected or unknown `to`', async () => {
    const { s } = await activeSession(1);
    const idle = await createSession();
    const pendingConn = await createConnection(s.id);
    assertJsonError(await api('POST', '/signal', { data: 'x' }), 400, 'missing session');
    assertJsonError(await api('POST', '/signal', {}), 400, 'empty object');
    assertJsonError(await api('POST', '/signal', { session: s.id, to: 'con_X' }), 400, '`to` not a list');
    assertJsonError(await api('POST', '/signal', { session: s.id, type: 5 }), 400, '`type` not a string');
    assertJsonError(await api('POST', '/signal', { session: s.id, data: { a: 1 } }), 400, '`data` not a string');
    assertJsonError(await api('POST', '/signal', { session: 42 }), 400, '`session` not a string');
    assertJsonError(await api('POST', '/signal', { session: `nope-${uid()}`, data: 'x' }), 404, 'unknown session');
    assertJsonError(await api('POST', '/signal', { session: idle.id, data: 'x' }), 406, 'session with nobody connected');
    assertJsonError(await api('POST', '/signal', { session: s.id, to: ['con_Unknown123'], data: 'x' }), 406, 'unknown `to`');
    assertJsonError(await api('POST', '/signal', { session: s.id, to: [pendingConn.id], data: 'x' }), 406, '`to` a pending (not connected) connection');
  });
});

// ============================================================================================== config

describe('Config', () => {
  test('GET /config → the CE keys', async () => {
    const r = await api('GET', '/config');
    assert.equal(r.status, 200);
    const c = r.json;
    for (const k of [
      'VERSION',
      'DOMAIN_OR_PUBLIC_IP',
      'HTTPS_PORT',
      'OPENVIDU_PUBLICURL',
      'OPENVIDU_CDR',
      'OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH',
      'OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH',
      'OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH',
      'OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH',
      'OPENVIDU_STREAMS_FORCED_VIDEO_CODEC',
      'OPENVIDU_STREAMS_ALLOW_TRANSCODING',
      'OPENVIDU_WEBRTC_SIMULCAST',
      'OPENVIDU_SESSIONS_GARBAGE_INTERVAL',
      'OPENVIDU_SESSIONS_GARBAGE_THRESHOLD',
      'OPENVIDU_RECORDING',
      'OPENVIDU_WEBHOOK',
    ]) {
      assert.ok(k in c, `config has ${k}`);
    }
    assert.match(c.VERSION, /^2\.3\d\.\d+$/);
    if (!isEmbedded()) return;
    const u = new URL(target.url);
    assert.equal(c.VERSION, '2.32.2');
    assert.equal(c.DOMAIN_OR_PUBLIC_IP, u.hostname);
    assert.equal(c.HTTPS_PORT, Number(u.port));
    assert.equal(c.OPENVIDU_PUBLICURL, `${target.url}/`);
    assert.equal(c.OPENVIDU_RECORDING, true);
    assert.equal(c.OPENVIDU_RECORDING_VERSION, '2.32.2');
    assert.equal(path.resolve(c.OPENVIDU_RECORDING_PATH), path.resolve(target.recordingPath!));
    assert.equal(c.OPENVIDU_RECORDING_NOTIFICATION, 'publisher_moderator');
    assert.equal(c.OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT, 120);
    assert.equal(c.OPENVIDU_RECORDING_PUBLIC_ACCESS, false);
    assert.equal(c.OPENVIDU_WEBHOOK, false);
    assert.ok(!('OPENVIDU_WEBHOOK_ENDPOINT' in c), 'no webhook keys when the webhook is off');
    assert.equal(c.OPENVIDU_CDR, false);
  });

  test('plain-text config endpoints; openvidu-publicurl needs no auth', async () => {
    const v = await api('GET', '/config/openvidu-version');
    assert.equal(v.status, 200);
    assert.match(String(v.headers['content-type']), /text\/plain/);
    assert.match(v.text, /^2\.3\d\.\d+$/);
    assertJsonError(await api('GET', '/config/openvidu-version', undefined, { auth: false }), 401, 'openvidu-version without auth');
    const pu = await api('GET', '/config/openvidu-publicurl', undefined, { auth: false });
    assert.equal(pu.status, 200, 'openvidu-publicurl without auth');
    if (isEmbedded()) assert.equal(pu.text, `${target.url}/`);
    const rec = await api('GET', '/config/openvidu-recording');
    assert.equal(rec.status, 200);
    assert.equal(rec.text, 'true');
    const rp = await api('GET', '/config/openvidu-recording-path');
    assert.equal(rp.status, 200);
    if (isEmbedded()) assert.equal(path.resolve(rp.text), path.resolve(target.recordingPath!));
    const cdr = await api('GET', '/config/openvidu-cdr');
    assert.equal(cdr.status, 200);
    assert.equal(cdr.text, 'false');
  });

  test('a server started with recording:false → 501 on every recording route', { skip: !isEmbedded() && 'needs the embedded server' }, async () => {
    const off = await openviduTarget({ recording: false });
    try {
      const call = (method: string, p: string, body?: unknown) =>
        fetch(`${off.url}${p}`, {
          method,
          headers: { Authorization: 'Basic ' + Buffer.from(`OPENVIDUAPP:${off.secret}`).toString('base64'), 'Content-Type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const sess = await (await call('POST', `${API}/sessions`, {})).json();
      for (const [m, p, b] of [
        ['POST', `${API}/recordings/start`, { session: sess.id }],
        ['POST', `${API}/recordings/stop/${sess.id}`, undefined],
        ['GET', `${API}/recordings`, undefined],
        ['GET', `${API}/recordings/${sess.id}`, undefined],
        ['DELETE', `${API}/recordings/${sess.id}`, undefined],
        ['GET', `/openvidu/recordings/${sess.id}/${sess.id}.mp4`, undefined],
      ] as const) {
        const r = await call(m, p, b);
        assert.equal(r.status, 501, `${m} ${p} with recording disabled`);
        assert.equal((await r.json()).status, 501);
      }
      const cfg = await (await call('GET', `${API}/config`)).json();
      assert.equal(cfg.OPENVIDU_RECORDING, false);
      assert.ok(!('OPENVIDU_RECORDING_PATH' in cfg), 'no OPENVIDU_RECORDING_* keys when recording is off');
      assert.equal(await (await call('GET', `${API}/config/openvidu-recording`)).text(), 'false');
    } finally {
      await off.close();
    }
  });
});

// ============================================================================================== recordings

describe('Recordings over REST', () => {
  test('POST /recordings/start validation: 400 shapes, 422 values; nothing starts', async () => {
    const { s } = await activeSession(1);
    const cases: Array<[string, unknown, number]> = [
      ['empty body', '', 400],
      ['empty object', {}, 400],
      ['missing session', { name: 'x' }, 400],
      ['session not a string', { session: 5 }, 400],
      ['bad outputMode', { session: s.id, outputMode: 'SIDE_BY_SIDE' }, 400],
      ['outputMode not a string', { session: s.id, outputMode: 1 }, 400],
      ['bad recordingLayout', { session: s.id, recordingLayout: 'GRID' }, 400],
      ['bad name (space)', { session: s.id, name: 'bad name' }, 400],
      ['bad name (slash)', { session: s.id, name: '../x' }, 400],
      ['bad name (unicode)', { session: s.id, name: 'héllo' }, 400],
      ['frameRate as a string', { session: s.id, frameRate: '25' }, 400],
      ['frameRate not an integer', { session: s.id, frameRate: 2.5 }, 400],
      ['hasAudio as a string', { session: s.id, hasAudio: 'true' }, 400],
      ['resolution as a number', { session: s.id, resolution: 1280 }, 400],
      ['resolution 99x100', { session: s.id, resolution: '99x100' }, 422],
      ['resolution 0640x480', { session: s.id, resolution: '0640x480' }, 422],
      ['resolution 2000x1000', { session: s.id, resolution: '2000x1000' }, 422],
      ['resolution 640x480x2', { session: s.id, resolution: '640x480x2' }, 422],
      ['resolution 640*480', { session: s.id, resolution: '640*480' }, 422],
      ['frameRate 0', { session: s.id, frameRate: 0 }, 422],
      ['frameRate 121', { session: s.id, frameRate: 121 }, 422],
      ['frameRate -5', { session: s.id, frameRate: -5 }, 422],
      ['shmSize too small', { session: s.id, shmSize: 1000 }, 422],
      ['no audio and no video', { session: s.id, hasAudio: false, hasVideo: false }, 422],
    ];
    for (const [what, body, status] of cases) assertJsonError(await api('POST', '/recordings/start', body), status, what);
    assertJsonError(await api('POST', '/recordings/start', { session: `nope-${uid()}` }), 404, 'unknown session');
    const after = await api('GET', `/sessions/${s.id}`);
    assert.equal(after.json.recording, false, 'no validation failure started a recording');
    assert.ok(!(await api('GET', '/recordings')).json.items.some((r: any) => r.sessionId === s.id), 'no recording listed for the session');
  });

  test('RELAYED session → 409 on recording start', async () => {
    const s = await createSession({ mediaMode: 'RELAYED' });
    assert.equal(s.mediaMode, 'RELAYED');
    await participant((await createConnection(s.id)).token);
    assertJsonError(await api('POST', '/recordings/start', { session: s.id }), 409, 'recording a RELAYED session');
  });

  test(
    'recordingStarted/Stopped go to PUBLISHER and MODERATOR only; late joiners get recordingId/recordingName in joinRoom',
    { skip: !isEmbedded() && 'needs the embedded server (stub recorder)' },
    async (t) => {
      const restore = useStubRecorder(target.embedded!, FAKE_FILE, 1.25);
      t.after(restore);
      const s = await createSession();
      const pub = await participant((await createConnection(s.id, { role: 'PUBLISHER' })).token);
      const mod = await participant((await createConnection(s.id, { role: 'MODERATOR' })).token);
      const sub = await participant((await createConnection(s.id, { role: 'SUBSCRIBER' })).token);
      const start = await api('POST', '/recordings/start', { session: s.id, name: 'notified', resolution: '320x240', frameRate: 10 });
      assert.equal(start.status, 200, start.text);
      const rec = start.json;
      for (const p of [pub, mod]) assert.deepEqual(await p.rpc.waitFor('recordingStarted', () => true, 5000), { id: rec.id, name: 'notified' });
      assert.equal((await api('GET', `/sessions/${s.id}`)).json.recording, true, 'Session JSON: recording true');

      const latePub = await participant((await createConnection(s.id, { role: 'PUBLISHER' })).token);
      assert.equal(latePub.result.recordingId, rec.id, 'late PUBLISHER: joinRoom.recordingId');
      assert.equal(latePub.result.recordingName, 'notified');
      const lateSub = await participant((await createConnection(s.id, { role: 'SUBSCRIBER' })).token);
      assert.ok(!('recordingId' in lateSub.result) && !('recordingName' in lateSub.result), 'late SUBSCRIBER: no recording fields');

      assert.equal((await api('POST', `/recordings/stop/${rec.id}`)).json.status, 'stopped');
      for (const p of [pub, mod, latePub]) {
        assert.deepEqual(await p.rpc.waitFor('recordingStopped', () => true, 5000), { id: rec.id, name: 'notified', reason: 'recordingStoppedByServer' });
      }
      assert.equal((await api('GET', `/sessions/${s.id}`)).json.recording, false, 'Session JSON: recording false after stop');
      await waitRecordingStatus(rec.id, 'ready');
      // A broadcast signal after everything: the SUBSCRIBERs have it, and never got a recording notification.
      await api('POST', '/signal', { session: s.id, data: 'fence' });
      for (const p of [sub, lateSub]) {
        await p.rpc.waitFor('sendMessage', (x) => x.data === 'fence', 5000);
        assert.ok(!p.rpc.notifications.some((n) => n.method.startsWith('recording')), 'SUBSCRIBER got no recording notification');
      }
    },
  );

  describe('recording files /openvidu/recordings/<id>/<file>', { skip: !isEmbedded() && 'needs the embedded server (fake recorder)' }, () => {
    let rec: any;
    let fileUrl: string;
    let filePath: string;
    before(async () => {
      const restore = useStubRecorder(target.embedded!, FAKE_FILE, 1.25);
      try {
        const { s } = await activeSession(1);
        const r = await api('POST', '/recordings/start', { session: s.id, name: 'clip_1', resolution: '320x240', frameRate: 10 });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.status, 'started');
        assert.equal(r.json.url, null);
        const stop = await api('POST', `/recordings/stop/${r.json.id}`);
        assert.equal(stop.status, 200, stop.text);
        assert.equal(stop.json.status, 'stopped');
        rec = await waitRecordingStatus(r.json.id, 'ready');
      } finally {
        restore();
      }
      fileUrl = rec.url;
      filePath = new URL(fileUrl).pathname;
    });

    test('the ready recording JSON points at the file', () => {
      assert.equal(rec.object, 'recording');
      assert.equal(rec.name, 'clip_1');
      assert.equal(rec.size, FAKE_FILE.length);
      assert.equal(rec.duration, 1.25);
      assert.equal(rec.resolution, '320x240');
      assert.equal(rec.frameRate, 10);
      assert.equal(rec.recordingLayout, 'BEST_FIT');
      assert.equal(fileUrl, `${target.url}/openvidu/recordings/${rec.id}/clip_1.mp4`);
    });

    test('401 without auth; 200 with the exact bytes', async () => {
      const noAuth = await raw('GET', filePath, { auth: false });
      assertJsonError(noAuth, 401, 'file without auth');
      assert.match(String(noAuth.headers['www-authenticate']), /^Basic/);
      const r = await raw('GET', filePath);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'video/mp4');
      assert.equal(r.headers['accept-ranges'], 'bytes');
      assert.equal(Number(r.headers['content-length']), FAKE_FILE.length);
      assert.ok(r.body.equals(FAKE_FILE), 'body = file bytes');
      const head = await raw('HEAD', filePath);
      assert.equal(head.status, 200);
      assert.equal(Number(head.headers['content-length']), FAKE_FILE.length);
      assert.equal(head.body.length, 0);
    });

    test('Range requests → 206 with Content-Range and the right bytes; unsatisfiable → 416', async () => {
      const size = FAKE_FILE.length;
      const cases: Array<[string, number, number]> = [
        ['bytes=100-199', 100, 199],
        ['bytes=0-0', 0, 0],
        ['bytes=9990-', 9990, size - 1],
        ['bytes=-100', size - 100, size - 1],
        ['bytes=5000-999999', 5000, size - 1],
      ];
      for (const [range, start, end] of cases) {
        const r = await raw('GET', filePath, { headers: { Range: range } });
        assert.equal(r.status, 206, range);
        assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${size}`, range);
        assert.equal(Number(r.headers['content-length']), end - start + 1, range);
        assert.ok(r.body.equals(FAKE_FILE.subarray(start, end + 1)), `${range}: bytes`);
      }
      for (const range of [`bytes=${size}-`, 'bytes=500-100', 'bytes=abc', 'items=0-1', 'bytes=-']) {
        const r = await raw('GET', filePath, { headers: { Range: range } });
        assert.equal(r.status, 416, `${range} → 416`);
        assert.equal(r.headers['content-range'], `bytes */${size}`, range);
      }
    });

    test('404 for unknown files and recordings, metadata files and every traversal attempt', async () => {
      const id = rec.id;
      const attempts = [
        `/openvidu/recordings/${id}/other.mp4`,
        `/openvidu/recordings/${id}/clip_1.webm`,
        `/openvidu/recordings/${id}/.recording.${id}`,
        `/openvidu/recordings/nope-${uid()}/clip_1.mp4`,
        `/openvidu/recordings/${id}/..%2F..%2F..%2Fetc%2Fpasswd`,
        `/openvidu/recordings/${id}/%2e%2e%2f%2e%2e%2fpackage.json`,
        `/openvidu/recordings/..%2F${id}/clip_1.mp4`,
        `/openvidu/recordings/%2e%2e/${id}`,
        `/openvidu/recordings/${id}/%2e%2e%2f${id}%2f.recording.${id}`,
        `/openvidu/recordings/${id}/clip_1.mp4%00.txt`,
        `/openvidu/recordings/${id}/clip_1.mp4%2F`,
        `/openvidu/recordings/${encodeURIComponent(id + '/../' + id)}/clip_1.mp4`,
        `/openvidu/recordings/${id}/%E2%80%AEclip_1.mp4`,
      ];
      for (const p of attempts) {
        const r = await raw('GET', p);
        // 404 for names that are simply not there; 400 (CE-like firewall) for dot segments and encoded slashes.
        assertJsonError(r, /%2e|%2f/i.test(p) ? [400, 404] : 404, `GET ${p}`);
        assert.notEqual(r.status, 200, p);
        assert.ok(!r.body.equals(FAKE_FILE), `${p} served the file`);
        assert.ok(!r.text.includes('uniqueSessionId'), `${p} leaked the metadata file`);
      }
      // Unencoded `..` would be resolved by the URL parser before routing: refused outright instead.
      for (const p of [
        `/openvidu/recordings/${id}/../${id}/clip_1.mp4`,
        `/openvidu/recordings/${id}/../../../../etc/passwd`,
        `/openvidu/recordings/../../package.json`,
      ]) {
        const r = await raw('GET', p);
        assertJsonError(r, [400, 404], `GET ${p}`);
        assert.ok(!r.body.equals(FAKE_FILE), `${p} served the file`);
      }
    });
  });
});

// ============================================================================================== bad input

describe('Bad input', () => {
  test('malformed JSON, arrays and scalars as bodies → 400', async () => {
    const s = await createSession();
    const routes = ['/sessions', `/sessions/${s.id}/connection`, '/tokens', '/signal', '/recordings/start'];
    for (const route of routes) {
      for (const body of ['{', '{"a":}', '{"session": "x",}', "{'a':1}", 'nul', '[1,2]', '[]', '"string"', '42', 'true', 'null', '\u0000']) {
        assertJsonError(await api('POST', route, body), 400, `POST ${route} with body ${JSON.stringify(body)}`);
      }
    }
  });

  test('POST /sessions: every field with a wrong type or value → 400', async () => {
    const bad: Array<Record<string, unknown>> = [
      { mediaMode: 1 },
      { mediaMode: 'P2P' },
      { mediaMode: ['ROUTED'] },
      { recordingMode: true },
      { recordingMode: 'SOMETIMES' },
      { customSessionId: 5 },
      { customSessionId: {} },
      { customSessionId: 'has space' },
      { customSessionId: '../etc' },
      { customSessionId: 'ünïcode' },
      { customSessionId: 'a'.repeat(300) },
      { forcedVideoCodec: 'AV2' },
      { forcedVideoCodec: [] },
      { allowTranscoding: 'yes' },
      { allowTranscoding: 1 },
      { defaultRecordingProperties: 'COMPOSED' },
      { defaultRecordingProperties: [] },
      { defaultRecordingProperties: { hasAudio: 'yes' } },
      { defaultRecordingProperties: { hasVideo: 0 } },
      { defaultRecordingProperties: { outputMode: 'X' } },
      { defaultRecordingProperties: { recordingLayout: 3 } },
      { defaultRecordingProperties: { frameRate: '25' } },
      { defaultRecordingProperties: { resolution: 1280 } },
      { defaultRecordingProperties: { name: 7 } },
      { defaultRecordingProperties: { name: 'bad name' } },
      { defaultRecordingProperties: { shmSize: 'big' } },
    ];
    const countBefore = (await api('GET', '/sessions')).json.numberOfElements;
    for (const body of bad) assertJsonError(await api('POST', '/sessions', body), 400, `POST /sessions ${JSON.stringify(body).slice(0, 80)}`);
    assert.equal((await api('GET', '/sessions')).json.numberOfElements, countBefore, 'no session created by a rejected request');
  });

  test('POST /sessions/{id}/connection and /tokens: every field with a wrong type or value → 400', async () => {
    const s = await createSession();
    const bad: Array<Record<string, unknown>> = [
      { type: 1 },
      { type: 'SIP' },
      { data: 5 },
      { data: { a: 1 } },
      { data: 'x'.repeat(20_000) },
      { record: 'true' },
      { record: 1 },
      { role: 'ADMIN' },
      { role: 1 },
      { role: 'publisher' },
      { kurentoOptions: 'x' },
      { kurentoOptions: [] },
      { kurentoOptions: 3 },
      { customIceServers: 'turn:x' },
      { customIceServers: [1] },
      { customIceServers: [null] },
      { customIceServers: {} },
    ];
    for (const body of bad) {
      assertJsonError(await api('POST', `/sessions/${s.id}/connection`, body), 400, `POST connection ${JSON.stringify(body).slice(0, 60)}`);
      if (!('customIceServers' in body) && !('type' in body)) {
        assertJsonError(await api('POST', '/tokens', { session: s.id, ...body }), 400, `POST /tokens ${JSON.stringify(body).slice(0, 60)}`);
      }
    }
    assertJsonError(await api('POST', '/tokens', { session: 5 }), 400, 'POST /tokens session not a string');
    const list = await api('GET', `/sessions/${s.id}/connection`);
    assert.equal(list.json.numberOfElements, 0, 'no connection created by a rejected request');
  });

  test('body over 1 MiB → 413 (declared and chunked); non-JSON content type with a body → 415', async () => {
    const big = JSON.stringify({ data: 'x'.repeat(1024 * 1024 + 10) });
    const declared = await raw('POST', `${API}/sessions`, {
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(big) },
      body: big,
    });
    assertJsonError(declared, 413, 'declared > 1 MiB');
    const chunked = await raw('POST', `${API}/sessions`, {
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      chunks: Array.from({ length: 20 }, () => Buffer.alloc(64 * 1024, 0x20)),
    });
    assertJsonError(chunked, 413, 'chunked > 1 MiB');
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      assertJsonError(await api('POST', '/sessions', '{"customSessionId":"ct"}', { headers: { 'Content-Type': type } }), 415, `Content-Type ${type}`);
    }
    // The server is fine afterwards, and the node client's "form-urlencoded header, no body" still works.
    const empty = await raw('POST', `${API}/sessions`, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(empty.status, 200);
    cleanups.push(() => api('DELETE', `/sessions/${empty.json.id}`));
  });

  test('odd ids in every path parameter → 4xx JSON error, never 5xx', async () => {
    const s = await createSession();
    const c = await createConnection(s.id);
    const ids = [
      '..',
      '%2e%2e',
      '%2E%2E%2F%2E%2E',
      '..%2F..%2Fetc%2Fpasswd',
      '..%5C..%5Cwindows',
      '%00',
      '%0A%0D',
      '%1F%7F',
      '%C3%A9%C3%B1',
      '%F0%9F%98%80',
      '%E2%80%AE',
      '%FF%FE',
      '%E0%A4%A',
      '%',
      '%ZZ',
      'ses_%00',
      encodeURIComponent('<script>'),
      encodeURIComponent('"\'{}'),
      'a'.repeat(5000),
      '~1',
      'x~',
      '%20',
    ];
    const templates: Array<[string, (id: string) => string]> = [
      ['GET', (id) => `${API}/sessions/${id}`],
      ['DELETE', (id) => `${API}/sessions/${id}`],
      ['GET', (id) => `${API}/sessions/${id}/connection`],
      ['POST', (id) => `${API}/sessions/${id}/connection`],
      ['GET', (id) => `${API}/sessions/${id}/connection/${c.id}`],
      ['GET', (id) => `${API}/sessions/${s.id}/connection/${id}`],
      ['DELETE', (id) => `${API}/sessions/${s.id}/connection/${id}`],
      ['PATCH', (id) => `${API}/sessions/${s.id}/connection/${id}`],
      ['DELETE', (id) => `${API}/sessions/${s.id}/stream/${id}`],
      ['DELETE', (id) => `${API}/sessions/${id}/stream/str_CAM_Abcd_con_X`],
      ['GET', (id) => `${API}/recordings/${id}`],
      ['DELETE', (id) => `${API}/recordings/${id}`],
      ['POST', (id) => `${API}/recordings/stop/${id}`],
      ['GET', (id) => `/openvidu/recordings/${id}/x.mp4`],
      ['GET', (id) => `/openvidu/recordings/${s.id}/${id}`],
      ['GET', (id) => `${API}/config/${id}`],
    ];
    for (const [method, tpl] of templates) {
      for (const id of ids) {
        const p = tpl(id);
        const r = await raw(method, p, method === 'POST' ? { headers: { 'Content-Type': 'application/json' }, body: '{}' } : {});
        assert.ok(r.status >= 400 && r.status < 500, `${method} ${p.slice(0, 120)} → ${r.status} ${r.text.slice(0, 200)}`);
        assertJsonError(r, r.status, `${method} ${p.slice(0, 120)}`);
      }
    }
    // Untouched by all of that.
    assert.equal((await api('GET', `/sessions/${s.id}/connection/${c.id}`)).json.status, 'pending');
  });

  test('raw request lines the URL parser chokes on → 4xx, never 5xx', async () => {
    const u = new URL(target.url);
    const send = (line: string) =>
      new Promise<string>((resolve) => {
        const sock = net.connect(Number(u.port), u.hostname, () =>
          sock.write(Buffer.from(`${line}\r\nHost: x\r\nAuthorization: ${AUTH}\r\nConnection: close\r\n\r\n`, 'utf8')),
        );
        let buf = '';
        sock.on('data', (d) => (buf += d.toString('latin1')));
        sock.on('close', () => resolve(buf));
        sock.on('error', () => resolve(buf));
        setTimeout(() => sock.destroy(), 3000).unref();
      });
    if (u.protocol !== 'http:') return; // raw TLS not worth it
    for (const line of [
      'GET http://[ HTTP/1.1',
      'GET http://x:99999/openvidu/api/config HTTP/1.1',
      'GET http://[::1/openvidu/api/sessions HTTP/1.1',
      'GET /openvidu/api/sessions/\x01 HTTP/1.1',
      'GET /openvidu/api/sessions/ñ HTTP/1.1',
      'GET /openvidu/api/sessions/a b HTTP/1.1',
      'GET /openvidu/api/sessions/%ZZ HTTP/1.1',
      'DELETE /openvidu/api/sessions/%E0%A4%A HTTP/1.1',
      'GET * HTTP/1.1',
      'GET openvidu/api/sessions HTTP/1.1',
    ]) {
      const answer = await send(line);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0);
      assert.ok(status >= 400 && status < 500, `${JSON.stringify(line)} → ${answer.split('\r\n')[0] || '(no answer)'}`);
    }
    assert.equal((await api('GET', '/config')).status, 200, 'server still answers');
  });

  test('fuzz: ≥ 300 seeded random requests never get a 5xx, and nothing unrelated is lost', { timeout: 45_000 }, async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 0x5eed);
    const rnd = prng(seed);
    // Protected state: an active session with a pending connection and (embedded) a ready recording.
    const { s: prot, ps } = await activeSession(1);
    await createConnection(prot.id, { data: 'protected-pending' });
    let protRecording: any;
    if (target.embedded) {
      const restore = useStubRecorder(target.embedded!, FAKE_FILE, 1.25);
      try {
        const r = await api('POST', '/recordings/start', { session: prot.id, resolution: '320x240', frameRate: 10 });
        assert.equal(r.status, 200, r.text);
        await api('POST', `/recordings/stop/${r.json.id}`);
        protRecording = await waitRecordingStatus(r.json.id, 'ready');
      } finally {
        restore();
      }
    }
    const snapshot = async () => (await api('GET', `/sessions/${prot.id}?pendingConnections=true`)).json;
    const protBefore = await snapshot();
    const recordingsBefore = (await api('GET', '/recordings')).json.items;

    // A victim the fuzz may legitimately modify or delete.
    const victim = await createSession();
    const victimConn = await createConnection(victim.id);
    const idPool = [
      victim.id,
      victimConn.id,
      `${victim.id}~1`,
      'ses_Unknown1234',
      'con_Unknown1234',
      'str_CAM_Abcd_con_Unknown1234',
      '',
      '..',
      '%2e%2e',
      '..%2F..%2Fetc%2Fpasswd',
      '%00',
      '%0A',
      '%FF',
      '%E0%A4%A',
      '%F0%9F%98%80',
      encodeURIComponent('ñ😀'),
      '~1',
      '%25',
      'x'.repeat(3000),
    ];
    const randomId = () => {
      if (rnd.bool(0.6)) return rnd.pick(idPool);
      const alphabet = 'abcXYZ019_-~.%/';
      return Array.from({ length: 1 + rnd.int(40) }, () => alphabet[rnd.int(alphabet.length)]).join('');
    };
    // Each route with the methods it really has: 70 % of the requests use one of them, to get past the router.
    const routes: Array<[string[], () => string]> = [
      [['GET', 'POST'], () => `${API}/sessions`],
      [['GET', 'DELETE'], () => `${API}/sessions/${randomId()}`],
      [['GET', 'POST'], () => `${API}/sessions/${randomId()}/connection`],
      [['GET', 'DELETE', 'PATCH'], () => `${API}/sessions/${randomId()}/connection/${randomId()}`],
      [['DELETE'], () => `${API}/sessions/${randomId()}/stream/${randomId()}`],
      [['POST'], () => `${API}/tokens`],
      [['POST'], () => `${API}/signal`],
      [['GET'], () => `${API}/recordings`],
      [['POST'], () => `${API}/recordings/start`],
      [['POST'], () => `${API}/recordings/stop/${randomId()}`],
      [['GET', 'DELETE'], () => `${API}/recordings/${randomId()}`],
      [['GET'], () => `${API}/config`],
      [
        ['GET'],
        () =>
          `${API}/config/${rnd.pick(['openvidu-version', 'openvidu-publicurl', 'openvidu-recording', 'openvidu-recording-path', 'openvidu-cdr', randomId()])}`,
      ],
      [['POST'], () => `${API}/broadcast/${rnd.pick(['start', 'stop'])}`],
      [['GET', 'HEAD'], () => `/openvidu/recordings/${randomId()}/${randomId()}`],
      [['GET', 'POST'], () => `${API}/${randomId()}`],
      [['GET'], () => `${API}/sessions?pendingConnections=${rnd.pick(['true', 'false', '1', '', '%00'])}&webRtcStats=${rnd.pick(['true', 'x'])}`],
    ];
    const fields = [
      'session',
      'to',
      'type',
      'data',
      'role',
      'record',
      'kurentoOptions',
      'customIceServers',
      'mediaMode',
      'recordingMode',
      'customSessionId',
      'defaultRecordingProperties',
      'forcedVideoCodec',
      'allowTranscoding',
      'name',
      'outputMode',
      'recordingLayout',
      'customLayout',
      'resolution',
      'frameRate',
      'hasAudio',
      'hasVideo',
      'shmSize',
      'ignoreFailedStreams',
      'mediaNode',
      'broadcastUrl',
      'rtspUri',
      '__proto__',
      'constructor',
    ];
    const randomValue = (depth = 0): unknown => {
      switch (rnd.int(depth > 2 ? 7 : 10)) {
        case 0:
          return null;
        case 1:
          return rnd.bool();
        case 2:
          return rnd.pick([0, -1, 1, 25, 2.5, 1e308, -1e308, 2 ** 53 + 1, 536870912]);
        case 3:
          return rnd.pick([
            '',
            'ROUTED',
            'COMPOSED',
            'INDIVIDUAL',
            'MODERATOR',
            'SUBSCRIBER',
            '640x480',
            '99x100',
            'signal:x',
            '../../x',
            '\u0000',
            'é😀',
            victim.id,
            victimConn.id,
          ]);
        case 4:
          return randomId();
        case 5:
          return 'y'.repeat(rnd.int(5000));
        case 6:
          return rnd.pick([victim.id, 'ses_Unknown1234']);
        case 7:
          return Array.from({ length: rnd.int(4) }, () => randomValue(depth + 1));
        default: {
          const o: Record<string, unknown> = {};
          for (let i = rnd.int(5); i > 0; i--) o[rnd.pick(fields)] = randomValue(depth + 1);
          return o;
        }
      }
    };
    const randomBody = (): string | undefined => {
      switch (rnd.int(8)) {
        case 0:
          return undefined;
        case 1:
          return '';
        case 2:
          return rnd.pick(['{', '}', '{"a":', '[', 'nul', '{"session":"x"', '\u0000\u0001', '%7B%7D', '{"a":1}{"b":2}']);
        case 3:
          return JSON.stringify(randomValue(1));
        default: {
          const o: Record<string, unknown> = {};
          for (let i = 1 + rnd.int(6); i > 0; i--) o[rnd.pick(fields)] = randomValue(1);
          return JSON.stringify(o);
        }
      }
    };
    const N = 400;
    for (let i = 0; i < N; i++) {
      const [methods, makePath] = rnd.pick(routes);
      const method = rnd.bool(0.7) ? rnd.pick(methods) : rnd.pick(['GET', 'POST', 'DELETE', 'PATCH', 'PUT', 'OPTIONS', 'HEAD']);
      const p = makePath();
      const body = method === 'GET' || method === 'HEAD' ? (rnd.bool(0.1) ? randomBody() : undefined) : randomBody();
      const headers: Record<string, string> = {};
      const ct = rnd.pick(['application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', '', 'application/x-www-form-urlencoded']);
      if (ct && body !== undefined) headers['Content-Type'] = ct;
      if (rnd.bool(0.1)) headers.Origin = 'https://fuzz.example';
      const auth = rnd.bool(0.88) ? true : rnd.pick([false, 'Basic Zm9vOmJhcg==', 'Basic', `Basic ${'A'.repeat(500)}`]);
      const where = `seed ${seed}, request #${i}: ${method} ${p.slice(0, 150)} body=${JSON.stringify(body)?.slice(0, 150)} ct=${ct} auth=${auth}`;
      if (process.env.FUZZ_LOG) appendFileSync(process.env.FUZZ_LOG, where + '\n'); // FUZZ_LOG=<file>: every request
      let r: Res;
      try {
        r = await raw(method, p, { headers, body, auth });
      } catch (err) {
        assert.fail(`${where}: request failed (${(err as Error).message})`);
      }
      if (process.env.FUZZ_LOG) appendFileSync(process.env.FUZZ_LOG, `  → ${r.status}\n`);
      const isBroadcast = method === 'POST' && /^\/openvidu\/api\/broadcast\/(start|stop)\/?$/.test(p);
      assert.ok(r.status < 500 || (isBroadcast && r.status === 501), `${where} → ${r.status} ${r.text.slice(0, 300)}`);
      if (r.status >= 400 && method !== 'HEAD' && isEmbedded()) {
        assert.equal(r.json?.status, r.status, `${where}: error body is CE's JSON (${r.text.slice(0, 200)})`);
      }
    }

    // Still serving, and nothing outside the victim was touched.
    assert.equal((await api('GET', '/config')).status, 200);
    const fresh = await api('POST', '/sessions', {});
    assert.equal(fresh.status, 200, 'a normal request still works');
    cleanups.push(() => api('DELETE', `/sessions/${fresh.json.id}`));
    assert.deepEqual(await snapshot(), protBefore, 'the protected session (connections included) is unchanged');
    const recordingsAfter = (await api('GET', '/recordings')).json.items;
    for (const r of recordingsBefore) {
      assert.deepEqual(
        recordingsAfter.find((x: any) => x.id === r.id),
        r,
        `recording ${r.id} unchanged`,
      );
    }
    if (protRecording) {
      const file = await raw('GET', new URL(protRecording.url).pathname);
      assert.equal(file.status, 200);
      assert.ok(file.body.equals(FAKE_FILE), 'the protected recording file is intact');
    }
    // The participant is still connected and reachable.
    await api('POST', '/signal', { session: prot.id, data: 'still here' });
    await ps[0].rpc.waitFor('sendMessage', (x) => x.data === 'still here', 5000);
  });
});

// ============================================================================================== JSON-RPC bad input

describe('JSON-RPC bad input', () => {
  /** Waits for the response frame with this id (error or result) and returns it. */
  async function frameFor(rpc: RpcClient, id: number | string | null, timeoutMs = 3000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const f = (rpc.frames as any[]).find((x) => x && x.id === id && (x.error || x.result));
      if (f) return f;
      await sleep(20);
    }
    return undefined;
  }

  test('garbage frames, unknown methods, calls before joinRoom, bad joins, roles and signals; the session keeps working', async () => {
    const s = await createSession();
    const witness = await participant((await createConnection(s.id, { data: 'witness' })).token, 'w');
    const tokenA = (await createConnection(s.id, { role: 'PUBLISHER' })).token;
    const rpc = await RpcClient.connect(tokenA);
    clients.add(rpc);

    // Not JSON → -32700, id null; the socket stays open.
    rpc.ws.send('this is {not json');
    const parseErr = await frameFor(rpc, null);
    assert.equal(parseErr?.error?.code, -32700, `parse error frame: ${JSON.stringify(parseErr)}`);
    assert.equal(parseErr.jsonrpc, '2.0');
    assert.equal(rpc.closed, false, 'socket still open after a parse error');
    assert.equal((await rpc.request('ping', { interval: 5000 })).value, 'pong');

    // Not a JSON-RPC object at all.
    rpc.ws.send('[1,2,3]');
    rpc.ws.send('"just a string"');
    rpc.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    rpc.ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'ping', params: [1, 2], id: 'arr' }));
    const arrParams = await frameFor(rpc, 'arr');
    assert.equal(arrParams?.error?.code, -32602, 'params must be an object');

    // Without "jsonrpc": not processed (a joinRoom with a valid token must not join).
    const session = new URL(tokenA).searchParams.get('sessionId');
    rpc.ws.send(JSON.stringify({ method: 'joinRoom', id: 900, params: { token: tokenA, session, platform: 'x', sdkVersion: '2.32.2', metadata: '' } }));
    rpc.ws.send(JSON.stringify({ jsonrpc: '1.0', method: 'ping', id: 901 }));
    await sleep(300);
    for (const id of [900, 901]) {
      const f = (rpc.frames as any[]).find((x) => x && x.id === id);
      assert.ok(!f || (f.error && !f.result), `frame ${id} without jsonrpc 2.0 was processed: ${JSON.stringify(f)}`);
    }
    const conn = (await api('GET', `/sessions/${s.id}/connection?pendingConnections=true`)).json.content.find((c: any) => c.token === tokenA);
    assert.equal(conn?.status, 'pending', 'the token was not consumed by the frame without jsonrpc');

    // Unknown method → -32601; a real method before joinRoom → 803.
    await assert.rejects(rpc.request('noSuchMethod', {}), (e: any) => e.code === -32601);
    await assert.rejects(rpc.request('__proto__', {}), (e: any) => e.code === -32601);
    await assert.rejects(rpc.request('constructor', {}), (e: any) => e.code === -32601);
    for (const m of ['publishVideo', 'sendMessage', 'unpublishVideo', 'leaveRoom', 'receiveVideoFrom', 'streamPropertyChanged', 'forceDisconnect']) {
      await assert.rejects(
        rpc.request(m, { sdpOffer: 'v=0', message: '{}', sender: 'x', streamId: 'x', property: 'x', connectionId: 'x' }),
        (e: any) => e.code === 803,
        `${m} before joinRoom → 803`,
      );
    }

    // Bad joins: unknown session → 202, unknown token → 401, missing params → error, the socket still usable.
    const join = (params: Record<string, unknown>) =>
      rpc.request('joinRoom', { platform: 'x', sdkVersion: '2.32.2', metadata: '', secret: '', recorder: false, stt: false, ...params });
    await assert.rejects(join({ token: tokenA, session: `nope-${uid()}` }), (e: any) => e.code === 202);
    await assert.rejects(join({ token: `${tokenA.split('&token=')[0]}&token=tok_Forged000000000`, session }), (e: any) => e.code === 401);
    await assert.rejects(join({ token: 42, session }), (e: any) => typeof e.code === 'number' && e.code !== 0);
    await assert.rejects(join({}), (e: any) => typeof e.code === 'number');
    const joined = await join({ token: tokenA, session });
    assert.equal(joined.role, 'PUBLISHER', 'after all that the real join works on the same socket');
    await assert.rejects(join({ token: tokenA, session }), (e: any) => e.code === 401, 'joinRoom twice on one socket');

    // A used token cannot be reused from another socket.
    const thief = await RpcClient.connect(tokenA);
    clients.add(thief);
    await assert.rejects(thief.join(tokenA), (e: any) => e.code === 401, 'reused token → 401');

    // SUBSCRIBER publishing → 401.
    const sub = await participant((await createConnection(s.id, { role: 'SUBSCRIBER' })).token);
    await assert.rejects(
      sub.rpc.request('publishVideo', {
        sdpOffer: 'v=0\r\n',
        hasAudio: true,
        hasVideo: true,
        audioActive: true,
        videoActive: true,
        typeOfVideo: 'CAMERA',
        frameRate: 30,
        doLoopback: false,
      }),
      (e: any) => e.code === 401,
    );
    await assert.rejects(sub.rpc.request('forceDisconnect', { connectionId: witness.id }), (e: any) => e.code === 401, 'non-moderator forceDisconnect → 401');

    // sendMessage: invalid JSON → 600, unknown `to` → 601, `to` not an array → 601.
    await assert.rejects(rpc.request('sendMessage', { message: '{nope' }), (e: any) => e.code === 600);
    await assert.rejects(
      rpc.request('sendMessage', { message: JSON.stringify({ to: ['con_Nobody12345'], data: 'x', type: 'signal:t' }) }),
      (e: any) => e.code === 601,
    );
    await assert.rejects(rpc.request('sendMessage', { message: JSON.stringify({ to: [null], data: 'x', type: 'signal:t' }) }), (e: any) => e.code === 601);
    await assert.rejects(rpc.request('sendMessage', { message: JSON.stringify({ to: 'everyone', data: 'x', type: 'signal:t' }) }), (e: any) => e.code === 601);
    await assert.rejects(rpc.request('sendMessage', {}), (e: any) => typeof e.code === 'number');
    assert.ok(!witness.rpc.notifications.some((n) => n.method === 'sendMessage'), 'no failed signal reached anyone');

    // After all that, the witness still gets a signal from this participant.
    await rpc.request('sendMessage', { message: JSON.stringify({ to: [witness.id], data: 'survived', type: 'signal:check' }) });
    const got = await witness.rpc.waitFor('sendMessage', (x) => x.data === 'survived', 5000);
    assert.equal(got.from, joined.id);
    assert.equal(got.type, 'signal:check');
  });
});
