// Resource limits of the reference server, attacked over real sockets: event streams per client address and in
// total (one address must not starve uploads, health or recordings), the process's descriptor limit, and the
// per-room state (cached OpenVidu sessions, event history) that must not grow with the number of rooms ever seen.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { clientKey } from '../../demo-server/src/routes/events.js';
import { EventBus } from '../../demo-server/src/services/event-bus.js';
import { OpenViduGateway } from '../../demo-server/src/services/openvidu-gateway.js';
import { startEmbeddedOpenVidu, type EmbeddedOpenVidu } from '../../demo-server/embedded-openvidu/index.js';
import { startTestServer, type TestServer } from '../helpers/app-server.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { SseClient } from '../helpers/sse.js';
import { pngHeader } from '../helpers/image-headers.js';
import { sleep } from '../helpers/until.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const run = promisify(execFile);

interface Stream {
  socket: net.Socket;
  status: number;
  head: string;
  body: string;
}

/**
 * One event stream over its own TCP connection, from a chosen loopback address (Linux routes all of 127/8 to lo,
 * so 127.0.0.2 is another client). Resolves with the status once the headers (and, for an error, its body) arrived.
 */
function openStream(base: string, room: string, from = '127.0.0.1'): Promise<Stream> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: Number(port), localAddress: from });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${from}: ${JSON.stringify(got.toString('latin1').slice(0, 200))}`));
    }, 10_000);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (d) => {
      got = Buffer.concat([got, d]);
      const text = got.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = text.slice(0, end);
      const status = Number(head.split(' ')[1]);
      const body = text.slice(end + 4);
      const length = /content-length: *(\d+)/i.exec(head);
      if (status === 200 ? !body.includes(': connected') : length && Buffer.byteLength(body) < Number(length[1])) return;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      resolve({ socket, status, head, body });
    });
    socket.write(`GET /api/sessions/${room}/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`);
  });
}

/** Tries to open a stream until it is accepted: slots are released when the server sees the close (bounded). */
async function openWhenFree(base: string, room: string, from = '127.0.0.1'): Promise<Stream> {
  let last: Stream | undefined;
  for (let i = 0; i < 100; i++) {
    last = await openStream(base, room, from);
    if (last.status === 200) return last;
    last.socket.destroy();
    await sleep(20);
  }
  assert.fail(`a freed slot was never given back: ${last?.status} ${last?.body}`);
}

function assertTooMany(s: Stream, what: string) {
  assert.equal(s.status, 429, `${what}: ${s.head}\n${s.body.slice(0, 200)}`);
  assert.match(s.head, /content-type: application\/json/i, what);
  const body = JSON.parse(s.body);
  assert.equal(body.code, 'OV_TOO_MANY_STREAMS', what);
  assert.equal(body.statusCode, 429);
  assert.equal(body.error, 'Too Many Requests');
  assert.match(body.message, /\d/, `the message gives the limit: ${body.message}`);
  assert.match(s.head, /retry-after: *\d+/i, what);
}

const sockets: net.Socket[] = [];
const closeAll = () => {
  for (const s of sockets.splice(0)) s.destroy();
};

describe('event-stream limits', () => {
  let server: TestServer;
  let png: Buffer;

  before(async () => {
    server = await startTestServer({ SSE_MAX_PER_CLIENT: '20', SSE_MAX_TOTAL: '30', RATE_LIMIT_PER_MINUTE: '100000' });
    png = pngHeader(32, 24);
  });

  after(async () => {
    closeAll();
    await server?.stop();
  });

  it(
    'one address: 20 streams open, the 21st → 429 OV_TOO_MANY_STREAMS; upload and health from that address still ' + 'work; closing streams frees slots',
    async () => {
      for (let i = 0; i < 20; i++) {
        const s = await openStream(server.url, `flood-${i % 3}`);
        sockets.push(s.socket);
        assert.equal(s.status, 200, `stream ${i + 1}: ${s.head}`);
      }
      const extra = await openStream(server.url, 'flood-0');
      sockets.push(extra.socket);
      assertTooMany(extra, 'stream 21');
      // The refused stream was answered, not hijacked: its connection stays usable for ordinary requests.
      extra.socket.destroy();

      // The same address is not starved of anything else.
      const up = await fetch(`${server.url}/api/sessions/flood-0/snapshots`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: new Uint8Array(png),
      });
      assert.equal(up.status, 201, await up.text());
      const health = await fetch(`${server.url}/api/health`);
      assert.equal(health.status, 200);
      assert.equal((await health.json()).status, 'ok');

      // Closing 5 streams gives 5 slots back, and no more.
      for (const s of sockets.splice(0, 5)) s.destroy();
      for (let i = 0; i < 5; i++) sockets.push((await openWhenFree(server.url, 'flood-1')).socket);
      const again = await openStream(server.url, 'flood-1');
      sockets.push(again.socket);
      assertTooMany(again, 'after the freed slots were taken');
      closeAll();
    },
  );

  it('another address has its own budget; the total is capped across addresses (30 here)', async () => {
    // The first test's streams may still be closing on the server: wait until 127.0.0.1 has its 20 again.
    for (let i = 0; i < 20; i++) sockets.push((await openWhenFree(server.url, `t-${i % 2}`)).socket);
    for (let i = 0; i < 10; i++) {
      const s = await openStream(server.url, 'total', '127.0.0.2');
      sockets.push(s.socket);
      assert.equal(s.status, 200, `second address, stream ${i + 1}: ${s.head}`);
    }
    const third = await openStream(server.url, 'total', '127.0.0.3');
    sockets.push(third.socket);
    assertTooMany(third, 'a third address when 30 streams are open in total');
    assert.match(JSON.parse(third.body).message, /30/, 'names the total');
    // One stream closing anywhere lets the next client in.
    sockets.shift()!.destroy();
    sockets.push((await openWhenFree(server.url, 'total', '127.0.0.3')).socket);
    closeAll();
  });

  it('a client that stops reading is let go once 1 MiB waits for it, and its slot comes back', { timeout: 60_000 }, async () => {
    const s = await openStream(server.url, 'deaf', '127.0.0.4');
    assert.equal(s.status, 200);
    s.socket.pause(); // reads nothing more: the kernel's buffers fill, then the server's
    const bus = server.app.services.bus;
    assert.equal(bus.subscriberCount('deaf'), 1);
    const big = { filler: 'x'.repeat(16 * 1024) };
    let published = 0;
    // Bounded: 4,000 events of 16 KiB (64 MiB) at most; far fewer fill loopback's buffers and the 1 MiB bound.
    while (bus.subscriberCount('deaf') > 0 && published < 4000) {
      bus.publish('deaf', 'snapshot', big);
      if (++published % 20 === 0) await sleep(1);
    }
    assert.equal(bus.subscriberCount('deaf'), 0, `the server let the stream go (after ${published} events)`);
    assert.ok(published < 4000);
    s.socket.destroy();
    // Its slot is free again: the per-client budget (20 here) is whole for that address.
    for (let i = 0; i < 20; i++) sockets.push((await openWhenFree(server.url, 'deaf', '127.0.0.4')).socket);
    closeAll();
  });

  it('a stream the client drops before its first byte never keeps a slot', async () => {
    const { port } = new URL(server.url);
    // 40 connections that send the request and vanish at once: more than the per-client cap.
    await Promise.all(
      Array.from(
        { length: 40 },
        () =>
          new Promise<void>((resolve) => {
            const socket = net.connect(Number(port), '127.0.0.1', () => {
              socket.write(`GET /api/sessions/drop/events HTTP/1.1\r\nHost: x\r\n\r\n`);
              socket.destroy();
              resolve();
            });
            socket.on('error', () => resolve());
          }),
      ),
    );
    for (let i = 0; i < 20; i++) sockets.push((await openWhenFree(server.url, 'drop')).socket);
    closeAll();
  });
});

describe('whose budget a stream counts against', () => {
  it('an IPv4 address; an IPv6 /64 (anyone holding a /64 picks any address in it); IPv4-mapped IPv6 is IPv4', () => {
    assert.equal(clientKey('203.0.113.7'), '203.0.113.7');
    assert.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
    const same = ['2001:db8::1', '2001:db8::ffff:1', '2001:DB8:0:0:1::9', '2001:0db8:0000:0000:abcd:0000:0000:0001', '2001:db8::1.2.3.4', '2001:db8::1%eth0'];
    assert.deepEqual(new Set(same.map(clientKey)), new Set(['2001:db8:0:0::/64']));
    assert.notEqual(clientKey('2001:db8:0:1::1'), clientKey('2001:db8::1'));
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
  });
});

describe('event-stream limits over HTTP/2 (HTTPS=1): streams of one connection count one by one', () => {
  it('3 streams per client: the 4th on the same connection → 429; closing one stream gives its slot back', async () => {
    const server = await startTestServer({ HTTPS: '1', HOST: '127.0.0.1', SSE_MAX_PER_CLIENT: '3' });
    const client = http2.connect(server.url, { rejectUnauthorized: false });
    client.on('error', () => {});
    const open = () =>
      new Promise<{ status: number; stream: http2.ClientHttp2Stream; body: string }>((resolve, reject) => {
        const stream = client.request({ ':path': '/api/sessions/h2/events', accept: 'text/event-stream' });
        let body = '';
        stream.on('response', (h) => {
          const status = Number(h[':status']);
          if (status === 200) resolve({ status, stream, body });
          else stream.on('end', () => resolve({ status, stream, body }));
        });
        stream.on('data', (d) => (body += d));
        stream.on('error', reject);
      });
    try {
      const streams = [];
      for (let i = 0; i < 3; i++) {
        const s = await open();
        assert.equal(s.status, 200);
        streams.push(s.stream);
      }
      const fourth = await open();
      assert.equal(fourth.status, 429);
      assert.equal(JSON.parse(fourth.body).code, 'OV_TOO_MANY_STREAMS');
      streams.shift()!.close(); // RST_STREAM: the connection stays
      let again = await open();
      for (let i = 0; i < 100 && again.status !== 200; i++) {
        await sleep(20);
        again = await open();
      }
      assert.equal(again.status, 200, 'the closed stream gave its slot back');
      streams.push(again.stream);
      assert.equal((await open()).status, 429);
    } finally {
      client.destroy();
      await server.stop();
    }
  });
});

describe('the descriptor limit', () => {
  it(
    'the server raises its soft RLIMIT_NOFILE to the hard limit at start (prlimit), and sizes the stream total from it',
    { skip: !existsSync('/proc/self/limits') || !existsSync('/usr/bin/prlimit') },
    async () => {
      // Node itself raises the soft limit when it starts (a child started with 1024:4096 runs with 4096); the
      // server's own step is for when that did not happen: the child lowers its soft limit again, then raises it.
      const script = `
      import { execFileSync } from 'node:child_process';
      import { raiseDescriptorLimit, readDescriptorLimits, sseBudget } from './demo-server/src/services/descriptor-limit.ts';
      const atStart = readDescriptorLimits();
      execFileSync('prlimit', ['--pid', String(process.pid), '--nofile=1024:4096']);
      const before = readDescriptorLimits();
      const after = raiseDescriptorLimit();
      console.log(JSON.stringify({ atStart, before, after, budget: sseBudget(10000, after) }));`;
      const { stdout } = await run('prlimit', ['--nofile=1024:4096', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: root });
      const r = JSON.parse(stdout.trim().split('\n').at(-1)!);
      assert.deepEqual(r.atStart, { soft: 4096, hard: 4096 }, 'Node raised it at start');
      assert.deepEqual(r.before, { soft: 1024, hard: 4096 });
      assert.deepEqual(r.after, { soft: 4096, hard: 4096 });
      assert.ok(r.budget.total < 4096 && r.budget.total >= 1024, `streams get part of the 4096, a reserve is kept: ${JSON.stringify(r.budget)}`);
      assert.equal(r.budget.total + r.budget.reserve, 4096);
    },
  );
});

describe('per-room state is bounded', () => {
  let ov: EmbeddedOpenVidu;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ov-limits-'));
    ov = await startEmbeddedOpenVidu({ port: 0, secret: 'LIMITS_TEST_SECRET', recordingPath: path.join(dir, 'recordings'), logger: quiet });
  });

  after(async () => {
    await ov?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('rooms that end are forgotten: cached sessions and event history, learnt from the sessionDestroyed webhook (full server)', async () => {
    const server = await startTestServer({ RATE_LIMIT_PER_MINUTE: '100000' });
    try {
      const { gateway, bus } = server.app.services;
      const cached = () => (gateway as unknown as { sessions: Map<string, unknown> }).sessions.size;
      const history = () => (bus as unknown as { history: Map<string, unknown> }).history.size;
      const nodeClientSessions = () => (gateway as unknown as { ov: { activeSessions: unknown[] } }).ov.activeSessions.length;
      // A room that stays live keeps its state.
      const live = await fetch(`${server.url}/api/sessions/stays/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(
        (r) => r.json(),
      );
      const stays = await RpcClient.connect(live.token);
      await stays.join(live.token);
      const N = 25;
      for (let i = 0; i < N; i++) {
        const room = `ends-${i}`;
        const tok = await fetch(`${server.url}/api/sessions/${room}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }).then((r) => r.json());
        const rpc = await RpcClient.connect(tok.token);
        await rpc.join(tok.token);
        // A page listening to the room while a snapshot is taken, so that the room has an event history.
        const events = new SseClient(`${server.url}/api/sessions/${room}/events`);
        await events.ready;
        const snap = await fetch(`${server.url}/api/sessions/${room}/snapshots`, {
          method: 'POST',
          headers: { 'content-type': 'image/png' },
          body: new Uint8Array(pngHeader(64, 48)),
        });
        assert.equal(snap.status, 201, await snap.text());
        await events.waitFor((e) => e.event === 'snapshot');
        events.close();
        await rpc.request('leaveRoom', {}); // the last participant leaves: OpenVidu closes the session
        rpc.close();
      }
      for (let i = 0; i < 200 && (cached() > 1 || history() > 0); i++) await sleep(50);
      assert.equal(cached(), 1, 'only the live room keeps a cached session');
      assert.equal(nodeClientSessions(), 1, "and only it stays in the node client's list");
      assert.equal(history(), 0, 'the event history of ended rooms is forgotten (the live room had no events)');
      stays.close();
    } finally {
      await server.stop();
    }
  });

  it(
    "npm start's embedded OpenVidu collects rooms nobody joined and their unused tokens " + '(OPENVIDU_SESSIONS_GARBAGE_*); the room works again afterwards',
    async () => {
      const server = await startTestServer({
        RATE_LIMIT_PER_MINUTE: '100000',
        OPENVIDU_SESSIONS_GARBAGE_INTERVAL: '1',
        OPENVIDU_SESSIONS_GARBAGE_THRESHOLD: '1',
      });
      try {
        const token = () =>
          fetch(`${server.url}/api/sessions/idle-room/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(
            (r) => r.json() as Promise<{ token: string }>,
          );
        // Asked over OpenVidu's REST API: the embedded OpenVidu runs in a process of its own.
        const ov = server.openvidu!;
        const auth = { authorization: 'Basic ' + Buffer.from(`OPENVIDUAPP:${ov.secret}`).toString('base64') };
        const exists = async () => (await fetch(`${ov.url}/openvidu/api/sessions/idle-room`, { headers: auth })).status === 200;
        const unused = await token();
        assert.ok(await exists());
        for (let i = 0; i < 100 && (await exists()); i++) await sleep(50);
        assert.equal(await exists(), false, 'collected after the 1 s threshold');
        const stale = await RpcClient.connect(unused.token);
        await assert.rejects(stale.join(unused.token), 'the unused token went with its room');
        stale.close();
        // The gateway's cached session is stale now: the next token creates the room again.
        const fresh = await token();
        const rpc = await RpcClient.connect(fresh.token);
        await rpc.join(fresh.token);
        rpc.close();
      } finally {
        await server.stop();
      }
    },
  );

  it('without webhooks, the gateway keeps at most its cache size of sessions (LRU), and forgets idle ones', async () => {
    let now = 1_000_000;
    const gateway = new OpenViduGateway({
      url: ov.url,
      secret: ov.secret,
      timeoutMs: 4000,
      clip: { resolution: '640x480', frameRate: 25, hasAudio: true, hasVideo: true },
      sessionCacheSize: 10,
      sessionIdleMs: 60_000,
      now: () => now,
    });
    const state = gateway as unknown as { sessions: Map<string, unknown>; ov: { activeSessions: { sessionId: string }[] } };
    for (let i = 0; i < 30; i++) await gateway.createToken(`lru-${i}`, { role: 'publisher', data: '{}' });
    assert.equal(state.sessions.size, 10);
    assert.equal(state.ov.activeSessions.length, 10);
    assert.deepEqual(
      [...state.sessions.keys()],
      Array.from({ length: 10 }, (_, i) => `lru-${20 + i}`),
      'the most recently used are kept',
    );
    // A room used again moves to the end; the oldest goes first.
    await gateway.createToken('lru-20', { role: 'publisher', data: '{}' });
    await gateway.createToken('lru-new', { role: 'publisher', data: '{}' });
    assert.ok(state.sessions.has('lru-20') && !state.sessions.has('lru-21'));
    // Idle past the limit: forgotten at the next use of the cache; the room still works (created again, 409 → fetched).
    now += 61_000;
    const t = await gateway.createToken('lru-25', { role: 'publisher', data: '{}' });
    assert.ok(t.token);
    assert.deepEqual([...state.sessions.keys()], ['lru-25']);
    assert.deepEqual(
      state.ov.activeSessions.map((s) => s.sessionId),
      ['lru-25'],
    );
  });

  it('without webhooks, the event bus keeps the history of at most maxRooms rooms (LRU) and forgets old ones: Last-Event-ID then asks for a resync', () => {
    let now = 0;
    const bus = new EventBus({ maxRooms: 10, maxAgeMs: 60_000, now: () => now });
    const history = (bus as unknown as { history: Map<string, { events: unknown[] }> }).history;
    // Someone listens to every room (a reconnecting client is the only reader of a history).
    const listen = (room: string) => bus.subscribe(room, () => {});
    const first = (listen('room-0'), bus.publish('room-0', 'snapshot', {}));
    for (let i = 1; i < 50; i++) {
      listen(`room-${i}`);
      bus.publish(`room-${i}`, 'snapshot', { i });
    }
    assert.equal(history.size, 10);
    assert.equal(bus.since('room-0', first.id - 1), undefined, 'room-0 was forgotten: resync');
    const last = bus.publish('room-49', 'snapshot', {});
    assert.deepEqual(
      bus.since('room-49', last.id - 1)?.map((e) => e.id),
      [last.id],
      'a live room resumes',
    );
    // Per room, the last 200 events.
    listen('busy');
    for (let i = 0; i < 500; i++) bus.publish('busy', 'snapshot', { i });
    assert.equal(history.get('busy')!.events.length, 200);
    // Old histories go, by age, even under the count.
    now += 61_000;
    listen('fresh');
    const fresh = bus.publish('fresh', 'snapshot', {});
    assert.deepEqual([...history.keys()], ['fresh']);
    assert.equal(bus.since('busy', fresh.id - 2), undefined);
    // sessionDestroyed: forgotten at once.
    bus.forget('fresh');
    assert.equal(history.size, 0);
    assert.equal(bus.since('fresh', fresh.id - 1), undefined, 'a forgotten history → resync');
    // A room nobody listens to keeps nothing: a client that comes back later is told to resync.
    const unheard = bus.publish('unheard', 'snapshot', {});
    assert.equal(history.has('unheard'), false);
    assert.equal(bus.since('unheard', unheard.id - 1), undefined);
    assert.deepEqual(bus.since('unheard', unheard.id), [], 'up to date: nothing missed');
    // The total over all rooms is bounded too.
    const small = new EventBus({ maxRooms: 1000, maxEvents: 500 });
    for (let i = 0; i < 20; i++) {
      small.subscribe(`r${i}`, () => {});
      for (let k = 0; k < 100; k++) small.publish(`r${i}`, 'snapshot', {});
    }
    assert.ok(small.stats().events <= 500, JSON.stringify(small.stats()));
    assert.equal(small.stats().rooms, 5);
  });
});
