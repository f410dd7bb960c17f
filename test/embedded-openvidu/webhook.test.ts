/**
 * The embedded server's webhook (protocol §7): configured headers, payload fields, and the ORDER of events over a
 * session's life, signals, evictions and a recording; plus retries of connection failures, the event allow-list and
 * "non-200 is only logged".
 *
 * webrtcConnectionCreated/Destroyed need real media (a browser publishing): the browser tests cover them; here the
 * participants are media-less JSON-RPC clients, and the tests assert that no webrtc event is emitted for them.
 *
 * Embedded only: a real deployment's webhook endpoint is not ours to configure (skipped when OPENVIDU_URL is set).
 *
 * Run: node --import tsx --test test/embedded-openvidu/webhook.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { useStubRecorder } from '../helpers/stub-recorder.js';
import { openviduTarget, isEmbedded, type OpenViduTarget } from '../helpers/openvidu-target.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { sleep } from '../helpers/until.js';

const SKIP = !isEmbedded() && 'webhook tests need the embedded server (OPENVIDU_URL is set)';
const uid = () => Math.random().toString(36).slice(2, 10);

interface Delivery {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, any>;
  raw: string;
}

/** A local webhook receiver: records every POST; answers 500 to sessions whose id starts with `wh500-`. */
async function startReceiver(port = 0) {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, any> = {};
      try {
        body = JSON.parse(raw);
      } catch {
        /* recorded as {} */
      }
      deliveries.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, raw });
      res.writeHead(String(body.sessionId ?? '').startsWith('wh500-') ? 500 : 200);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    deliveries,
    endpoint: `http://127.0.0.1:${address.port}/hook`,
    port: address.port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

function eventsOf(rx: Receiver, sessionId: string): Array<Record<string, any>> {
  return rx.deliveries.map((d) => d.body).filter((b) => b.sessionId === sessionId);
}

async function waitForEvent(rx: Receiver, sessionId: string, pred: (e: Record<string, any>) => boolean, what: string, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const e = eventsOf(rx, sessionId).find(pred);
    if (e) return e;
    await sleep(20);
  }
  assert.fail(`no webhook ${what} for ${sessionId} within ${timeoutMs} ms; got ${JSON.stringify(eventsOf(rx, sessionId).map((e) => e.event))}`);
}

