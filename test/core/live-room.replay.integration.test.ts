// LiveRoom's replay buffer with the real openvidu-browser against the reference server + embedded OpenVidu, as the
// browser tests start it (replay off: REPLAY_SECONDS is 0). A room that asks for a buffer gets 409 REPLAY_OFF and
// goes on without one (no error, one console hint); a room that only reads sees `off`; a participant's forged
// `ov-replay` signal, sent with openvidu-browser itself, shows nobody a buffer.
import { expect } from '@open-wc/testing';
import { OpenVidu } from 'openvidu-browser';
import { LiveRoom } from '../../src/room/live-room.js';
import { endpointTokenProvider } from '../../src/token/token-provider.js';
import type { Replay } from '../../src/types.js';
import { until } from '../helpers/until.js';

const API = (window as unknown as { OV_TEST_API: string }).OV_TEST_API;
let n = 0;
const newSession = () => `replay-${Date.now().toString(36)}-${++n}`;
const room = (session: string) => new LiveRoom({ api: API, tokenProvider: endpointTokenProvider(`${API}/sessions/${session}/token`) });

describe('LiveRoom replay (integration, real openvidu-browser + embedded OpenVidu, replay off)', function (this: { timeout(ms: number): void }) {
  this.timeout(60_000);
  let rooms: LiveRoom[] = [];
  const originalInfo = console.info;
  let infos: string[] = [];
  beforeEach(() => {
    infos = [];
    console.info = (...a: unknown[]) => void infos.push(a.join(' '));
  });
  afterEach(async () => {
    console.info = originalInfo;
    await Promise.all(rooms.map((r) => r.leave()));
    rooms = [];
  });

  it('asking for a buffer on a server with replay off: live, `replay` null, no error, one console hint', async () => {
    const session = newSession();
    const a = room(session);
    rooms.push(a);
    const errors: string[] = [];
    const changes: (Replay | null)[] = [];
    a.on('error', (e) => errors.push(e.error.code));
    a.on('replayChange', (e) => changes.push(e.replay));
    await a.join({ session, name: 'Ann', role: 'subscriber', replay: true });
    await until(() => infos.length, 'the console hint');
    expect(infos[0]).to.match(/replay.*409/);
    expect([a.state, a.replay, errors.length, changes.length]).to.deep.equal(['live', null, 0, 0]);
  });

  it("reading it: `off`; a participant's forged `ov-replay` signal (openvidu-browser's own signal()) changes nothing", async () => {
    const session = newSession();
    const a = room(session);
    rooms.push(a);
    const changes: (Replay | null)[] = [];
    a.on('replayChange', (e) => changes.push(e.replay));
    await a.join({ session, name: 'Ann', role: 'subscriber' });
    await until(() => a.replay, 'the buffer read');
    expect(a.replay).to.deep.equal({ sessionId: session, state: 'off', seconds: 0, held: 0 });

    const ov = new OpenVidu();
    ov.enableProdMode();
    const mallory = ov.initSession();
    const { token } = await endpointTokenProvider(`${API}/sessions/${session}/token`)({ session, name: 'Mallory', role: 'subscriber' }).then((t) =>
      typeof t === 'string' ? { token: t } : t,
    );
    await mallory.connect(token, { clientData: 'Mallory' });
    const heard = new Promise<void>((r) => mallory.on('signal:ov-replay', () => r()));
    await mallory.signal({ type: 'ov-replay', data: JSON.stringify({ sessionId: session, state: 'on', seconds: 30, held: 30 }) });
    await heard; // the server relayed it (to everyone, Mallory included)
    // The barrier: Mallory leaving reaches Ann after the signal, on the same connection.
    const left = new Promise<void>((r) => a.on('participantLeft', (e) => e.participant.name === 'Mallory' && r()));
    mallory.disconnect();
    await left;
    expect(a.replay!.state).to.equal('off');
    expect(changes.map((r) => r?.state)).to.deep.equal(['off']);
  });
});
