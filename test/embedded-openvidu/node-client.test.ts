/**
 * openvidu-node-client@2.32.2, unmodified, over real HTTP against `openviduTarget()` (the embedded server, or a real
 * OpenVidu 2.32 when OPENVIDU_URL/OPENVIDU_SECRET are set). Every CE method of OpenVidu, Session, Connection and
 * Recording, asserting the values the client parses, plus every error status the client surfaces as
 * `Error(String(status))` (protocol §6).
 *
 * Run: node --import tsx --test test/embedded-openvidu/node-client.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OpenVidu, OpenViduRole, Recording, RecordingLayout, RecordingMode, MediaMode, VideoCodec, type Session } from 'openvidu-node-client';
import { useStubRecorder } from '../helpers/stub-recorder.js';
import { openviduTarget, isEmbedded, type OpenViduTarget } from '../helpers/openvidu-target.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { sleep } from '../helpers/until.js';

const COMPOSED_RECORDER = fileURLToPath(new URL('../../demo-server/embedded-openvidu/recording/composed-recorder.ts', import.meta.url));
const SESSION_ID_RE = /^ses_[A-Z][A-Za-z0-9]{9}$/;
const CONNECTION_ID_RE = /^con_[A-Z][A-Za-z0-9]{9}$/;
/** Small, cheap recordings: the 2-core CI box also runs browsers. */
const CHEAP = { resolution: '320x240', frameRate: 10 };

let target: OpenViduTarget;
let ov: OpenVidu;
const clients = new Set<RpcClient>();

const uid = () => Math.random().toString(36).slice(2, 10);

before(async () => {
  target = await openviduTarget();
  ov = new OpenVidu(target.url, target.secret);
  ov.enableProdMode(); // the client's own console logging
});

after(async () => {
  for (const c of clients) c.terminate();
  await target.close();
});

/** The node client rejects with `Error(String(status))` for any unexpected status. */
async function rejectsWithStatus(p: Promise<unknown>, status: number, what: string) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof Error, `${what}: rejected with a non-Error ${String(err)}`);
    assert.equal(err.message, String(status), `${what}: expected HTTP ${status}, got "${err.message}"`);
    return true;
  });
}

/** A media-less participant that keeps pinging (the server's ping watchdog is 3 × 5 s). */
async function joinParticipant(token: string, metadata = '') {
  const rpc = await RpcClient.connect(token);
  clients.add(rpc);
  const keepAlive = setInterval(() => rpc.request('ping').catch(() => {}), 4000);
  keepAlive.unref();
  rpc.ws.once('close', () => clearInterval(keepAlive));
  const result = await rpc.join(token, metadata);
  return { rpc, result };
}

/** A session closed through this client's own API at the end of the test (404 = already closed: fine). */
async function newSession(t: { after: (fn: () => Promise<void>) => void }, props?: Parameters<OpenVidu['createSession']>[0]): Promise<Session> {
  const s = await ov.createSession(props);
  t.after(async () => {
    await s.close().catch((e: Error) => assert.equal(e.message, '404'));
  });
  return s;
}

async function startRecording(sessionId: string, props?: Parameters<OpenVidu['startRecording']>[1]): Promise<Recording> {
  try {
    return await ov.startRecording(sessionId, props as never);
  } catch (err) {
    if ((err as Error).message === '500') {
      assert.fail(
        `startRecording answered 500: the recorder could not start` +
          (isEmbedded() && !existsSync(COMPOSED_RECORDER)
            ? ` (${COMPOSED_RECORDER} does not exist: the COMPOSED recorder is not implemented yet)`
            : ' (see the server log)'),
      );
    }
    throw err;
  }
}

async function waitReady(id: string, timeoutMs = 25_000): Promise<Recording> {
  const deadline = Date.now() + timeoutMs;
  let last: Recording | undefined;
  while (Date.now() < deadline) {
    last = await ov.getRecording(id);
    if (last.status === Recording.Status.ready || last.status === Recording.Status.failed) break;
    await sleep(150);
  }
  assert.equal(last?.status, Recording.Status.ready, `recording ${id} did not become ready within ${timeoutMs} ms (last status: ${last?.status})`);
  return last!;
}

const STUB_FILE = Buffer.alloc(3210, 0x42);

