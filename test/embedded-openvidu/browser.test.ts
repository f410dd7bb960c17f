// openvidu-browser (unmodified, in Chromium with fake devices) against the OpenVidu target: the embedded server by
// default, a real OpenVidu 2.32 when OPENVIDU_URL/OPENVIDU_SECRET are set.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenViduRole, type Session } from 'openvidu-node-client';
import { isEmbedded } from '../helpers/openvidu-target.js';
import { startOvBrowserTarget, type OvBrowserTarget } from '../helpers/ov-browser.js';
import { sleep } from '../helpers/until.js';

let env: OvBrowserTarget;
const hooks: Array<Record<string, any>> = [];
let hookServer: http.Server | undefined;

before(async () => {
  let webhook;
  if (isEmbedded()) {
    hookServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        hooks.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((r) => hookServer!.listen(0, '127.0.0.1', r));
    webhook = { endpoint: `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook` };
  }
  env = await startOvBrowserTarget({ webhook });
});

after(async () => {
  await env?.close();
  hookServer?.closeAllConnections();
  hookServer?.close();
});

let roomCounter = 0;
async function room(): Promise<Session> {
  return env.ov.createSession({ customSessionId: `browser-${process.pid}-${++roomCounter}` });
}

async function joined(session: Session, name: string, opts: { role?: OpenViduRole; data?: string } = {}) {
  const conn = await session.createConnection({ role: opts.role ?? OpenViduRole.PUBLISHER, data: opts.data ?? '' });
  const p = await env.participant();
  await p.join(conn.token, name);
  return p;
}

const waitUntil = async (what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
};

