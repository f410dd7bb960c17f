// What one token costs the gateway in calls to OpenVidu, in a room full of unused tokens (pending connections):
// a cold or expired session cache must not download the room's connections, however many there are.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OpenViduGateway } from '../../demo-server/src/services/openvidu-gateway.js';
import { startEmbeddedOpenVidu, type EmbeddedOpenVidu } from '../../demo-server/embedded-openvidu/index.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const clip = { resolution: '640x480', frameRate: 25, hasAudio: true, hasVideo: true };

interface Call {
  method: string;
  url: string;
  status: number;
  bytes: number;
}

/** A pass-through HTTP proxy in front of OpenVidu that writes down every call and the size of every answer. */
async function countingProxy(target: string) {
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    const up = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (upRes) => {
      const call: Call = { method: req.method ?? '', url: req.url ?? '', status: upRes.statusCode ?? 0, bytes: 0 };
      calls.push(call);
      upRes.on('data', (d: Buffer) => (call.bytes += d.length));
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    /** Calls since the mark, and their answers' total size. */
    since(mark: number) {
      const list = calls.slice(mark);
      return { list, bytes: list.reduce((a, c) => a + c.bytes, 0), gets: list.filter((c) => c.method === 'GET') };
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('token cost: no download of the room per token', () => {
  let dir: string;
  let ov: EmbeddedOpenVidu;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  const PENDING = 400;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ov-token-cost-'));
    ov = await startEmbeddedOpenVidu({ port: 0, secret: 'TOKEN_COST_SECRET', recordingPath: path.join(dir, 'recordings'), logger: quiet });
    proxy = await countingProxy(ov.url);
  });

  after(async () => {
    await proxy?.close();
    await ov?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'after the session cache expires, and from a fresh gateway, a token costs two small calls in a room of 400 ' +
      'unused tokens; later ones one; a re-created room keeps its creation time',
    async () => {
      let now = 1_000_000;
      const gateway = new OpenViduGateway({ url: proxy.url, secret: ov.secret, timeoutMs: 4000, clip, sessionIdleMs: 60_000, now: () => now });
      const room = 'busy-room';
      for (let i = 0; i < PENDING; i++) await gateway.createToken(room, { role: 'subscriber', data: `{"i":${i}}` });
      assert.equal(ov.core.sessions.get(room)?.connections.size, PENDING, 'the room holds every unused token');
      const oneConnection = proxy.calls.at(-1)!.bytes;

      // The cache entry expires: the next token creates the session again (409: it exists) and asks for one connection.
      now += 61_000;
      let mark = proxy.calls.length;
      const t = await gateway.createToken(room, { role: 'publisher', data: '{}' });
      assert.ok(t.token && t.connectionId);
      let spent = proxy.since(mark);
      assert.deepEqual(spent.gets, [], 'no GET of the session or its connections');
      assert.deepEqual(
        spent.list.map((c) => `${c.method} ${c.url.split('?')[0]} ${c.status}`),
        ['POST /openvidu/api/sessions 409', `POST /openvidu/api/sessions/${room}/connection 200`],
      );
      assert.ok(spent.bytes < 4 * oneConnection, `${spent.bytes} bytes read from OpenVidu for one token (one connection is ${oneConnection})`);

      // The next tokens hit the cache: one call each.
      mark = proxy.calls.length;
      for (let i = 0; i < 5; i++) await gateway.createToken(room, { role: 'subscriber', data: '{}' });
      spent = proxy.since(mark);
      assert.equal(spent.list.length, 5);
      assert.ok(spent.list.every((c) => c.method === 'POST' && c.url === `/openvidu/api/sessions/${room}/connection`));

      // A fresh gateway (a restarted server), 50 tokens at once: one session creation, no GET, one connection each.
      const fresh = new OpenViduGateway({ url: proxy.url, secret: ov.secret, timeoutMs: 4000, clip });
      mark = proxy.calls.length;
      const burst = await Promise.all(Array.from({ length: 50 }, () => fresh.createToken(room, { role: 'subscriber', data: '{}' })));
      assert.equal(new Set(burst.map((b) => b.connectionId)).size, 50);
      spent = proxy.since(mark);
      assert.deepEqual(spent.gets, []);
      assert.equal(spent.list.filter((c) => c.url === '/openvidu/api/sessions').length, 1, 'one creation for the room');
      assert.ok(spent.bytes < 60 * 2 * oneConnection, `${spent.bytes} bytes read for 50 tokens`);

      // A room created again after it closed keeps its creation time, so a late sessionDestroyed of the old one keeps it.
      const state = fresh as unknown as { sessions: Map<string, unknown>; ov: { activeSessions: { sessionId: string; createdAt: number }[] } };
      await fresh.createToken('closing-room', { role: 'publisher', data: '{}' });
      const first = ov.core.sessions.get('closing-room')!;
      const firstCreated = first.createdAt;
      await ov.core.closeSession(first, 'sessionClosedByServer');
      // The cached session is gone in OpenVidu: the next token creates it again (200), through the node client's list.
      mark = proxy.calls.length;
      await fresh.createToken('closing-room', { role: 'publisher', data: '{}' });
      assert.deepEqual(proxy.since(mark).gets, []);
      const kept = state.ov.activeSessions.filter((s) => s.sessionId === 'closing-room');
      assert.equal(kept.length, 1, "one Session in the node client's list for the room");
      assert.ok(kept[0].createdAt >= firstCreated);
      fresh.sessionEnded('closing-room', firstCreated - 1);
      assert.equal(state.sessions.has('closing-room'), true, 'the end of an older session does not forget the newer one');
      fresh.sessionEnded('closing-room', kept[0].createdAt);
      assert.equal(state.sessions.has('closing-room'), false);
      assert.equal(
        state.ov.activeSessions.some((s) => s.sessionId === 'closing-room'),
        false,
      );
    },
  );

  it('a kept-alive socket that OpenVidu closes as it is reused does not fail the token (asked again on a new socket)', async () => {
    // A stand-in for OpenVidu that answers one request per connection, then closes the connection when the next
    // request arrives on it: what a server's idle timeout racing a reused socket looks like to the client.
    const served = new WeakMap<object, number>();
    let connections = 0;
    const fake = http.createServer((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n > 1) return req.socket.destroy();
      req.resume();
      req.on('end', () => {
        const url = req.url ?? '';
        const reply = (status: number, body: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json', connection: 'keep-alive' }).end(JSON.stringify(body));
        if (req.method === 'POST' && url === '/openvidu/api/sessions') return reply(409, {});
        if (req.method === 'POST' && url.endsWith('/connection')) return reply(200, { id: `con_${connections}`, token: `wss://x?token=tok_${connections}` });
        if (req.method === 'GET')
          return reply(200, { id: 'stale-room', sessionId: 'stale-room', createdAt: 1, connections: { numberOfElements: 0, content: [] } });
        reply(404, {});
      });
    });
    fake.on('connection', () => connections++);
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const gateway = new OpenViduGateway({ url: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`, secret: 'S', timeoutMs: 2000, clip });
      for (let i = 0; i < 3; i++) {
        const t = await gateway.createToken('stale-room', { role: 'subscriber', data: '{}' });
        assert.match(t.token, /^wss:\/\/x\?token=tok_\d+$/);
      }
      assert.ok(connections >= 4, `${connections} connections: each reused socket was closed and replaced`);
    } finally {
      fake.closeAllConnections();
      await new Promise<void>((r) => fake.close(() => r()));
    }
  });
});