// ==================================================================================================== OpenVidu

describe('OpenVidu', () => {
  test('createSession() with no properties: generated id, server defaults parsed', async (t) => {
    const before = Date.now();
    const s = await newSession(t);
    if (isEmbedded()) assert.match(s.sessionId, SESSION_ID_RE);
    else assert.ok(s.sessionId.length > 0);
    assert.equal(typeof s.createdAt, 'number');
    assert.ok(s.createdAt >= before - 5000 && s.createdAt <= Date.now() + 5000, `createdAt ${s.createdAt} is not now`);
    assert.equal(s.properties.mediaMode, MediaMode.ROUTED);
    assert.equal(s.properties.recordingMode, RecordingMode.MANUAL);
    assert.equal(s.properties.customSessionId, '');
    assert.equal(s.properties.allowTranscoding, false);
    assert.equal(s.properties.forcedVideoCodec, VideoCodec.MEDIA_SERVER_PREFERRED);
    const d = s.properties.defaultRecordingProperties!;
    assert.equal(d.name, '');
    assert.equal(d.hasAudio, true);
    assert.equal(d.hasVideo, true);
    assert.equal(d.outputMode, Recording.OutputMode.COMPOSED);
    assert.equal(d.recordingLayout, RecordingLayout.BEST_FIT);
    assert.equal(d.resolution, '1280x720');
    assert.equal(d.frameRate, 25);
    assert.equal(d.shmSize, 536870912);
    assert.equal(s.recording, false);
    assert.deepEqual(s.connections, []);
    assert.deepEqual(s.activeConnections, []);
    assert.ok(ov.activeSessions.includes(s), 'createSession adds the session to activeSessions');
  });

  test('createSession() with customSessionId and properties; a duplicate id resolves to the existing session (409 handled)', async (t) => {
    const customSessionId = `nc-${uid()}`;
    const s = await newSession(t, {
      customSessionId,
      mediaMode: MediaMode.ROUTED,
      recordingMode: RecordingMode.MANUAL,
      forcedVideoCodec: VideoCodec.VP8,
      allowTranscoding: true,
      defaultRecordingProperties: {
        name: 'dflt',
        outputMode: Recording.OutputMode.COMPOSED,
        recordingLayout: RecordingLayout.BEST_FIT,
        hasAudio: false,
        ...CHEAP,
      },
    });
    assert.equal(s.sessionId, customSessionId);
    assert.equal(s.properties.customSessionId, customSessionId);
    assert.equal(s.properties.forcedVideoCodec, VideoCodec.VP8);
    assert.equal(s.properties.allowTranscoding, true);
    const d = s.properties.defaultRecordingProperties!;
    assert.equal(d.name, 'dflt');
    assert.equal(d.hasAudio, false);
    assert.equal(d.hasVideo, true);
    assert.equal(d.resolution, '320x240');
    assert.equal(d.frameRate, 10);

    // Second createSession with the same id: POST answers 409, the client GETs the existing session and resolves.
    const ov2 = new OpenVidu(target.url, target.secret);
    const dup = await ov2.createSession({ customSessionId });
    assert.equal(dup.sessionId, customSessionId);
    assert.equal(dup.createdAt, s.createdAt, 'the duplicate resolves to the existing session (same createdAt)');
    assert.equal(dup.properties.forcedVideoCodec, VideoCodec.VP8, 'properties come from the existing session');
    assert.equal(dup.properties.defaultRecordingProperties?.resolution, '320x240');
  });

  test('fetch() adds sessions created elsewhere, reports changes, drops closed ones', async (t) => {
    const other = new OpenVidu(target.url, target.secret);
    const s = await other.createSession();
    t.after(() => s.close().catch(() => {}));
    const observer = new OpenVidu(target.url, target.secret);
    assert.equal(await observer.fetch(), true, 'a new session is a change');
    const seen = observer.activeSessions.find((x) => x.sessionId === s.sessionId);
    assert.ok(seen, 'fetch() lists the session created by another client');
    assert.equal(seen.createdAt, s.createdAt);
    assert.equal(seen.properties.mediaMode, MediaMode.ROUTED);
    assert.deepEqual(seen.connections, []);

    const conn = await s.createConnection({ data: 'fetched' });
    assert.equal(await observer.fetch(), true, 'a new pending connection is a change');
    const seen2 = observer.activeSessions.find((x) => x.sessionId === s.sessionId)!;
    assert.deepEqual(
      seen2.connections.map((c) => [c.connectionId, c.status, c.serverData]),
      [[conn.connectionId, 'pending', 'fetched']],
    );

    await s.close();
    assert.equal(await observer.fetch(), true, 'a closed session is a change');
    assert.equal(
      observer.activeSessions.find((x) => x.sessionId === s.sessionId),
      undefined,
      'closed session removed from activeSessions',
    );
  });

  test('wrong secret → 401 on every call', async () => {
    const bad = new OpenVidu(target.url, 'definitely-not-the-secret');
    await rejectsWithStatus(bad.createSession(), 401, 'createSession');
    await rejectsWithStatus(bad.fetch(), 401, 'fetch');
    await rejectsWithStatus(bad.listRecordings(), 401, 'listRecordings');
    await rejectsWithStatus(bad.getRecording('x'), 401, 'getRecording');
    await rejectsWithStatus(bad.startRecording('x'), 401, 'startRecording');
    await rejectsWithStatus(bad.stopRecording('x'), 401, 'stopRecording');
    await rejectsWithStatus(bad.deleteRecording('x'), 401, 'deleteRecording');
  });

  test('unknown (or closed) session → 404', async (t) => {
    const s = await newSession(t);
    await s.close();
    assert.equal(
      ov.activeSessions.find((x) => x.sessionId === s.sessionId),
      undefined,
      'close() removes it from activeSessions',
    );
    await rejectsWithStatus(s.fetch(), 404, 'Session.fetch of a closed session');
    await rejectsWithStatus(s.close(), 404, 'Session.close twice');
    await rejectsWithStatus(s.createConnection(), 404, 'createConnection on a closed session');
    await rejectsWithStatus(s.generateToken(), 404, 'generateToken on a closed session');
    await rejectsWithStatus(ov.startRecording(`no-such-session-${uid()}`), 404, 'startRecording of an unknown session');
    // CE quirk: connection routes answer 400 when the *session* is unknown.
    await rejectsWithStatus(s.forceDisconnect('con_Nope123456'), 400, 'forceDisconnect in a closed session');
    await rejectsWithStatus(s.forceUnpublish('str_CAM_Abcd_con_Nope123456'), 400, 'forceUnpublish in a closed session');
  });
});