describe('webhook', { skip: SKIP }, () => {
  let rx: Receiver;
  let target: OpenViduTarget;
  let AUTH: string;
  const clients = new Set<RpcClient>();

  before(async () => {
    if (SKIP) return;
    rx = await startReceiver();
    target = await openviduTarget({ webhook: { endpoint: rx.endpoint, headers: ['Authorization: Basic abc', 'X-Test: 1'] } });
    AUTH = 'Basic ' + Buffer.from(`OPENVIDUAPP:${target.secret}`).toString('base64');
  });

  after(async () => {
    if (SKIP) return;
    for (const c of clients) c.terminate();
    await target?.close();
    await rx?.close();
  });

  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${target.url}/openvidu/api${p}`, {
      method,
      headers: { Authorization: AUTH, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
  };

  const createSession = async (customSessionId = '') => {
    const r = await api('POST', '/sessions', customSessionId ? { customSessionId } : {});
    assert.equal(r.status, 200, r.text);
    return r.json;
  };

  const join = async (sessionId: string, serverData: string, clientData: string, role = 'PUBLISHER') => {
    const conn = (await api('POST', `/sessions/${sessionId}/connection`, { data: serverData, role })).json;
    const rpc = await RpcClient.connect(conn.token);
    clients.add(rpc);
    const keepAlive = setInterval(() => rpc.request('ping').catch(() => {}), 4000);
    keepAlive.unref();
    rpc.ws.once('close', () => clearInterval(keepAlive));
    const result = await rpc.join(conn.token, clientData);
    return { rpc, id: result.id as string, activeAt: result.createdAt as number };
  };

  const leave = async (p: { rpc: RpcClient }) => {
    await p.rpc.request('leaveRoom', {});
    p.rpc.close(4102);
  };

  /**
   * Barrier for "nothing more arrives": the webhook is one ordered queue (retries included), so once a marker session
   * created now has been delivered, every event queued before it has been delivered too.
   */
  const delivered = async () => {
    const marker = await createSession(`whmark-${uid()}`);
    await waitForEvent(rx, marker.id, (x) => x.event === 'sessionCreated', 'the marker sessionCreated');
    await api('DELETE', `/sessions/${marker.id}`);
  };

  const assertCommon = (e: Record<string, any>, s: { id: string; createdAt: number }) => {
    assert.equal(e.sessionId, s.id, `${e.event}.sessionId`);
    assert.equal(e.uniqueSessionId, `${s.id}_${s.createdAt}`, `${e.event}.uniqueSessionId`);
    assert.equal(typeof e.timestamp, 'number', `${e.event}.timestamp`);
    assert.ok(e.timestamp >= s.createdAt && e.timestamp <= Date.now() + 1000, `${e.event}.timestamp in range`);
  };

  test('sessionCreated: POST with the configured headers and the exact payload; /config shows the webhook', async () => {
    const s = await createSession();
    const e = await waitForEvent(rx, s.id, (x) => x.event === 'sessionCreated', 'sessionCreated');
    const d = rx.deliveries.find((x) => x.body === e)!;
    assert.equal(d.method, 'POST');
    assert.equal(d.url, '/hook');
    assert.equal(d.headers.authorization, 'Basic abc');
    assert.equal(d.headers['x-test'], '1');
    assert.match(String(d.headers['content-type']), /^application\/json/);
    assert.deepEqual(e, { event: 'sessionCreated', sessionId: s.id, uniqueSessionId: `${s.id}_${s.createdAt}`, timestamp: s.createdAt });
    assert.deepEqual(JSON.parse(d.raw), e, 'body is plain JSON');

    const cfg = (await api('GET', '/config')).json;
    assert.equal(cfg.OPENVIDU_WEBHOOK, true);
    assert.equal(cfg.OPENVIDU_WEBHOOK_ENDPOINT, rx.endpoint);
    assert.deepEqual(cfg.OPENVIDU_WEBHOOK_HEADERS, ['Authorization: Basic abc', 'X-Test: 1']);
    assert.ok(Array.isArray(cfg.OPENVIDU_WEBHOOK_EVENTS) && cfg.OPENVIDU_WEBHOOK_EVENTS.includes('sessionCreated'));
    await api('DELETE', `/sessions/${s.id}`);
  });

  test('order: created → joined → joined → signalSent (REST, RPC) → left (disconnect) → left → sessionDestroyed (lastParticipantLeft)', async () => {
    const s = await createSession(`wh-${uid()}`);
    const a = await join(s.id, 'A-server', 'A-client');
    const b = await join(s.id, 'B-server', 'B-client');
    assert.equal((await api('POST', '/signal', { session: s.id, to: [b.id], type: 'rest', data: 'from the server' })).status, 200);
    await a.rpc.request('sendMessage', { message: JSON.stringify({ to: [], data: 'hi all', type: 'signal:chat' }) });
    await b.rpc.waitFor('sendMessage', (x) => x.data === 'hi all');
    await leave(b);
    await waitForEvent(rx, s.id, (x) => x.event === 'participantLeft' && x.connectionId === b.id, 'participantLeft B');
    await leave(a);
    await waitForEvent(rx, s.id, (x) => x.event === 'sessionDestroyed', 'sessionDestroyed');
    await delivered(); // nothing may follow sessionDestroyed

    const ev = eventsOf(rx, s.id);
    assert.deepEqual(
      ev.map((e) => e.event),
      ['sessionCreated', 'participantJoined', 'participantJoined', 'signalSent', 'signalSent', 'participantLeft', 'participantLeft', 'sessionDestroyed'],
      'event order (no webrtc events: nobody published)',
    );
    for (const e of ev) assertCommon(e, s);
    for (let i = 1; i < ev.length; i++) assert.ok(ev[i].timestamp >= ev[i - 1].timestamp, `timestamps never go back (${ev[i - 1].event} → ${ev[i].event})`);

    const [, joinedA, joinedB, restSignal, rpcSignal, leftB, leftA, destroyed] = ev;
    assert.deepEqual(
      { ...joinedA, timestamp: 0 },
      {
        event: 'participantJoined',
        sessionId: s.id,
        uniqueSessionId: `${s.id}_${s.createdAt}`,
        timestamp: 0,
        participantId: a.id,
        connectionId: a.id,
        location: 'unknown',
        ip: '127.0.0.1',
        platform: 'Node test client',
        clientData: 'A-client',
        serverData: 'A-server',
      },
    );
    assert.equal(joinedB.connectionId, b.id);
    assert.equal(joinedB.clientData, 'B-client');
    assert.equal(joinedB.serverData, 'B-server');

    assert.ok(restSignal.from === null || !('from' in restSignal), `REST signal has no from (${restSignal.from})`);
    assert.deepEqual(restSignal.to, [b.id]);
    assert.equal(restSignal.type, 'signal:rest');
    assert.equal(restSignal.data, 'from the server');
    assert.equal(rpcSignal.from, a.id);
    assert.deepEqual([...rpcSignal.to].sort(), [a.id, b.id].sort(), 'empty `to` = everyone, sender included');
    assert.equal(rpcSignal.type, 'signal:chat');
    assert.equal(rpcSignal.data, 'hi all');

    for (const [left, who] of [
      [leftB, b],
      [leftA, a],
    ] as const) {
      assert.equal(left.connectionId, who.id);
      assert.equal(left.participantId, who.id);
      assert.equal(left.reason, 'disconnect');
      assert.equal(left.startTime, who.activeAt, 'participantLeft.startTime = the join time');
      assert.ok(Number.isInteger(left.duration) && left.duration >= 0 && left.duration < 60, `participantLeft.duration ${left.duration} (whole seconds)`);
      assert.equal(left.platform, 'Node test client');
    }
    assert.equal(leftA.clientData, 'A-client');
    assert.equal(leftA.serverData, 'A-server');
    assert.equal(destroyed.reason, 'lastParticipantLeft');
    assert.equal(destroyed.startTime, s.createdAt);
    assert.ok(Number.isInteger(destroyed.duration) && destroyed.duration >= 0, `sessionDestroyed.duration ${destroyed.duration}`);
    assert.ok(!ev.some((e) => String(e.event).startsWith('webrtcConnection')));
  });

  test('recording: recordingStatusChanged started → stopped → ready, same id, §7.3 fields', async () => {
    const restore = useStubRecorder(target.embedded!, Buffer.alloc(4321, 7));
    try {
      const s = await createSession(`whrec-${uid()}`);
      const a = await join(s.id, '', 'rec-client');
      const start = await api('POST', '/recordings/start', { session: s.id, name: 'wh_rec', resolution: '320x240', frameRate: 10 });
      assert.equal(start.status, 200, start.text);
      const rec = start.json;
      await sleep(300);
      assert.equal((await api('POST', `/recordings/stop/${rec.id}`)).status, 200);
      await waitForEvent(rx, s.id, (x) => x.event === 'recordingStatusChanged' && x.status === 'ready', 'recordingStatusChanged ready');
      await leave(a);
      await waitForEvent(rx, s.id, (x) => x.event === 'sessionDestroyed', 'sessionDestroyed');

      const ev = eventsOf(rx, s.id);
      assert.deepEqual(
        ev.map((e) => (e.event === 'recordingStatusChanged' ? `recording:${e.status}` : e.event)),
        ['sessionCreated', 'participantJoined', 'recording:started', 'recording:stopped', 'recording:ready', 'participantLeft', 'sessionDestroyed'],
      );
      for (const e of ev) assertCommon(e, s);
      const recEvents = ev.filter((e) => e.event === 'recordingStatusChanged');
      for (const e of recEvents) {
        assert.equal(e.id, rec.id, 'same recording id throughout');
        assert.equal(e.id, s.id, 'first recording of the session is named after it');
        assert.equal(e.name, 'wh_rec');
        assert.equal(e.outputMode, 'COMPOSED');
        assert.equal(e.resolution, '320x240');
        assert.equal(e.frameRate, 10);
        assert.equal(e.recordingLayout, 'BEST_FIT');
        assert.equal(e.hasAudio, true);
        assert.equal(e.hasVideo, true);
        assert.equal(e.startTime, rec.createdAt, 'startTime = the recording createdAt');
        assert.ok(!('customLayout' in e), 'customLayout only for CUSTOM layouts');
      }
      const [started, stopped, ready] = recEvents;
      assert.equal(started.size, 0);
      assert.equal(started.duration, 0);
      assert.ok(!('reason' in started) || started.reason == null, 'no reason on started');
      assert.equal(stopped.reason, 'recordingStoppedByServer');
      assert.equal(ready.reason, 'recordingStoppedByServer');
      assert.equal(ready.size, 4321);
      assert.equal(ready.duration, 1.5, 'ready.duration is the recording length in seconds (a double)');
      const destroyed = ev.at(-1)!;
      assert.equal(destroyed.reason, 'lastParticipantLeft');
    } finally {
      restore();
    }
  });

  test('evictions: forceDisconnect → forceDisconnectByServer; DELETE session → sessionClosedByServer, recording stopped before sessionDestroyed', async () => {
    const restore = useStubRecorder(target.embedded!, Buffer.alloc(4321, 7));
    try {
      const s = await createSession(`whev-${uid()}`);
      const a = await join(s.id, 'a', 'a');
      const b = await join(s.id, 'b', 'b');
      const c = await join(s.id, 'c', 'c');
      const m = await join(s.id, 'm', 'm', 'MODERATOR');
      const d = await join(s.id, 'd', 'd');
      assert.equal((await api('DELETE', `/sessions/${s.id}/connection/${c.id}`)).status, 204);
      const leftC = await waitForEvent(rx, s.id, (x) => x.event === 'participantLeft' && x.connectionId === c.id, 'participantLeft C');
      assert.equal(leftC.reason, 'forceDisconnectByServer');
      await m.rpc.request('forceDisconnect', { connectionId: d.id });
      const leftD = await waitForEvent(rx, s.id, (x) => x.event === 'participantLeft' && x.connectionId === d.id, 'participantLeft D');
      assert.equal(leftD.reason, 'forceDisconnectByUser', "a moderator's RPC forceDisconnect");

      const rec = (await api('POST', '/recordings/start', { session: s.id, resolution: '320x240', frameRate: 10 })).json;
      assert.equal(rec.status, 'started');
      assert.equal((await api('DELETE', `/sessions/${s.id}`)).status, 204);
      const destroyed = await waitForEvent(rx, s.id, (x) => x.event === 'sessionDestroyed', 'sessionDestroyed');
      assert.equal(destroyed.reason, 'sessionClosedByServer');
      await waitForEvent(rx, s.id, (x) => x.event === 'recordingStatusChanged' && x.status === 'ready', 'recording ready');

      const ev = eventsOf(rx, s.id);
      const idx = (pred: (e: Record<string, any>) => boolean) => ev.findIndex(pred);
      for (const who of [a, b, m]) {
        const left = ev.find((e) => e.event === 'participantLeft' && e.connectionId === who.id);
        assert.equal(left?.reason, 'sessionClosedByServer', `participantLeft ${who.id}`);
        assert.ok(ev.indexOf(left!) < ev.indexOf(destroyed), 'participantLeft before sessionDestroyed');
      }
      const stopped = ev.find((e) => e.event === 'recordingStatusChanged' && e.status === 'stopped');
      assert.ok(stopped, 'recording stopped event');
      assert.equal(stopped.id, rec.id);
      assert.equal(stopped.reason, 'sessionClosedByServer');
      assert.ok(idx((e) => e === stopped) < idx((e) => e === destroyed), 'recording stopped before sessionDestroyed');
      assert.equal(ev.filter((e) => e.event === 'sessionDestroyed').length, 1, 'exactly one sessionDestroyed');
    } finally {
      restore();
    }
  });

  test('a receiver answering 500 only gets logged: each event delivered once, later events still sent', async () => {
    const s = await createSession(`wh500-${uid()}`);
    const a = await join(s.id, '', '');
    await leave(a);
    await waitForEvent(rx, s.id, (x) => x.event === 'sessionDestroyed', 'sessionDestroyed');
    await delivered();
    assert.deepEqual(
      eventsOf(rx, s.id).map((e) => e.event),
      ['sessionCreated', 'participantJoined', 'participantLeft', 'sessionDestroyed'],
      'no retry of HTTP errors, no event lost after them',
    );
  });
});

describe('webhook delivery', { skip: SKIP }, () => {
  test('connection failures are retried: a receiver that starts late still gets the event', async (t) => {
    // Reserve a free port, release it, and point the webhook at it before anything listens there.
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close();
    const target = await openviduTarget({ webhook: { endpoint: `http://127.0.0.1:${port}/late` } });
    t.after(() => target.close());
    const auth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${target.secret}`).toString('base64');
    const s = await (
      await fetch(`${target.url}/openvidu/api/sessions`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: '{}' })
    ).json();
    await sleep(300); // first attempts are refused
    const late = await startReceiver(port);
    t.after(() => late.close());
    const e = await waitForEvent(late, s.id, (x) => x.event === 'sessionCreated', 'sessionCreated (retried)', 5000);
    assert.equal(e.timestamp, s.createdAt);
    assert.equal(late.deliveries.length, 1, 'delivered exactly once');
    assert.equal(late.deliveries[0].url, '/late');
  });

  test('recording autostop: nobody publishing → stopped (automaticStop); last participant gone → stopped, then sessionDestroyed (automaticStop)', async (t) => {
    const rx = await startReceiver();
    t.after(() => rx.close());
    const target = await openviduTarget({ recordingAutostopTimeout: 1, webhook: { endpoint: rx.endpoint } });
    t.after(() => target.close());
    const restore = useStubRecorder(target.embedded!, Buffer.alloc(4321, 7));
    t.after(async () => restore());
    const auth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${target.secret}`).toString('base64');
    const call = (method: string, p: string, body?: unknown) =>
      fetch(`${target.url}/openvidu/api${p}`, {
        method,
        headers: { Authorization: auth, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const s = await (await call('POST', '/sessions', {})).json();
    const conn = await (await call('POST', `/sessions/${s.id}/connection`, {})).json();
    const rpc = await RpcClient.connect(conn.token);
    t.after(() => rpc.terminate());
    await rpc.join(conn.token, '');

    // 1. Recording with a participant but no publisher: stops by itself after the (1 s) timeout; the session stays.
    const rec1 = await (await call('POST', '/recordings/start', { session: s.id, resolution: '320x240', frameRate: 10 })).json();
    assert.equal(rec1.status, 'started');
    const t0 = Date.now();
    const stopped1 = await waitForEvent(
      rx,
      s.id,
      (x) => x.event === 'recordingStatusChanged' && x.id === rec1.id && x.status === 'stopped',
      'autostopped',
      6000,
    );
    assert.equal(stopped1.reason, 'automaticStop');
    assert.ok(Date.now() - t0 >= 800, 'not before the timeout');
    assert.equal((await rpc.waitFor('recordingStopped', (x) => x.id === rec1.id, 3000)).reason, 'automaticStop');
    await waitForEvent(rx, s.id, (x) => x.event === 'recordingStatusChanged' && x.id === rec1.id && x.status === 'ready', 'ready 1');
    assert.equal((await call('GET', `/sessions/${s.id}`)).status, 200, 'the session stays while someone is connected');

    // 2. The last participant leaves while recording: recording autostops, then the session closes.
    const rec2 = await (await call('POST', '/recordings/start', { session: s.id, resolution: '320x240', frameRate: 10 })).json();
    assert.equal(rec2.id, `${s.id}~1`);
    await rpc.request('leaveRoom', {});
    await sleep(300);
    assert.equal((await call('GET', `/sessions/${s.id}`)).status, 200, 'the session outlives its last participant while recording');
    const destroyed = await waitForEvent(rx, s.id, (x) => x.event === 'sessionDestroyed', 'sessionDestroyed', 6000);
    assert.equal(destroyed.reason, 'automaticStop');
    const tail = eventsOf(rx, s.id)
      .slice(eventsOf(rx, s.id).findIndex((e) => e.event === 'recordingStatusChanged' && e.id === rec2.id))
      .map((e) => (e.event === 'recordingStatusChanged' ? `recording:${e.status}:${e.reason ?? ''}` : `${e.event}:${e.reason ?? ''}`));
    assert.deepEqual(tail, [
      'recording:started:',
      'participantLeft:disconnect',
      'recording:stopped:automaticStop',
      'recording:ready:automaticStop',
      'sessionDestroyed:automaticStop',
    ]);
    assert.equal((await call('GET', `/sessions/${s.id}`)).status, 404);
  });

  test('the events allow-list filters what is sent', async (t) => {
    const rx = await startReceiver();
    t.after(() => rx.close());
    const target = await openviduTarget({ webhook: { endpoint: rx.endpoint, events: ['sessionDestroyed', 'participantLeft'] } });
    t.after(() => target.close());
    const auth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${target.secret}`).toString('base64');
    const post = (p: string, body: unknown) =>
      fetch(`${target.url}/openvidu/api${p}`, {
        method: 'POST',
        headers: { Authorization: auth, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json());
    const s = await post('/sessions', {});
    const conn = await post(`/sessions/${s.id}/connection`, {});
    const rpc = await RpcClient.connect(conn.token);
    t.after(() => rpc.terminate());
    await rpc.join(conn.token, '');
    await rpc.request('leaveRoom', {});
    await waitForEvent(rx, s.id, (x) => x.event === 'sessionDestroyed', 'sessionDestroyed');
    // Barrier: a marker session's sessionDestroyed (allowed) is delivered after everything queued before it.
    const marker = await post('/sessions', {});
    await fetch(`${target.url}/openvidu/api/sessions/${marker.id}`, { method: 'DELETE', headers: { Authorization: auth } });
    await waitForEvent(rx, marker.id, (x) => x.event === 'sessionDestroyed', 'the marker sessionDestroyed');
    assert.deepEqual(
      rx.deliveries.map((d) => `${d.body.sessionId === s.id ? '' : 'marker:'}${d.body.event}`),
      ['participantLeft', 'sessionDestroyed', 'marker:sessionDestroyed'],
    );
    assert.equal(rx.deliveries[0].headers['content-type'], 'application/json', 'content-type added when no custom header sets it');
  });
});
