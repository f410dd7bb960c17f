// The room's stand-in while LiveRoom's code loads (components/internal/lazy-room.ts): joining at once, then the real
// room's state and events without a repeat; leave() while loading cancels; a failed load is a NETWORK error.
import { expect } from '@open-wc/testing';
import { LazyRoom, type RoomClass } from '../../components/internal/lazy-room.js';
import type { OvError } from '../../src/errors.js';
import type { LiveRoomOptions } from '../../src/room/room-api.js';
import { FakeRoom } from './fakes.js';

const options: LiveRoomOptions = { tokenProvider: async () => 'tok' };

/** A loader that waits for `arrive()` (or `fail()`), and remembers the room it made. */
function gate() {
  let arrive!: () => void;
  let fail!: (e: Error) => void;
  const made: FakeRoom[] = [];
  const Room = class extends FakeRoom {
    constructor(o: LiveRoomOptions) {
      super(o);
      made.push(this);
    }
  } as unknown as RoomClass;
  const loaded = new Promise<RoomClass>((resolve, reject) => {
    arrive = () => resolve(Room);
    fail = reject;
  });
  return { load: () => loaded, arrive: () => arrive(), fail: (e: Error) => fail(e), made };
}

describe('LazyRoom', () => {
  it('says joining at once, then hands over to the real room: its state, models and events, no state twice', async () => {
    const g = gate();
    const room = new LazyRoom(g.load, options);
    const states: string[] = [];
    room.on('stateChange', ({ state, previous }) => states.push(`${previous}→${state}`));
    const joined: string[] = [];
    room.on('joined', ({ session }) => joined.push(session));
    const join = room.join({ session: 'demo', name: 'Ann' });
    expect(room.state).to.equal('joining');
    expect(states).to.deep.equal(['idle→joining']);
    g.arrive();
    await join;
    expect(g.made).to.have.length(1);
    expect(g.made[0].options).to.equal(options);
    expect(room.state).to.equal('live');
    expect(states).to.deep.equal(['idle→joining', 'joining→live']);
    expect(joined).to.deep.equal(['demo']);
    expect(room.participants.map((p) => p.name)).to.deep.equal(['Ann']);
    await room.startClip('x');
    expect(g.made[0].calls).to.include('clip:start:x');
    expect(room.recording.active).to.equal(true);
  });

  it('verbs before join reject with NOT_CONNECTED; leave() while loading cancels the join, and no room is made', async () => {
    const g = gate();
    const room = new LazyRoom(g.load, options);
    const err = await room.startClip().catch((e: OvError) => e);
    expect((err as OvError).code).to.equal('NOT_CONNECTED');
    expect(() => room.setAudio(true))
      .to.throw()
      .with.property('code', 'NOT_CONNECTED');
    const left: string[] = [];
    room.on('left', ({ reason }) => left.push(reason));
    const join = room.join({ session: 'demo' }).catch((e: OvError) => e);
    await room.leave();
    expect(room.state).to.equal('left');
    expect(left).to.deep.equal(['leave']);
    g.arrive();
    expect(((await join) as OvError).code).to.equal('JOIN_CANCELLED');
    expect(g.made).to.have.length(0);
  });

  it('a load that fails is a NETWORK error (state error, an error event, join rejects); the next join loads again', async () => {
    let attempt = 0;
    const ok = gate();
    ok.arrive();
    const room = new LazyRoom(() => (++attempt === 1 ? Promise.reject(new TypeError('Failed to fetch dynamically imported module')) : ok.load()), options);
    const errors: string[] = [];
    room.on('error', ({ error }) => errors.push(error.code));
    const err = (await room.join({ session: 'demo' }).catch((e: OvError) => e)) as OvError;
    expect(err.code).to.equal('NETWORK');
    expect(room.state).to.equal('error');
    expect(errors).to.deep.equal(['NETWORK']);
    await room.join({ session: 'demo' });
    expect(room.state).to.equal('live');
  });
});
