// LiveRoom and the replay buffer with a fake openvidu-browser and a fake server: read (or asked for) once live,
// followed through the server's `ov-replay` signals and nobody else's, clipped with `clipReplay()`; a server that has
// replay off, forbids it or cannot be reached leaves `replay` null, with no error.
import { expect } from '@open-wc/testing';
import { LiveRoom } from '../../src/room/live-room.js';
import type { JoinOptions } from '../../src/room/room-api.js';
import type { Replay } from '../../src/types.js';
import { rejection } from '../helpers/rejection.js';
import { answer, apiError, fakeServer, replayClip, replayOf } from './fake-replay.js';
import { fakeOpenVidu } from './fake-openvidu.js';

describe('LiveRoom replay buffer (fake OpenVidu)', () => {
  let server: ReturnType<typeof fakeServer>;
  let infos: string[];
  const originalInfo = console.info;
  beforeEach(() => {
    infos = [];
    console.info = (...a: unknown[]) => void infos.push(a.join(' '));
  });
  afterEach(() => {
    server?.restore();
    console.info = originalInfo;
  });

  async function joined(routes: Parameters<typeof fakeServer>[0] = {}, options: Partial<JoinOptions> = {}) {
    server = fakeServer(routes);
    const ov = fakeOpenVidu();
    const room = new LiveRoom({ tokenProvider: async () => 'tok', OpenVidu: ov.OpenVidu, api: '/fake-api' });
    const changes: (Replay | null)[] = [];
    const errors: string[] = [];
    room.on('replayChange', (e) => changes.push(e.replay));
    room.on('error', (e) => errors.push(e.error.code));
    await room.join({ session: 'ses_A', name: 'Ann', ...options });
    const session = ov.sessions[0];
    const signal = (data: unknown, from?: unknown) => session.emit('signal:ov-replay', { data: typeof data === 'string' ? data : JSON.stringify(data), from });
    return { ov, room, session, changes, errors, signal, states: () => changes.map((r) => r?.state ?? null) };
  }

  it('reads the buffer once live (GET): its state becomes `replay`, announced once', async () => {
    const { room, changes, errors } = await joined({ replay: () => answer(200, replayOf('on')) });
    await server.replayRead();
    expect(server.replayCalls()).to.deep.equal(['GET /fake-api/sessions/ses_A/replay']);
    expect(room.replay).to.deep.equal(replayOf('on'));
    expect(changes).to.deep.equal([replayOf('on')]);
    expect(errors).to.be.empty;
    expect(infos).to.be.empty;
    await room.leave();
  });

  it('`replay` asks for a buffer (POST, no body); a reconnection only reads it again (GET)', async () => {
    const { room, session, states } = await joined({ replay: (c) => answer(200, replayOf(c.method === 'POST' ? 'starting' : 'on')) }, { replay: true });
    await server.replayRead();
    expect(server.replayCalls()).to.deep.equal(['POST /fake-api/sessions/ses_A/replay']);
    expect(server.calls.find((c) => c.method === 'POST')!.body).to.equal(undefined);
    session.emit('reconnecting');
    session.emit('reconnected');
    await server.replayRead();
    expect(server.replayCalls().at(-1)).to.equal('GET /fake-api/sessions/ses_A/replay');
    expect(states()).to.deep.equal(['starting', 'on']);
    await room.leave();
  });

  it('a server with replay off (409 REPLAY_OFF) leaves `replay` null: no error, the room stays live, one console hint', async () => {
    const { room, changes, errors } = await joined({ replay: () => apiError(409, 'REPLAY_OFF', 'Replay is off on this server') }, { replay: true });
    await server.replayRead();
    expect(room.replay).to.equal(null);
    expect([room.state, changes.length, errors.length]).to.deep.equal(['live', 0, 0]);
    expect(infos).to.have.length(1);
    expect(infos[0]).to.contain('Replay is off on this server');
    await room.leave();
  });

  for (const [what, route] of [
    ['404 (a server without replay)', () => apiError(404, 'OV_NOT_FOUND')],
    ['403', () => apiError(403, 'OV_FORBIDDEN')],
    ['a network error', () => Promise.reject(new TypeError('Failed to fetch'))],
    ['an answer that is not a Replay', () => answer(200, { sessionId: 'ses_A', state: 'on', seconds: '30', held: 1 })],
  ] as const) {
    it(`reading it: ${what} leaves \`replay\` null, without an error or a hint`, async () => {
      const { room, changes, errors } = await joined({ replay: route });
      await server.replayRead();
      expect([room.replay, room.state, changes.length, errors.length, infos.length]).to.deep.equal([null, 'live', 0, 0, 0]);
      await room.leave();
    });
  }

  it("follows the server's `ov-replay` signals: each change once, the same state again is no news", async () => {
    const { room, signal, states } = await joined();
    await server.replayRead();
    signal(replayOf('starting', { held: 0 }));
    signal(replayOf('on'));
    signal(replayOf('on'));
    expect(room.replay).to.deep.equal(replayOf('on'));
    signal(replayOf('off', { held: 0 }));
    expect(states()).to.deep.equal(['off', 'starting', 'on', 'off']);
    await room.leave();
  });

  it('a participant cannot show (or hide) a buffer: an `ov-replay` signal with `from` changes nothing', async () => {
    const { room, signal, states } = await joined();
    await server.replayRead();
    signal(replayOf('on'), { connectionId: 'con_mallory' });
    expect(room.replay).to.deep.equal(replayOf('off'));
    signal(replayOf('on'));
    signal(replayOf('off'), { connectionId: 'con_mallory' });
    expect(room.replay!.state).to.equal('on');
    expect(states()).to.deep.equal(['off', 'on']);
    await room.leave();
  });

  it('only a Replay of this room counts: another room, a bad shape or not JSON is ignored, and only its fields are kept', async () => {
    const { room, signal, states } = await joined();
    await server.replayRead();
    for (const bad of [
      'not json',
      'null',
      '"on"',
      replayOf('on', { sessionId: 'ses_B' }),
      { ...replayOf('on'), state: 'recording' },
      { ...replayOf('on'), state: ['on'] },
      { ...replayOf('on'), seconds: '30' },
      { ...replayOf('on'), seconds: -1 },
      { ...replayOf('on'), held: null },
      '{"sessionId":"ses_A","state":"on","seconds":1e999,"held":1}',
    ]) {
      signal(bad);
    }
    expect(states()).to.deep.equal(['off']);
    signal({ ...replayOf('on'), extra: '<img src=x onerror=alert(1)>' });
    expect(room.replay).to.deep.equal(replayOf('on'));
    await room.leave();
  });

  it('a signal that arrives while the read is under way wins over its (older) answer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { room, signal, states } = await joined({
      replay: async () => {
        await gate;
        return answer(200, replayOf('off'));
      },
    });
    signal(replayOf('on'));
    release();
    await server.replayRead();
    expect(room.replay!.state).to.equal('on');
    expect(states()).to.deep.equal(['on']);
    await room.leave();
  });

  it('clipReplay() posts {replaySeconds, name} (default: all the server gives) and the clip comes out as ready', async () => {
    const { room } = await joined({ replay: () => answer(200, replayOf('on')) });
    await server.replayRead();
    const ready: string[] = [];
    room.on('clipReady', (e) => ready.push(e.clip.id));
    const clip = await room.clipReplay(undefined, "Ann's clip");
    expect(clip).to.deep.equal(replayClip());
    await room.clipReplay(10);
    expect(server.clipPosts().map((c) => [c.url, c.body])).to.deep.equal([
      ['/fake-api/sessions/ses_A/clips', { replaySeconds: 30, name: "Ann's clip" }],
      ['/fake-api/sessions/ses_A/clips', { replaySeconds: 10 }],
    ]);
    expect(ready).to.deep.equal([replayClip().id]);
    await room.leave();
  });

  it("clipReplay() fails with the server's code (REPLAY_EMPTY, REPLAY_OFF), and is refused here while the buffer is not on", async () => {
    let code = 'REPLAY_EMPTY';
    const { room, signal } = await joined({ replay: () => answer(200, replayOf('on', { held: 0 })), clip: () => apiError(409, code) });
    await server.replayRead();
    const empty = await rejection(room.clipReplay());
    expect([empty.code, empty.status]).to.deep.equal(['REPLAY_EMPTY', 409]);
    code = 'REPLAY_OFF';
    expect((await rejection(room.clipReplay())).code).to.equal('REPLAY_OFF');
    signal(replayOf('starting'));
    const posts = server.clipPosts().length;
    expect((await rejection(room.clipReplay())).code).to.equal('REPLAY_OFF');
    expect(server.clipPosts()).to.have.length(posts, 'no request while the buffer is not on');
    await room.leave();
    expect((await rejection(room.clipReplay())).code).to.equal('NOT_CONNECTED');
  });

  it('leave(): `replay` is null again (announced), the old session tells nothing, and a late answer is dropped', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { room, signal, changes } = await joined({
      replay: async () => {
        await gate;
        return answer(200, replayOf('on'));
      },
    });
    signal(replayOf('on'));
    await room.leave();
    expect(room.replay).to.equal(null);
    signal(replayOf('starting'));
    release();
    expect(server.calls.find((c) => c.url.endsWith('/replay'))!.signal!.aborted, 'leave() aborted the read').to.equal(true);
    expect(changes.map((r) => r?.state ?? null)).to.deep.equal(['on', null]);
  });
});
