/**
 * Sessions, connections and POST /signal over plain HTTP: JSON shapes, query flags, CE quirks (protocol §6).
 *
 * Run: npm test -- test/embedded-openvidu/rest/sessions.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isEmbedded } from '../../helpers/openvidu-target.js';
import { useRestTarget, uid, api, assertJsonError, createSession, createConnection, participant, activeSession } from '../../helpers/ov-rest.js';

useRestTarget();

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
