/**
 * JSON-RPC abuse over the WebSocket: garbage frames, unknown methods, bad joins, roles and signals.
 *
 * Run: npm test -- test/embedded-openvidu/rest/json-rpc.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcClient } from '../../helpers/rpc-client.js';
import { sleep } from '../../helpers/until.js';
import { useRestTarget, clients, uid, api, createSession, createConnection, participant } from '../../helpers/ov-rest.js';

useRestTarget();

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
    // Barrier: frames are read in order, so once a valid request sent after them is answered, they have been handled.
    rpc.ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'ping', id: 902 }));
    assert.ok((await frameFor(rpc, 902))?.result, 'the ping after them is answered');
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
