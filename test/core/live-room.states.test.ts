// LiveRoom's state machine with a fake openvidu-browser: no server, no media, no openvidu-browser.
import { expect } from '@open-wc/testing';
import { OvError } from '../../src/errors.js';
import { LiveRoom } from '../../src/room/live-room.js';
import { missingApi } from '../../src/browser-support.js';
import type { LiveRoomEvents } from '../../src/room/room-api.js';
import type { RoomState, TokenRequest } from '../../src/types.js';
import { rejection } from '../helpers/rejection.js';
import { fakeOpenVidu } from './fake-openvidu.js';

/** Records every LiveRoom event in order. */
function record(room: LiveRoom) {
  const log: { event: keyof LiveRoomEvents; e: any }[] = [];
  const names: (keyof LiveRoomEvents)[] = ['stateChange', 'joined', 'left', 'error', 'clipReady', 'clipDeleted'];
  for (const name of names) room.on(name, (e) => log.push({ event: name, e }));
  return {
    log,
    states: () => log.filter((x) => x.event === 'stateChange').map((x) => `${x.e.previous}→${x.e.state}`),
    of: <K extends keyof LiveRoomEvents>(name: K) => log.filter((x) => x.event === name).map((x) => x.e as LiveRoomEvents[K]),
  };
}

