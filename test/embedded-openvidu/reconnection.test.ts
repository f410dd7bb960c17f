// Socket loss: reconnection within OpenVidu's grace, eviction after it, and the ping watchdog. These need to cut a
// participant's socket from the server side, so they run against the embedded server only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isEmbedded } from '../helpers/openvidu-target.js';
import { startOvBrowserTarget, type OvBrowserTarget } from '../helpers/ov-browser.js';
import { RpcClient } from '../helpers/rpc-client.js';
import type { RpcSocket } from '../../demo-server/embedded-openvidu/rpc/rpc-socket.js';
import { sleep } from '../helpers/until.js';

const GRACE_MS = 4000;
let env: OvBrowserTarget;

describe('socket loss', { skip: !isEmbedded() && 'cuts sockets from inside the embedded server' }, () => {
  before(async () => {
    env = await startOvBrowserTarget({ reconnectionGraceMs: GRACE_MS });
  });

  after(async () => {
    await env?.close();
  });

  const connection = (sessionId: string, connectionId: string) => env.target.embedded!.core.sessions.get(sessionId)!.connections.get(connectionId)!;

  it('a dropped socket reconnects within the grace and media keeps flowing', async () => {
    const session = await env.ov.createSession({ customSessionId: 'reconnect-ok' });
    const a = await env.participant();
    await a.join((await session.createConnection()).token, 'A');
    await a.publish();
    const b = await env.participant();
    await b.join((await session.createConnection()).token, 'B');
    await b.waitForRemoteVideo(a.connectionId, 3);

    const before = connection(session.sessionId, b.connectionId);
    (before.peer as RpcSocket).ws.terminate();
    await b.waitForEvent({ type: 'reconnecting' });
    await b.waitForEvent({ type: 'reconnected' }, GRACE_MS + 5000);

    const after = connection(session.sessionId, b.connectionId);
    assert.equal(after, before, 'same participant, rebound to the new socket');
    assert.notEqual(after.peer, undefined);
    const f1 = (await b.remoteVideo())[a.connectionId].framesDecoded;
    await sleep(1000);
    const f2 = (await b.remoteVideo())[a.connectionId].framesDecoded;
    assert.ok(f2 > f1 + 5, `B still decodes A's video after reconnecting (${f1} → ${f2})`);
    // Notifications reach B through the new socket.
    await a.call('ovSignal', { type: 'after', data: 'still here' });
    const sig = await b.waitForEvent({ type: 'signal', data: 'still here' });
    assert.equal(sig.from, a.connectionId);
    assert.equal(
      (await a.log()).some((e) => e.type === 'connectionDestroyed'),
      false,
      'A never saw B leave',
    );
    await Promise.all([a.close(), b.close()]);
  });

  it('past the grace the participant is evicted and the others get networkDisconnect', async () => {
    const session = await env.ov.createSession({ customSessionId: 'reconnect-late' });
    const a = await env.participant();
    await a.join((await session.createConnection()).token, 'A');
    const b = await env.participant();
    await b.join((await session.createConnection()).token, 'B');
    await b.publish();
    await a.waitForRemoteVideo(b.connectionId, 1);
    const closedAt = Date.now();
    await b.page.close(); // the tab dies: no leaveRoom, no reconnection
    const left = await a.waitForEvent({ type: 'connectionDestroyed', connectionId: b.connectionId }, GRACE_MS + 5000);
    assert.equal(left.reason, 'networkDisconnect');
    assert.ok(Date.now() - closedAt >= GRACE_MS - 200, 'not evicted before the grace ran out');
    const streamGone = await a.waitForEvent({ type: 'streamDestroyed', connectionId: b.connectionId });
    assert.equal(streamGone.reason, 'networkDisconnect');
    await session.fetch();
    assert.deepEqual(
      session.activeConnections.map((c) => c.connectionId),
      [a.connectionId],
    );
    await a.close();
  });

  it('a reconnection with an unknown rpc session id gets error 40007', async () => {
    const session = await env.ov.createSession({ customSessionId: 'reconnect-unknown' });
    const conn = await session.createConnection();
    const c = await RpcClient.connect(conn.token, '&reconnect=true');
    await assert.rejects(c.request('connect', { sessionId: 'nope', reconnect: true }), (e: any) => e.code === 40007 && e.message === 'reconnection error');
    c.close();
  });

  it('a client that stops pinging is cut off after three intervals and then evicted', async () => {
    const session = await env.ov.createSession({ customSessionId: 'ping-watchdog' });
    const watcherConn = await session.createConnection();
    const watcher = await RpcClient.connect(watcherConn.token);
    await watcher.join(watcherConn.token);
    const silentConn = await session.createConnection();
    const silent = await RpcClient.connect(silentConn.token);
    await silent.request('ping', { interval: 1000 });
    const joined = await silent.request('joinRoom', {
      token: silentConn.token,
      session: session.sessionId,
      platform: 'test',
      sdkVersion: '2.32.2',
      metadata: '',
    });
    // Keep the watcher alive while the silent one is not pinging.
    const keepAlive = setInterval(() => void watcher.request('ping').catch(() => {}), 1000);
    try {
      const t0 = Date.now();
      await waitFor(() => silent.closed, 6000);
      const cut = Date.now() - t0;
      assert.ok(cut >= 2500 && cut < 5000, `socket closed after ${cut} ms (3 × 1000 ms interval)`);
      const left = await watcher.waitFor('participantLeft', (p) => p.connectionId === joined.id, GRACE_MS + 3000);
      assert.equal(left.reason, 'networkDisconnect');
    } finally {
      clearInterval(keepAlive);
      watcher.close();
    }
  });
});

async function waitFor(fn: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) assert.fail('timed out');
    await sleep(50);
  }
}