// ==================================================================================================== Session / Connection

describe('Session and Connection', () => {
  test('createConnection() with role, data, record, kurentoOptions → pending Connection with parsed fields', async (t) => {
    const s = await newSession(t);
    const kurentoOptions = { videoMaxRecvBandwidth: 1000, videoMinRecvBandwidth: 300, allowedFilters: ['GStreamerFilter', 'FaceOverlayFilter'] };
    const before = Date.now();
    const c = await s.createConnection({ role: OpenViduRole.MODERATOR, data: 'server-side data', record: false, kurentoOptions });
    assert.match(c.connectionId, isEmbedded() ? CONNECTION_ID_RE : /^con_/);
    assert.equal(c.status, 'pending');
    assert.equal(c.role, OpenViduRole.MODERATOR);
    assert.equal(c.serverData, 'server-side data');
    assert.ok(c.createdAt >= before - 5000 && c.createdAt <= Date.now() + 5000);
    assert.equal(c.activeAt, null);
    assert.equal(c.platform, null);
    assert.equal(c.clientData, null);
    assert.equal(c.location, null);
    assert.equal(c.ip, null);
    assert.deepEqual(c.publishers, []);
    assert.deepEqual(c.subscribers, []);
    assert.equal(c.connectionProperties.role, OpenViduRole.MODERATOR);
    assert.equal(c.connectionProperties.data, 'server-side data');
    assert.equal(c.connectionProperties.record, false);
    assert.equal(c.connectionProperties.type, 'WEBRTC');
    assert.deepEqual(c.connectionProperties.kurentoOptions, kurentoOptions);
    assert.deepEqual(c.connectionProperties.customIceServers, []);
    // Token: ws(s)://host:port?sessionId=<id>&token=tok_… (protocol §1.1)
    const u = new URL(c.token);
    assert.match(u.protocol, /^wss?:$/);
    assert.equal(u.searchParams.get('sessionId'), s.sessionId);
    assert.match(u.searchParams.get('token') ?? '', /^tok_[A-Z][A-Za-z0-9]{15}$/);
    // The session's local list holds it too.
    assert.deepEqual(
      s.connections.map((x) => x.connectionId),
      [c.connectionId],
    );
    assert.deepEqual(s.activeConnections, []);
  });

  test('createConnection() with no properties: PUBLISHER, record true, empty data', async (t) => {
    const s = await newSession(t);
    const c = await s.createConnection();
    assert.equal(c.role, OpenViduRole.PUBLISHER);
    assert.equal(c.connectionProperties.record, true);
    assert.equal(c.serverData, '');
    assert.equal(c.connectionProperties.kurentoOptions, null);
    const { result } = await joinParticipant(c.token, 'client');
    assert.equal(result.role, 'PUBLISHER');
    assert.equal(result.record, true);
    assert.equal(result.metadata, 'client', 'no server data: metadata is only the client data');
  });

  test('createConnection() with customIceServers: parsed back, and handed to the browser in joinRoom', async (t) => {
    const s = await newSession(t);
    const customIceServers = [{ url: 'turn:127.0.0.1:3478', username: 'user', credential: 'pass' }];
    const c = await s.createConnection({ customIceServers });
    assert.deepEqual(c.connectionProperties.customIceServers, customIceServers);
    const { result } = await joinParticipant(c.token);
    assert.deepEqual(result.customIceServers, customIceServers, "joinRoom.customIceServers = the connection's own ICE servers");
  });

  test('a participant joins: status pending → active; fetch() parses activeAt, platform, clientData, publishers, subscribers', async (t) => {
    const s = await newSession(t);
    const c = await s.createConnection({ role: OpenViduRole.PUBLISHER, data: 'srv' });
    const joinedAt = Date.now();
    const { result } = await joinParticipant(c.token, '{"clientData":"Alice"}');
    assert.equal(result.id, c.connectionId);
    assert.equal(result.metadata, '{"clientData":"Alice"}%/%srv');
    assert.equal(result.session, s.sessionId);

    assert.equal(await s.fetch(), true, 'fetch() reports the change');
    const fetched = s.connections.find((x) => x.connectionId === c.connectionId);
    assert.ok(fetched);
    assert.equal(fetched.status, 'active');
    assert.equal(typeof fetched.activeAt, 'number');
    assert.ok(fetched.activeAt >= fetched.createdAt, 'activeAt ≥ createdAt');
    assert.ok(Math.abs(fetched.activeAt - joinedAt) < 5000);
    assert.equal(fetched.createdAt, c.createdAt, 'createdAt stays the token creation time');
    assert.equal(fetched.token, c.token);
    assert.equal(fetched.platform, 'Node test client');
    assert.equal(fetched.clientData, '{"clientData":"Alice"}');
    assert.equal(fetched.serverData, 'srv');
    assert.equal(fetched.role, OpenViduRole.PUBLISHER);
    if (isEmbedded()) {
      assert.equal(fetched.ip, '127.0.0.1');
      assert.equal(fetched.location, 'unknown');
    }
    assert.deepEqual(fetched.publishers, []);
    assert.deepEqual(fetched.subscribers, []);
    assert.deepEqual(
      s.activeConnections.map((x) => x.connectionId),
      [c.connectionId],
    );
    assert.equal(await s.fetch(), false, 'a second fetch() with nothing changed reports no change');
  });

  test('generateToken() (deprecated POST /tokens) creates a usable pending connection', async (t) => {
    const s = await newSession(t);
    const token = await s.generateToken({ role: OpenViduRole.SUBSCRIBER, data: 'legacy' });
    assert.equal(typeof token, 'string');
    const u = new URL(token);
    assert.equal(u.searchParams.get('sessionId'), s.sessionId);
    await s.fetch();
    const pending = s.connections.find((c) => c.token === token);
    assert.ok(pending, 'the token is a pending connection of the session');
    assert.equal(pending.status, 'pending');
    assert.equal(pending.role, OpenViduRole.SUBSCRIBER);
    assert.equal(pending.serverData, 'legacy');
    const { result } = await joinParticipant(token, 'x');
    assert.equal(result.role, 'SUBSCRIBER');
    assert.equal(result.id, pending.connectionId);

    const dflt = await s.generateToken();
    const { result: r2 } = await joinParticipant(dflt);
    assert.equal(r2.role, 'PUBLISHER', 'generateToken() defaults to PUBLISHER');
  });

  test('forceDisconnect() of a pending connection revokes its token', async (t) => {
    const s = await newSession(t);
    const c = await s.createConnection();
    await s.forceDisconnect(c);
    assert.equal(
      s.connections.find((x) => x.connectionId === c.connectionId),
      undefined,
      'removed locally',
    );
    await s.fetch();
    assert.equal(
      s.connections.find((x) => x.connectionId === c.connectionId),
      undefined,
      'removed on the server',
    );
    const rpc = await RpcClient.connect(c.token);
    clients.add(rpc);
    await assert.rejects(rpc.join(c.token), (e: any) => e.code === 401, 'joining with a revoked token → 401');
    await rejectsWithStatus(s.forceDisconnect(c.connectionId), 404, 'forceDisconnect of an unknown connection');
  });

  test('forceDisconnect() of an active connection evicts the participant', async (t) => {
    const s = await newSession(t);
    const ca = await s.createConnection({ data: 'A' });
    const cb = await s.createConnection({ data: 'B' });
    const a = await joinParticipant(ca.token);
    const b = await joinParticipant(cb.token);
    await s.fetch();
    assert.equal(s.activeConnections.length, 2);

    await s.forceDisconnect(cb.connectionId);
    const evicted = await b.rpc.waitFor('participantEvicted', (p) => p.connectionId === cb.connectionId, 5000);
    assert.equal(evicted.reason, 'forceDisconnectByServer');
    const left = await a.rpc.waitFor('participantLeft', (p) => p.connectionId === cb.connectionId, 5000);
    assert.equal(left.reason, 'forceDisconnectByServer');
    assert.deepEqual(
      s.activeConnections.map((c) => c.connectionId),
      [ca.connectionId],
      'updated locally',
    );
    await s.fetch();
    assert.deepEqual(
      s.connections.map((c) => c.connectionId),
      [ca.connectionId],
      'gone on the server',
    );
    // B's socket can no longer act in the session.
    await assert.rejects(b.rpc.request('sendMessage', { message: '{"data":"x"}' }, 3000), (e: any) => e.code === 803 || e.message === 'socket closed');
  });

  test('forceUnpublish() of an unknown stream → 404', async (t) => {
    const s = await newSession(t);
    const c = await s.createConnection();
    await joinParticipant(c.token);
    await rejectsWithStatus(s.forceUnpublish(`str_CAM_Abcd_${c.connectionId}`), 404, 'forceUnpublish of a stream that is not published');
    await rejectsWithStatus(s.forceUnpublish('nonsense'), 404, 'forceUnpublish of a garbage stream id');
  });

  test('close() evicts every participant (sessionClosedByServer) and removes the session', async (t) => {
    const s = await newSession(t);
    const c = await s.createConnection();
    const p = await joinParticipant(c.token);
    await s.close();
    const ev = await p.rpc.waitFor('participantEvicted', (x) => x.connectionId === c.connectionId, 5000);
    assert.equal(ev.reason, 'sessionClosedByServer');
    assert.equal(
      ov.activeSessions.find((x) => x.sessionId === s.sessionId),
      undefined,
    );
    await ov.fetch();
    assert.equal(
      ov.activeSessions.find((x) => x.sessionId === s.sessionId),
      undefined,
      'not listed by the server',
    );
  });
});