describe('LiveRoom state machine (fake OpenVidu)', () => {
  // join() asks `${api}/sessions/…/clips` for a clip already recording: answer "none" without the network.
  const originalFetch = window.fetch;
  let fetched: string[];
  beforeEach(() => {
    fetched = [];
    window.fetch = (async (url: string) => {
      fetched.push(String(url));
      return new Response(JSON.stringify({ clips: [] }), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
  });
  afterEach(() => {
    window.fetch = originalFetch;
  });

  const tokens: { session: string; name: string; role: string }[] = [];
  const tokenProvider = async ({ signal, ...req }: TokenRequest) => {
    expect(signal).to.be.instanceOf(AbortSignal); // checked in live-room.cancel.test.ts
    tokens.push(req);
    return 'tok_fixed';
  };

  async function joined() {
    const ov = fakeOpenVidu();
    const room = new LiveRoom({ tokenProvider, OpenVidu: ov.OpenVidu, api: '/fake-api' });
    const rec = record(room);
    await room.join({ session: 'ses_A', name: 'Ann' });
    return { ov, room, rec, session: ov.sessions[0] };
  }

  it('join: idle → joining → live, then `joined`; the fake sees token, client data and a publish', async () => {
    const ov = fakeOpenVidu();
    const room = new LiveRoom({ tokenProvider, OpenVidu: ov.OpenVidu, api: '/fake-api' });
    const rec = record(room);
    expect(room.state).to.equal('idle');
    const p = room.join({ session: 'ses_A', name: 'Ann' });
    expect(room.state).to.equal('joining'); // synchronously, before the token resolves
    await p;

    expect(room.state).to.equal('live');
    expect(room.session).to.equal('ses_A');
    expect(rec.states()).to.deep.equal(['idle→joining', 'joining→live']);
    const order = rec.log.map((x) => x.event);
    expect(order).to.deep.equal(['stateChange', 'stateChange', 'joined']);
    expect(rec.of('joined')).to.deep.equal([{ connectionId: 'con_local', session: 'ses_A' }]);
    expect(rec.of('error')).to.be.empty;

    expect(ov.prodMode).to.equal(1);
    expect(ov.sessions).to.have.length(1);
    const s = ov.sessions[0];
    expect(s.connectCalls).to.deep.equal([{ token: 'tok_fixed', metadata: { clientData: 'Ann' } }]);
    expect(s.published).to.deep.equal([ov.publishers[0]]);
    expect(tokens.at(-1)).to.deep.equal({ session: 'ses_A', name: 'Ann', role: 'publisher', kind: 'camera' });
    // the replay buffer and the recording sync, stubbed
    expect(fetched.sort()).to.deep.equal(['/fake-api/sessions/ses_A/clips', '/fake-api/sessions/ses_A/replay']);
    expect(room.local?.id).to.equal('con_local');
    expect(room.local?.isLocal).to.equal(true);
    expect(room.local?.streams.map((x) => x.streamId)).to.deep.equal(['str_local']);
    await room.leave();
  });

  it('join while joining/live rejects and changes nothing', async () => {
    const { room, rec } = await joined();
    const err = await rejection(room.join({ session: 'ses_B' }));
    expect(err).to.be.instanceOf(OvError);
    expect(room.state).to.equal('live');
    expect(room.session).to.equal('ses_A');
    expect(rec.states()).to.deep.equal(['idle→joining', 'joining→live']);
    await room.leave();
  });

  it('clip signals count only from the server: one a participant sent (with `from`) changes nothing', async () => {
    const { rec, session } = await joined();
    const clip = {
      id: 'ses_A~3',
      sessionId: 'ses_A',
      name: 'x',
      status: 'ready',
      createdAt: 1,
      duration: 2,
      size: 3,
      hasAudio: true,
      hasVideo: true,
      mediaUrl: '/m',
      thumbnailUrl: '/t',
    };
    session.emit('signal:ov-clip', { data: JSON.stringify({ ...clip, mediaUrl: 'https://evil.example/x.mp4' }), from: { connectionId: 'con_mallory' } });
    session.emit('signal:ov-clip-deleted', { data: JSON.stringify({ id: 'ses_A~1', sessionId: 'ses_A' }), from: { connectionId: 'con_mallory' } });
    expect(rec.of('clipReady')).to.be.empty;
    expect(rec.of('clipDeleted')).to.be.empty;
    session.emit('signal:ov-clip', { data: JSON.stringify(clip) });
    session.emit('signal:ov-clip-deleted', { data: JSON.stringify({ id: 'ses_A~1', sessionId: 'ses_A' }) });
    expect(rec.of('clipReady').map((e) => (e as { clip: { id: string } }).clip.id)).to.deep.equal(['ses_A~3']);
    expect(rec.of('clipDeleted')).to.deep.equal([{ id: 'ses_A~1', sessionId: 'ses_A' }]);
  });

  it('reconnecting → `reconnecting`, reconnected → `live` again', async () => {
    const { room, rec, session } = await joined();
    session.emit('reconnecting');
    expect(room.state).to.equal('reconnecting');
    session.emit('reconnected');
    expect(room.state).to.equal('live');
    expect(rec.states()).to.deep.equal(['idle→joining', 'joining→live', 'live→reconnecting', 'reconnecting→live']);
    expect(rec.of('error')).to.be.empty;
    expect(rec.of('left')).to.be.empty;
    expect(session.disconnects).to.equal(0);
    // While reconnecting the room is still usable (setAudio goes to the publisher).
    session.emit('reconnecting');
    room.setAudio(false);
    expect(room.local?.streams[0].audioActive).to.equal(false);
    session.emit('reconnected');
    await room.leave();
  });

  it('sessionDisconnected(networkDisconnect) → `error` with an OvError NETWORK, and the connection is torn down', async () => {
    const { room, rec, session } = await joined();
    session.emit('reconnecting');
    session.emit('sessionDisconnected', { reason: 'networkDisconnect' });

    expect(room.state).to.equal('error');
    expect(rec.states()).to.deep.equal(['idle→joining', 'joining→live', 'live→reconnecting', 'reconnecting→error']);
    const errors = rec.of('error');
    expect(errors).to.have.length(1);
    expect(errors[0].error).to.be.instanceOf(OvError);
    expect(errors[0].error.code).to.equal('NETWORK');
    expect(rec.of('left')).to.be.empty; // the documented path is error, not left
    expect(session.disconnects).to.equal(1);
    expect(room.participants).to.be.empty;

    // Late events from the dead session change nothing.
    session.emit('reconnected');
    expect(room.state).to.equal('error');
    // leave() from error: left, once.
    await room.leave();
    expect(room.state).to.equal('left');
    expect(rec.of('left')).to.deep.equal([{ reason: 'leave' }]);
  });

  for (const reason of ['forceDisconnectByServer', 'sessionClosedByServer'] as const) {
    it(`sessionDisconnected(${reason}) → \`left\` with that reason, no error`, async () => {
      const { room, rec, session } = await joined();
      session.emit('sessionDisconnected', { reason });
      expect(room.state).to.equal('left');
      expect(rec.states()).to.deep.equal(['idle→joining', 'joining→live', 'live→left']);
      expect(rec.of('left')).to.deep.equal([{ reason }]);
      expect(rec.of('error')).to.be.empty;
      expect(session.disconnects).to.equal(1);
      expect(room.participants).to.be.empty;

      await room.leave(); // already left: nothing more
      expect(rec.of('left')).to.have.length(1);
      expect(rec.states()).to.have.length(3);
    });
  }

  it('leave() twice is safe: one `left`, one disconnect, unpublished, ends in `left`', async () => {
    const { room, rec, session, ov } = await joined();
    await room.leave();
    await room.leave();
    expect(room.state).to.equal('left');
    expect(rec.states()).to.deep.equal(['idle→joining', 'joining→live', 'live→left']);
    expect(rec.of('left')).to.deep.equal([{ reason: 'leave' }]);
    expect(rec.of('error')).to.be.empty;
    expect(session.disconnects).to.equal(1);
    expect(session.unpublished).to.deep.equal([ov.publishers[0]]);
    expect(room.participants).to.be.empty;
    expect(room.local).to.equal(undefined);
    // Verbs now say NOT_CONNECTED.
    expect(() => room.setAudio(true))
      .to.throw(OvError)
      .with.property('code', 'NOT_CONNECTED');
  });

  it('leave() while unpublish() rejects (camera and screen): no unhandled rejection reaches the page', async () => {
    const unhandled: unknown[] = [];
    // A rejection left unhandled on purpose after leave(): the page reports unhandled rejections in the order they
    // happened, so once this one is reported, any from leave() would have been too.
    const marker = new Error('marker');
    let markerReported!: () => void;
    const reported = new Promise<void>((resolve) => (markerReported = resolve));
    const listener = (e: PromiseRejectionEvent) => {
      e.preventDefault(); // recorded here; the runner must not fail the test for it
      if (e.reason === marker) markerReported();
      else unhandled.push(e.reason);
    };
    window.addEventListener('unhandledrejection', listener);
    try {
      const ov = fakeOpenVidu();
      const track = { kind: 'video', contentHint: '', addEventListener() {}, stop() {} };
      const media = { getVideoTracks: () => [track], getTracks: () => [track] } as unknown as MediaStream;
      const room = new LiveRoom({ tokenProvider, OpenVidu: ov.OpenVidu, api: '/fake-api', getDisplayMedia: async () => media } as ConstructorParameters<
        typeof LiveRoom
      >[0]);
      await room.join({ session: 'ses_A', name: 'Ann' });
      await room.startScreenShare();
      const [camera, screen] = ov.sessions;
      camera.unpublishError = new Error('User con_local is not publishing');
      screen.unpublishError = new Error('Request has timed out');
      await room.leave();
      void Promise.reject(marker);
      await reported;
      expect([camera.unpublished.length, screen.unpublished.length]).to.deep.equal([1, 1], 'both connections were unpublished');
      expect([camera.disconnects, screen.disconnects]).to.deep.equal([1, 1], 'and both disconnected anyway');
      expect(room.state).to.equal('left');
      expect(unhandled.map((r) => (r as Error)?.message)).to.deep.equal([]);
    } finally {
      window.removeEventListener('unhandledrejection', listener);
    }
  });

  const displayErrors: [string, () => unknown, string][] = [
    [
      'NotFoundError (nothing to capture: headless Firefox)',
      () => new DOMException('The object can not be found here.', 'NotFoundError'),
      'SCREEN_SHARE_FAILED',
    ],
    ['a plain Error', () => new Error('The object can not be found here.'), 'SCREEN_SHARE_FAILED'],
    ['NotAllowedError (refused)', () => new DOMException('The object can not be found here.', 'NotAllowedError'), 'SCREEN_SHARE_CANCELLED'],
  ];
  for (const [what, error, code] of displayErrors) {
    it(`getDisplayMedia rejecting with ${what} → startScreenShare rejects ${code}, still live`, async () => {
      const ov = fakeOpenVidu();
      const room = new LiveRoom({
        tokenProvider,
        OpenVidu: ov.OpenVidu,
        api: '/fake-api',
        getDisplayMedia: async () => {
          throw error();
        },
      } as ConstructorParameters<typeof LiveRoom>[0]);
      await room.join({ session: 'ses_A', name: 'Ann' });
      const err = await rejection(room.startScreenShare());
      expect(err).to.be.instanceOf(OvError);
      expect([err.code, err.message]).to.deep.equal([code, 'The object can not be found here.']);
      expect(room.state).to.equal('live');
      expect(room.screenSharing).to.equal(false);
      expect(ov.sessions).to.have.length(1); // no screen connection was opened
      await room.leave();
    });
  }

  it('leave() before join is a no-op: stays idle, no events', async () => {
    const ov = fakeOpenVidu();
    const room = new LiveRoom({ tokenProvider, OpenVidu: ov.OpenVidu, api: '/fake-api' });
    const rec = record(room);
    await room.leave();
    await room.leave();
    expect(room.state).to.equal('idle');
    expect(rec.log).to.be.empty;
  });

  it('a throwing token provider → `error` state, an `error` event, and join() rejects with TOKEN_FAILED', async () => {
    const ov = fakeOpenVidu();
    const room = new LiveRoom({
      tokenProvider: async () => {
        throw new Error('backend down');
      },
      OpenVidu: ov.OpenVidu,
      api: '/fake-api',
    });
    const rec = record(room);
    const err = await rejection(room.join({ session: 'ses_A', name: 'Ann' }));
    expect(err).to.be.instanceOf(OvError);
    expect(err.code).to.equal('TOKEN_FAILED');
    expect(err.message).to.contain('backend down');
    expect(room.state).to.equal('error');
    expect(rec.states()).to.deep.equal(['idle→joining', 'joining→error']);
    expect(rec.of('error').map((x) => x.error)).to.deep.equal([err]);
    expect(rec.of('joined')).to.be.empty;
    expect(ov.sessions).to.be.empty; // no connection was attempted
  });

  it('a token provider throwing an OvError with another code still rejects with TOKEN_FAILED (status kept)', async () => {
    const ov = fakeOpenVidu();
    const room = new LiveRoom({
      tokenProvider: async () => {
        throw new OvError('NETWORK', 'offline', { status: 503 });
      },
      OpenVidu: ov.OpenVidu,
      api: '/fake-api',
    });
    const err = await rejection(room.join({ session: 'ses_A' }));
    expect(err.code).to.equal('TOKEN_FAILED');
    expect(err.status).to.equal(503);
    expect(room.state).to.equal('error');
  });

  it('a browser without WebRTC: join() rejects BROWSER_NOT_SUPPORTED at once, before any token, with `error` state and event', async () => {
    const ov = fakeOpenVidu();
    const asked: unknown[] = [];
    const room = new LiveRoom({
      tokenProvider: async (req) => {
        asked.push(req);
        return 'tok_fixed';
      },
      OpenVidu: ov.OpenVidu,
      api: '/fake-api',
    });
    const rec = record(room);
    const w = window as { RTCPeerConnection?: unknown };
    const original = w.RTCPeerConnection;
    let err: OvError;
    try {
      w.RTCPeerConnection = undefined; // as with media.peerconnection.enabled=false in Firefox
      err = await rejection(room.join({ session: 'ses_A', name: 'Ann' }));
    } finally {
      w.RTCPeerConnection = original;
    }
    expect(err).to.be.instanceOf(OvError);
    expect(err.code).to.equal('BROWSER_NOT_SUPPORTED');
    expect(err.message).to.contain('RTCPeerConnection');
    expect(asked).to.deep.equal([], 'no token was asked for');
    expect(ov.sessions).to.be.empty; // no connection was attempted
    expect(room.state).to.equal('error');
    expect(rec.states()).to.deep.equal(['idle→joining', 'joining→error']);
    expect(rec.of('error').map((x) => x.error)).to.deep.equal([err]);
    // Back in a WebRTC browser, the same room joins.
    await room.join({ session: 'ses_A', name: 'Ann' });
    expect(room.state).to.equal('live');
    expect(asked).to.have.length(1);
    await room.leave();
  });

  it('openvidu-browser refusing the user agent (checkSystemRequirements false): BROWSER_NOT_SUPPORTED before any token', async () => {
    const ov = fakeOpenVidu();
    let asked = 0;
    const OV = class extends ov.OpenVidu {
      checkSystemRequirements() {
        return false;
      }
    };
    const room = new LiveRoom({ tokenProvider: async () => (asked++, 'tok_fixed'), OpenVidu: OV, api: '/fake-api' });
    const rec = record(room);
    const err = await rejection(room.join({ session: 'ses_A', name: 'Ann' }));
    expect([err.code, asked, room.state]).to.deep.equal(['BROWSER_NOT_SUPPORTED', 0, 'error']);
    expect(err.message).to.contain('openvidu-browser');
    expect(rec.of('error').map((x) => x.error)).to.deep.equal([err]);
    expect(ov.sessions).to.be.empty;
  });

  it('the support check is injectable; no getUserMedia stops a publisher but not a watcher (role subscriber)', async () => {
    const ov = fakeOpenVidu();
    let asked = 0;
    const noMedia = { supported: false, browser: 'Firefox', version: 153, engine: 'Gecko', reason: 'getUserMedia' as const };
    const room = new LiveRoom({
      tokenProvider: async () => (asked++, 'tok_fixed'),
      OpenVidu: ov.OpenVidu,
      api: '/fake-api',
      browserSupport: () => noMedia,
    } as ConstructorParameters<typeof LiveRoom>[0]);
    const err = await rejection(room.join({ session: 'ses_A', name: 'Ann' }));
    expect([err.code, asked]).to.deep.equal(['BROWSER_NOT_SUPPORTED', 0]);
    expect(err.message).to.contain('getUserMedia');
    await room.join({ session: 'ses_A', name: 'Ann', role: 'subscriber' });
    expect([room.state, asked]).to.deep.equal(['live', 1]);
    await room.leave();
  });

  it('a publisher on a plain-HTTP page (no secure context, so no getUserMedia) is told so, not "browser not supported"', async () => {
    const ov = fakeOpenVidu();
    let asked = 0;
    const room = new LiveRoom({
      tokenProvider: async () => (asked++, 'tok_fixed'),
      OpenVidu: ov.OpenVidu,
      api: '/fake-api',
      browserSupport: () => ({
        supported: false,
        browser: 'Chrome',
        engine: 'Blink',
        reason: missingApi({ hasRTCPeerConnection: true, hasGetUserMedia: false, secure: false }),
      }),
    } as ConstructorParameters<typeof LiveRoom>[0]);
    const err = await rejection(room.join({ session: 'ses_A', name: 'Ann' }));
    expect([err.code, asked, room.state]).to.deep.equal(['INSECURE_CONTEXT', 0, 'error']);
    expect(missingApi({ hasRTCPeerConnection: true, hasGetUserMedia: false, secure: true }), 'secure page without the API').to.equal('getUserMedia');
    await room.join({ session: 'ses_A', name: 'Ann', role: 'subscriber' });
    expect([room.state, asked]).to.deep.equal(['live', 1]);
    await room.leave();
  });

  it('after a token failure the room can join again (error → joining → live)', async () => {
    const ov = fakeOpenVidu();
    let fail = true;
    const room = new LiveRoom({
      tokenProvider: async () => {
        if (fail) throw new Error('nope');
        return 'tok_fixed';
      },
      OpenVidu: ov.OpenVidu,
      api: '/fake-api',
    });
    const rec = record(room);
    await rejection(room.join({ session: 'ses_A' }));
    fail = false;
    await room.join({ session: 'ses_A' });
    expect(room.state).to.equal('live');
    expect(rec.states()).to.deep.equal(['idle→joining', 'joining→error', 'error→joining', 'joining→live']);
    await room.leave();
  });

  it('connect() failing → `error`, join() rejects with CONNECT_FAILED and the session is disconnected', async () => {
    const ov = fakeOpenVidu();
    const OV = class extends ov.OpenVidu {
      override initSession() {
        const s = super.initSession();
        s.connectError = new Error('ws refused');
        return s;
      }
    };
    const room = new LiveRoom({ tokenProvider, OpenVidu: OV, api: '/fake-api' });
    const rec = record(room);
    const err = await rejection(room.join({ session: 'ses_A' }));
    expect(err.code).to.equal('CONNECT_FAILED');
    expect(room.state).to.equal('error');
    expect(rec.states()).to.deep.equal(['idle→joining', 'joining→error']);
    expect(ov.sessions[0].disconnects).to.equal(1);
  });

  it("reconnecting is ignored unless live; after leave() the old session's events change nothing", async () => {
    const { room, rec, session } = await joined();
    await room.leave();
    session.emit('reconnecting');
    session.emit('reconnected');
    session.emit('sessionDisconnected', { reason: 'networkDisconnect' });
    expect(room.state).to.equal('left');
    expect(rec.states()).to.deep.equal(['idle→joining', 'joining→live', 'live→left']);
    expect(rec.of('error')).to.be.empty;
  });

  it('stateChange events carry the previous state for every transition', async () => {
    const { room, rec, session } = await joined();
    session.emit('reconnecting');
    session.emit('reconnecting'); // no duplicate event for the same state
    session.emit('reconnected');
    await room.leave();
    const seen: RoomState[] = ['idle'];
    for (const { e } of rec.log.filter((x) => x.event === 'stateChange')) {
      expect(e.previous).to.equal(seen.at(-1));
      seen.push(e.state);
    }
    expect(seen).to.deep.equal(['idle', 'joining', 'live', 'reconnecting', 'live', 'left']);
  });

  it('leave() while join() waits for the camera: ends in `left`, the session is disconnected, no error', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ov = fakeOpenVidu();
    const camera = document.createElement('canvas').captureStream(5);
    const OV = class extends ov.OpenVidu {
      override async initPublisherAsync() {
        const p = await super.initPublisherAsync();
        p.stream.getMediaStream = (() => camera) as never;
        await gate;
        return p;
      }
    };
    const room = new LiveRoom({ tokenProvider, OpenVidu: OV, api: '/fake-api' });
    const rec = record(room);
    const j = room.join({ session: 'ses_A' });
    while (ov.publishers.length === 0) await new Promise((r) => setTimeout(r, 1));
    expect(room.state).to.equal('joining');
    await room.leave();
    release();
    const outcome = await j.then(
      () => 'resolved',
      (e: OvError) => e.code,
    );
    expect(outcome).to.equal('JOIN_CANCELLED', 'join() rejects: the caller asked to leave');
    expect(room.state).to.equal('left');
    expect(rec.states()).to.deep.equal(['idle→joining', 'joining→left']);
    expect(rec.of('left')).to.deep.equal([{ reason: 'leave' }]);
    expect(rec.of('joined')).to.be.empty;
    expect(rec.of('error')).to.be.empty;
    expect(ov.sessions[0].disconnects).to.equal(1);
    expect(ov.sessions[0].published).to.be.empty;
    expect(camera.getTracks().map((t) => t.readyState)).to.deep.equal(['ended'], 'the camera opened for the cancelled join is stopped');
  });

  it('a stray `reconnected` while joining does not announce `live` before the join completes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ov = fakeOpenVidu();
    const OV = class extends ov.OpenVidu {
      override async initPublisherAsync() {
        await gate;
        return super.initPublisherAsync();
      }
    };
    const room = new LiveRoom({ tokenProvider, OpenVidu: OV, api: '/fake-api' });
    const rec = record(room);
    const j = room.join({ session: 'ses_A' });
    while (ov.sessions.length === 0 || room.local === undefined) await new Promise((r) => setTimeout(r, 1));
    ov.sessions[0].emit('reconnected');
    expect(room.state).to.equal('joining');
    release();
    await j;
    expect(rec.states()).to.deep.equal(['idle→joining', 'joining→live']);
    expect(rec.of('joined')).to.have.length(1);
  });

  describe('who is listed (identity from server data only)', () => {
    const data = (client: unknown, server: unknown) => `${JSON.stringify(client)}%/%${JSON.stringify(server)}`;
    const conn = (id: string, client: unknown, server: unknown) => ({ connectionId: id, data: data(client, server) });
    const streamOf = (connection: { connectionId: string; data: string }, id = `str_${connection.connectionId}`) => ({
      streamId: id,
      connection,
      hasAudio: false,
      hasVideo: true,
      audioActive: false,
      videoActive: true,
      typeOfVideo: 'CAMERA',
      getMediaStream: () => undefined,
    });
    const list = (room: LiveRoom) =>
      room.participants.filter((p) => !p.isLocal).map((p) => `${p.id}:${p.name}:${p.role}:${p.streams.map((x) => x.connectionId).join('+')}`);

    it('a client-set screenOf hides nobody; a server-set one folds the screen into its owner; watchers are counted', async () => {
      const { room, session } = await joined();
      const left: string[] = [];
      room.on('participantLeft', (e) => left.push(e.participant.id));
      session.emit('connectionCreated', { connection: conn('con_spy', { screenOf: 'con_x' }, { name: 'Spy', role: 'subscriber' }) });
      const bob = conn('con_bob', { clientData: 'Bob' }, { name: 'Bob', role: 'publisher' });
      session.emit('streamCreated', { stream: streamOf(bob) });
      // Mallory claims Bob's screen in her client data: she stays Mallory, with her own camera.
      const mallory = conn('con_mal', { clientData: 'Bob', screenOf: 'con_bob' }, { name: 'Mallory', role: 'publisher' });
      session.emit('streamCreated', { stream: streamOf(mallory) });
      // Bob's real screen connection: the server linked it.
      const bobScreen = conn('con_bobscr', { clientData: 'Bob' }, { name: 'Bob', role: 'publisher', screenOf: 'con_bob' });
      session.emit('streamCreated', { stream: streamOf(bobScreen) });
      expect(list(room)).to.deep.equal(['con_spy:Spy:subscriber:', 'con_bob:Bob:publisher:con_bob+con_bobscr', 'con_mal:Mallory:publisher:con_mal']);
      expect(room.participants.find((p) => p.id === 'con_bob')!.streams.map((x) => x.kind)).to.deep.equal(['camera', 'screen']);
      expect(room.watching).to.equal(1);

      // Bob's camera connection leaves while his screen connection stays: still listed, until that one goes too.
      session.emit('streamDestroyed', { stream: streamOf(bob) });
      session.emit('connectionDestroyed', { connection: bob, reason: 'disconnect' });
      expect(list(room)).to.include('con_bob:Bob:publisher:con_bobscr');
      expect(left).to.deep.equal([]);
      session.emit('streamDestroyed', { stream: streamOf(bobScreen) });
      session.emit('connectionDestroyed', { connection: bobScreen, reason: 'disconnect' });
      expect(left).to.deep.equal(['con_bob']);
      expect(list(room)).to.deep.equal(['con_spy:Spy:subscriber:', 'con_mal:Mallory:publisher:con_mal']);
      await room.leave();
    });

    it("a linked screen connection that arrives before (or without) its owner lists the owner by the server's name", async () => {
      const { room, session } = await joined();
      const screen = conn('con_scr', { clientData: 'Zed' }, { name: 'Zoe', role: 'publisher', screenOf: 'con_zoe' });
      session.emit('connectionCreated', { connection: screen });
      expect(list(room)).to.deep.equal(['con_zoe:Zoe:publisher:']);
      session.emit('connectionCreated', { connection: conn('con_zoe', { clientData: 'Zoe' }, { name: 'Zoe', role: 'publisher' }) });
      expect(list(room)).to.deep.equal(['con_zoe:Zoe:publisher:']);
      await room.leave();
    });

    it("a screen token is asked for with the camera token's grant; none without one", async () => {
      const requests: unknown[] = [];
      let grant: string | undefined = 'grant-1';
      const ov = fakeOpenVidu();
      const track = { kind: 'video', contentHint: '', addEventListener() {}, stop() {} };
      const media = { getVideoTracks: () => [track], getTracks: () => [track] } as unknown as MediaStream;
      const room = new LiveRoom({
        OpenVidu: ov.OpenVidu,
        api: '/fake-api',
        getDisplayMedia: async () => media,
        tokenProvider: async ({ signal, ...req }) => {
          expect(signal).to.be.instanceOf(AbortSignal);
          requests.push(req);
          return { token: `tok_${requests.length}`, screenGrant: grant };
        },
      } as ConstructorParameters<typeof LiveRoom>[0]);
      await room.join({ session: 'ses_A', name: 'Ann' });
      await room.startScreenShare();
      // The screen connection sends no screen marker of its own.
      expect(ov.sessions[1].connectCalls[0].metadata).to.deep.equal({ clientData: 'Ann' });
      await room.stopScreenShare();
      await room.leave();
      grant = undefined;
      await room.join({ session: 'ses_A', name: 'Ann' });
      await room.startScreenShare();
      expect(requests).to.deep.equal([
        { session: 'ses_A', name: 'Ann', role: 'publisher', kind: 'camera' },
        { session: 'ses_A', name: 'Ann', role: 'publisher', kind: 'screen', screenGrant: 'grant-1' },
        { session: 'ses_A', name: 'Ann', role: 'publisher', kind: 'camera' },
        { session: 'ses_A', name: 'Ann', role: 'publisher', kind: 'screen' },
      ]);
      await room.leave();
    });
  });
});