describe('openvidu-browser against the OpenVidu target', () => {
  it('two participants see each other: connection and stream events, video decoding', async () => {
    const session = await room();
    const a = await joined(session, 'Alice', { data: 'server-A' });
    const aStream = await a.publish();
    const b = await joined(session, 'Bob');
    const bStream = await b.publish();

    // B learned about A from joinRoom's `value`, A about B from participantJoined/participantPublished.
    const bSawA = await b.waitForEvent({ type: 'connectionCreated', connectionId: a.connectionId });
    assert.equal(bSawA.data, 'Alice%/%server-A', 'metadata is clientData%/%serverData');
    const aSawBStream = await a.waitForEvent({ type: 'streamCreated', connectionId: b.connectionId });
    assert.equal(aSawBStream.streamId, bStream);
    assert.equal(aSawBStream.typeOfVideo, 'CAMERA');
    assert.equal(aSawBStream.hasAudio, true);
    assert.match(aStream, new RegExp(`^str_CAM_[A-Z][A-Za-z0-9]{3}_${a.connectionId}$`));

    const first = await b.waitForRemoteVideo(a.connectionId);
    assert.ok(first.videoWidth > 0 && first.videoHeight > 0);
    await a.waitForRemoteVideo(b.connectionId);
    await sleep(1000);
    const later = (await b.remoteVideo())[a.connectionId];
    assert.ok(later.framesDecoded > first.framesDecoded + 5, `frames keep being decoded (${first.framesDecoded} → ${later.framesDecoded})`);
    assert.ok(later.audioSamples > 0, 'audio is received');

    // The node client sees the publishers and subscribers.
    await session.fetch();
    const conA = session.connections.find((c) => c.connectionId === a.connectionId)!;
    assert.equal(conA.status, 'active');
    assert.equal(conA.publishers[0].streamId, aStream);
    assert.equal(conA.publishers[0].hasVideo, true);
    assert.deepEqual(conA.subscribers, [bStream]);

    await b.call('ovLeave');
    const left = await a.waitForEvent({ type: 'connectionDestroyed', connectionId: b.connectionId });
    assert.equal(left.reason, 'disconnect');
    const gone = await a.waitForEvent({ type: 'streamDestroyed', connectionId: b.connectionId });
    assert.equal(gone.reason, 'disconnect');
    await session.fetch();
    assert.deepEqual(
      session.activeConnections.map((c) => c.connectionId),
      [a.connectionId],
    );
    // Every ICE candidate the browsers sent was for an endpoint the server accepts (no ICE_CANDIDATE_ERROR).
    for (const p of [a, b])
      assert.deepEqual(
        (await p.log()).filter((e) => e.type === 'exception'),
        [],
        'no exception event',
      );
    await a.call('ovLeave');
    await Promise.all([a.close(), b.close()]);
  });

  it('signals go both ways with the right sender, to one or to all', async () => {
    const session = await room();
    const a = await joined(session, 'A');
    const b = await joined(session, 'B');
    await a.waitForEvent({ type: 'connectionCreated', connectionId: b.connectionId });
    await a.call('ovSignal', { type: 'chat', data: 'hi B', to: [b.connectionId] });
    const atB = await b.waitForEvent({ type: 'signal', data: 'hi B' });
    assert.equal(atB.from, a.connectionId);
    assert.equal(atB.signalType, 'signal:chat');
    await b.call('ovSignal', { type: 'chat', data: 'hi all' });
    const atA = await a.waitForEvent({ type: 'signal', data: 'hi all' });
    assert.equal(atA.from, b.connectionId);
    const self = await b.waitForEvent({ type: 'signal', data: 'hi all' });
    assert.equal(self.from, b.connectionId, 'a broadcast reaches the sender too');
    assert.equal((await a.log()).filter((e) => e.data === 'hi B').length, 0, 'a targeted signal reaches only its target');
    await Promise.all([a.close(), b.close()]);
  });

  it('audio and video mute are seen by the other side with the right value', async () => {
    const session = await room();
    const a = await joined(session, 'A');
    await a.publish();
    const b = await joined(session, 'B');
    await b.waitForRemoteVideo(a.connectionId, 1);
    await a.call('ovMute', 'audio', false);
    const audioOff = await b.waitForEvent({ type: 'streamPropertyChanged', property: 'audioActive' });
    assert.equal(audioOff.newValue, false);
    await a.call('ovMute', 'video', false);
    const videoOff = await b.waitForEvent({ type: 'streamPropertyChanged', property: 'videoActive' });
    assert.equal(videoOff.newValue, false);
    await a.call('ovMute', 'video', true);
    await b.waitForEvent({ type: 'streamPropertyChanged', property: 'videoActive', newValue: true });
    // A late joiner sees the current state in joinRoom's stream object.
    const c = await joined(session, 'C');
    const seen = await c.waitForEvent({ type: 'streamCreated', connectionId: a.connectionId });
    assert.equal(seen.audioActive, false);
    assert.equal(seen.videoActive, true);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('a late joiner gets a picture (keyframe requested on subscribe)', async () => {
    const session = await room();
    const a = await joined(session, 'A');
    await a.publish();
    const b = await joined(session, 'B');
    await b.waitForRemoteVideo(a.connectionId, 3);
    // libwebrtc's VP8 sends no periodic keyframes: without the SFU asking, C would stay black.
    await sleep(2500);
    const c = await joined(session, 'C');
    const v = await c.waitForRemoteVideo(a.connectionId, 3, 10_000);
    assert.ok(v.videoWidth > 0);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('forced disconnect and forced unpublish through REST reach everyone', async () => {
    const session = await room();
    const a = await joined(session, 'A');
    await a.publish();
    const b = await joined(session, 'B');
    const bStream = await b.publish();
    await a.waitForRemoteVideo(b.connectionId, 1);

    await session.forceUnpublish(bStream);
    const atA = await a.waitForEvent({ type: 'streamDestroyed', connectionId: b.connectionId });
    assert.equal(atA.reason, 'forceUnpublishByServer');
    const atB = await b.waitForEvent({ type: 'publisherStreamDestroyed' });
    assert.equal(atB.reason, 'forceUnpublishByServer');

    await session.forceDisconnect(b.connectionId);
    const left = await a.waitForEvent({ type: 'connectionDestroyed', connectionId: b.connectionId });
    assert.equal(left.reason, 'forceDisconnectByServer');
    const kicked = await b.waitForEvent({ type: 'sessionDisconnected' });
    assert.equal(kicked.reason, 'forceDisconnectByServer');
    await session.fetch();
    assert.deepEqual(
      session.activeConnections.map((c) => c.connectionId),
      [a.connectionId],
    );
    await Promise.all([a.close(), b.close()]);
  });

  it('a moderator can force others out from the browser; a publisher cannot', async () => {
    const session = await room();
    const mod = await joined(session, 'M', { role: OpenViduRole.MODERATOR });
    const pub = await joined(session, 'P');
    await mod.waitForEvent({ type: 'connectionCreated', connectionId: pub.connectionId });
    await assert.rejects(pub.call('ovForceDisconnect', mod.connectionId), /not allowed|permission|PERMISSION/i);
    await mod.call('ovForceDisconnect', pub.connectionId);
    const kicked = await pub.waitForEvent({ type: 'sessionDisconnected' });
    assert.equal(kicked.reason, 'forceDisconnectByUser');
    await Promise.all([mod.close(), pub.close()]);
  });

  it('a SUBSCRIBER can watch but not publish', async () => {
    const session = await room();
    const a = await joined(session, 'A');
    await a.publish();
    const viewer = await joined(session, 'V', { role: OpenViduRole.SUBSCRIBER });
    await viewer.waitForRemoteVideo(a.connectionId, 1);
    await assert.rejects(viewer.publish(), /permission|not allowed|PERMISSION/i);
    await Promise.all([a.close(), viewer.close()]);
  });

  it(
    'webhooks report WebRTC connections in order (embedded target only)',
    { skip: !isEmbedded() && 'webhooks are checked on the embedded server' },
    async () => {
      const session = await room();
      const a = await joined(session, 'A');
      const aStream = await a.publish();
      const b = await joined(session, 'B');
      await b.waitForRemoteVideo(a.connectionId, 1);
      await b.call('ovLeave');
      await a.call('ovLeave');
      await waitUntil('sessionDestroyed webhook', () => hooks.some((h) => h.event === 'sessionDestroyed' && h.sessionId === session.sessionId));
      const mine = hooks.filter((h) => h.sessionId === session.sessionId);
      const seq = mine.map(
        (h) => `${h.event}${h.connection ? ':' + h.connection : ''}${h.participantId ? ':' + (h.participantId === a.connectionId ? 'A' : 'B') : ''}`,
      );
      assert.deepEqual(seq, [
        'sessionCreated',
        'participantJoined:A',
        'webrtcConnectionCreated:OUTBOUND:A',
        'participantJoined:B',
        'webrtcConnectionCreated:INBOUND:B',
        'webrtcConnectionDestroyed:INBOUND:B',
        'participantLeft:B',
        'webrtcConnectionDestroyed:OUTBOUND:A',
        'participantLeft:A',
        'sessionDestroyed',
      ]);
      const inbound = mine.find((h) => h.event === 'webrtcConnectionCreated' && h.connection === 'INBOUND')!;
      assert.equal(inbound.receivingFrom, a.connectionId);
      assert.equal(inbound.streamId, aStream);
      assert.equal(inbound.videoSource, 'CAMERA');
      const destroyed = mine.find((h) => h.event === 'webrtcConnectionDestroyed' && h.connection === 'OUTBOUND')!;
      assert.equal(destroyed.reason, 'disconnect');
      assert.equal(typeof destroyed.duration, 'number');
      assert.equal(mine.at(-1)!.reason, 'lastParticipantLeft');
      await Promise.all([a.close(), b.close()]);
    },
  );
});