// ==================================================================================================== Recordings

describe('Recordings', () => {
  test('startRecording() of a session with nobody connected → 406; unknown recording → 404', async (t) => {
    const s = await newSession(t);
    await s.createConnection(); // pending only: not "active"
    await rejectsWithStatus(ov.startRecording(s.sessionId), 406, 'startRecording with no connected participant');
    await rejectsWithStatus(ov.getRecording(`nope-${uid()}`), 404, 'getRecording unknown');
    await rejectsWithStatus(ov.stopRecording(`nope-${uid()}`), 404, 'stopRecording unknown');
    await rejectsWithStatus(ov.deleteRecording(`nope-${uid()}`), 404, 'deleteRecording unknown');
  });

  /**
   * start, 409s, stop, 404 on a second stop, ready, list, a second recording (~1), delete. `stub` = the embedded server's recorder factory
   * replaced by one writing STUB_FILE: the REST contract and the client's parsing checked without ffmpeg.
   */
  async function recordingLifecycle(t: { after: (fn: () => Promise<void>) => void }, stub: boolean) {
    const s = await newSession(t, { defaultRecordingProperties: { ...CHEAP } });
    const c = await s.createConnection({ role: OpenViduRole.PUBLISHER });
    const p = await joinParticipant(c.token);

    const startedAt = Date.now();
    const rec = await startRecording(s.sessionId, { name: 'first_rec', outputMode: Recording.OutputMode.COMPOSED, hasAudio: true, hasVideo: true, ...CHEAP });
    assert.equal(rec.id, s.sessionId, 'the first recording of a session is named after it');
    assert.equal(rec.sessionId, s.sessionId);
    assert.equal(rec.properties.name, 'first_rec');
    assert.equal(rec.properties.outputMode, Recording.OutputMode.COMPOSED);
    assert.equal(rec.properties.resolution, '320x240');
    assert.equal(rec.properties.frameRate, 10);
    assert.equal(rec.properties.recordingLayout, RecordingLayout.BEST_FIT);
    assert.equal(rec.properties.hasAudio, true);
    assert.equal(rec.properties.hasVideo, true);
    assert.equal(rec.status, Recording.Status.started);
    assert.ok(Math.abs(rec.createdAt - startedAt) < 5000);
    assert.equal(rec.size, 0);
    assert.equal(rec.duration, 0);
    assert.equal(rec.url, null);
    assert.equal(ov.activeSessions.find((x) => x.sessionId === s.sessionId)?.recording, true, 'the client marks its session as recording');
    const started = await p.rpc.waitFor('recordingStarted', (x) => x.id === rec.id, 5000);
    assert.equal(started.name, 'first_rec');
    await s.fetch();
    assert.equal(s.recording, true, 'Session JSON says recording');

    await rejectsWithStatus(ov.startRecording(s.sessionId), 409, 'startRecording while already recording');
    await rejectsWithStatus(ov.deleteRecording(rec.id), 409, 'deleteRecording while started');
    const got = await ov.getRecording(rec.id);
    assert.equal(got.status, Recording.Status.started);
    assert.equal(got.properties.name, 'first_rec');

    await sleep(1500);
    const stopped = await ov.stopRecording(rec.id);
    assert.equal(stopped.id, rec.id);
    assert.equal(stopped.status, Recording.Status.stopped);
    assert.equal(ov.activeSessions.find((x) => x.sessionId === s.sessionId)?.recording, false);
    const stopNote = await p.rpc.waitFor('recordingStopped', (x) => x.id === rec.id, 5000);
    assert.equal(stopNote.reason, 'recordingStoppedByServer');
    // OpenVidu 2.32 (SessionRestController.stopRecording): a stopped recording is no longer "started" → 404.
    await rejectsWithStatus(ov.stopRecording(rec.id), 404, 'stopRecording of a stopped recording');

    const ready = await waitReady(rec.id);
    if (stub) {
      assert.equal(ready.size, STUB_FILE.length);
      assert.equal(ready.duration, 1.5);
    } else {
      assert.ok(ready.size > 0, `size ${ready.size} > 0`);
      assert.ok(ready.duration > 0.5 && ready.duration < 15, `duration ${ready.duration} s is about the 1.5 s recorded`);
    }
    assert.equal(ready.url, `${target.url.replace(/\/+$/, '')}/openvidu/recordings/${rec.id}/first_rec.mp4`);
    assert.equal(ready.createdAt, rec.createdAt);
    await rejectsWithStatus(ov.stopRecording(rec.id), 404, 'stopRecording of a ready recording');

    // Second recording of the same session: id `<sessionId>~1`, name defaults to the id, session defaults apply.
    const rec2 = await startRecording(s.sessionId);
    assert.equal(rec2.id, `${s.sessionId}~1`);
    assert.equal(rec2.properties.name, rec2.id);
    assert.equal(rec2.properties.resolution, '320x240', "the session's defaultRecordingProperties apply");
    assert.equal(rec2.properties.frameRate, 10);
    await sleep(1000);
    await ov.stopRecording(rec2.id);
    await waitReady(rec2.id);

    const list = await ov.listRecordings();
    const ids = list.map((r) => r.id);
    assert.ok(ids.includes(rec.id) && ids.includes(rec2.id), `listRecordings has both (${ids.join(', ')})`);
    assert.ok(ids.indexOf(rec2.id) < ids.indexOf(rec.id), 'newest first');
    assert.equal(list.find((r) => r.id === rec.id)?.status, Recording.Status.ready);

    await ov.deleteRecording(rec.id);
    await rejectsWithStatus(ov.getRecording(rec.id), 404, 'getRecording after delete');
    await rejectsWithStatus(ov.deleteRecording(rec.id), 404, 'deleteRecording twice');
    assert.ok(!(await ov.listRecordings()).some((r) => r.id === rec.id), 'deleted recording no longer listed');
    await ov.deleteRecording(rec2.id);
  }

  test('recording lifecycle with the real recorder: start, 409s, stop, ready (filler file), ~1, delete', { timeout: 50_000 }, (t) =>
    recordingLifecycle(t, false),
  );

  test(
    'recording lifecycle with a stub recorder (embedded): REST contract and client parsing without ffmpeg',
    { skip: !isEmbedded() && 'needs the embedded server' },
    async (t) => {
      const restore = useStubRecorder(target.embedded!, STUB_FILE);
      t.after(async () => restore());
      await recordingLifecycle(t, true);
    },
  );

  test('stopRecording() while the recording is still starting → 406', { timeout: 30_000 }, async (t) => {
    const s = await newSession(t, { defaultRecordingProperties: { ...CHEAP } });
    const c = await s.createConnection();
    await joinParticipant(c.token);
    const auth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${target.secret}`).toString('base64');
    const startHttp = () =>
      fetch(`${target.url}/openvidu/api/recordings/start`, {
        method: 'POST',
        headers: { Authorization: auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ session: s.sessionId }),
      });

    if (!target.embedded) {
      // A real OpenVidu boots its recorder container for seconds: a stop right after the start races it.
      const startP = startHttp();
      await sleep(100);
      const stop = ov.stopRecording(s.sessionId);
      const outcome = await stop.then(
        () => 'stopped',
        (e: Error) => e.message,
      );
      const startRes = await startP;
      if (outcome !== '406') {
        if (startRes.status === 200) await ov.stopRecording(s.sessionId).catch(() => {});
        return t.skip(`could not catch the recording in "starting" (stop answered ${outcome})`);
      }
      if (startRes.status === 200) await ov.stopRecording(s.sessionId).catch(() => {});
      return;
    }

    // Embedded: hold the recorder factory so the recording stays "starting" deterministically.
    const manager = target.embedded.core.recordings;
    const original = manager.recorderFactory;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    manager.recorderFactory = async (request) => {
      await gate;
      return original(request);
    };
    try {
      const startP = startHttp();
      let status = '';
      for (let i = 0; i < 200 && status !== 'starting'; i++) {
        status = await ov.getRecording(s.sessionId).then(
          (r) => r.status,
          () => '',
        );
        if (status !== 'starting') await sleep(10);
      }
      assert.equal(status, 'starting', 'GET shows the recording as starting');
      await rejectsWithStatus(ov.stopRecording(s.sessionId), 406, 'stopRecording while starting');
      await rejectsWithStatus(ov.deleteRecording(s.sessionId), 409, 'deleteRecording while starting');
      await rejectsWithStatus(ov.startRecording(s.sessionId), 409, 'startRecording while another is starting');
      release();
      const startRes = await startP;
      if (startRes.status === 200) {
        assert.equal((await startRes.json()).status, 'started');
        await ov.stopRecording(s.sessionId);
      } else if (existsSync(COMPOSED_RECORDER)) {
        assert.equal(startRes.status, 200, `the held start finally answered ${startRes.status}: ${await startRes.text()}`);
      } else {
        // The 406 under test has been checked; the missing recorder is reported by the lifecycle test.
        t.diagnostic(`the held start answered ${startRes.status}: composed-recorder.ts is missing`);
      }
    } finally {
      manager.recorderFactory = original;
      release();
    }
  });
});
