// Identity comes from the server: what a participant writes into its own client data (openvidu-browser's
// `session.connect(token, metadata)`) can neither hide it nor pass its stream off as someone else's screen.
// The attackers are raw openvidu-browser sessions (not our LiveRoom), against the reference server + embedded OpenVidu.
import { expect } from '@open-wc/testing';
import { OpenVidu, type Session, type StreamEvent, type Subscriber } from 'openvidu-browser';
import { LiveRoom } from '../../src/room/live-room.js';
import { endpointTokenProvider } from '../../src/token/token-provider.js';
import type { ParticipantInfo } from '../../src/types.js';
import { until } from '../helpers/until.js';

const API = (window as unknown as { OV_TEST_API: string }).OV_TEST_API;
let n = 0;
const newSession = () => `ident-${Date.now().toString(36)}-${++n}`;

/** The reference server's token route, as any page could call it. */
async function tokenFor(session: string, body: Record<string, unknown>): Promise<{ token: string; connectionId: string; screenGrant?: string }> {
  const res = await fetch(`${API}/sessions/${session}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  if (res.status !== 201) throw new Error(`token: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A raw openvidu-browser participant that subscribes to every stream it is offered (the eavesdropper). */
class Raw {
  readonly ov = new OpenVidu();
  readonly session: Session;
  readonly subscribers: Subscriber[] = [];
  constructor() {
    this.ov.enableProdMode();
    this.session = this.ov.initSession();
    this.session.on('streamCreated', (e) => void this.subscribers.push(this.session.subscribe((e as StreamEvent).stream, undefined)));
  }
  /** Remote video tracks this participant receives (live ones). */
  get received(): MediaStreamTrack[] {
    return this.subscribers.flatMap((s) => s.stream.getMediaStream()?.getVideoTracks() ?? []).filter((t) => t.readyState === 'live');
  }
  get id() {
    return this.session.connection.connectionId;
  }
  async connect(token: string, clientData: unknown) {
    await this.session.connect(token, clientData);
  }
  async publishCamera() {
    const pub = await this.ov.initPublisherAsync(undefined, {
      audioSource: false,
      publishAudio: false,
      publishVideo: true,
      resolution: '320x240',
      frameRate: 15,
    });
    await this.session.publish(pub);
  }
  leave() {
    try {
      this.session.disconnect();
    } catch {
      /* already gone */
    }
  }
}

describe('identity comes from the server (real openvidu-browser attackers)', function (this: { timeout(ms: number): void }) {
  this.timeout(60_000);
  const rooms: LiveRoom[] = [];
  const raws: Raw[] = [];
  afterEach(async () => {
    raws.splice(0).forEach((r) => r.leave());
    await Promise.all(rooms.splice(0).map((r) => r.leave()));
  });

  function room(session: string) {
    const r = new LiveRoom({ api: API, tokenProvider: endpointTokenProvider(`${API}/sessions/${session}/token`) });
    rooms.push(r);
    return r;
  }
  function raw() {
    const r = new Raw();
    raws.push(r);
    return r;
  }
  const byId = (r: LiveRoom, id: string): ParticipantInfo | undefined => r.participants.find((p) => p.id === id);

  it('a watcher whose client data says {"screenOf": …} is listed and counted as watching while it receives video', async () => {
    const session = newSession();
    const alice = room(session);
    await alice.join({ session, name: 'Alice' });
    const spy = raw();
    await spy.connect((await tokenFor(session, { role: 'subscriber', name: 'Spy' })).token, { screenOf: `con_${Math.random().toString(36).slice(2)}` });
    await until(() => spy.received.length > 0, "the spy receives Alice's video");
    const seen = await until(() => byId(alice, spy.id), 'Alice lists the spy');
    expect(seen.role).to.equal('subscriber');
    expect(seen.name).to.equal('Spy');
    expect(seen.streams).to.deep.equal([]);
    expect(alice.watching).to.equal(1);
  });

  it('a stranger pointing screenOf at Alice shows as itself, and Alice keeps her camera alone', async () => {
    const session = newSession();
    const alice = room(session);
    const bob = room(session);
    await alice.join({ session, name: 'Alice' });
    await bob.join({ session, name: 'Bob' });
    const aliceId = alice.local!.id;
    const mallory = raw();
    // The token is Mallory's; the client data claims Alice's name and screen.
    await mallory.connect((await tokenFor(session, { name: 'Mallory' })).token, { clientData: 'Alice', screenOf: aliceId });
    await mallory.publishCamera();
    const seen = await until(() => byId(bob, mallory.id)?.streams[0] && byId(bob, mallory.id), "Bob sees Mallory's stream as Mallory's");
    expect(seen.name).to.equal('Mallory');
    expect(seen.streams.map((s) => s.kind)).to.deep.equal(['camera']);
    const aliceOnBob = byId(bob, aliceId)!;
    expect(aliceOnBob.name).to.equal('Alice');
    expect(aliceOnBob.streams.map((s) => s.connectionId)).to.deep.equal([aliceId]);
    expect(bob.participants.filter((p) => p.name === 'Alice')).to.have.length(1);
  });

  it("a name in the client data cannot replace the server's, even an empty one", async () => {
    const session = newSession();
    const alice = room(session);
    await alice.join({ session, name: 'Alice' });
    const nameless = raw();
    // A token asked for without a name: the server data says name "", the client data says "Alice".
    await nameless.connect((await tokenFor(session, { role: 'subscriber' })).token, { clientData: 'Alice', name: 'Alice' });
    const seen = await until(() => byId(alice, nameless.id), 'Alice lists the nameless watcher');
    expect(seen.name).to.equal('');
    expect(alice.participants.filter((p) => p.name === 'Alice')).to.have.length(1);
  });

  it('a screen connection whose owner left keeps the owner listed: a grant cannot leave a hidden watcher behind', async () => {
    const session = newSession();
    const alice = room(session);
    await alice.join({ session, name: 'Alice' });
    const owner = raw();
    const camera = await tokenFor(session, { name: 'Mallory' });
    expect(camera.screenGrant, 'a publisher gets a screen grant').to.be.a('string');
    await owner.connect(camera.token, { clientData: 'Mallory' });
    const screen = raw();
    await screen.connect((await tokenFor(session, { screenGrant: camera.screenGrant })).token, { clientData: 'Mallory' });
    await until(() => byId(alice, owner.id), 'Alice lists Mallory');
    expect(byId(alice, screen.id), 'the screen connection is folded into its owner').to.equal(undefined);
    owner.leave();
    await until(() => screen.received.length > 0, "the leftover screen connection receives Alice's video");
    const left = await until(() => alice.participants.find((p) => !p.isLocal), 'someone is still listed for the screen connection');
    expect(left.name).to.equal('Mallory');
    // Gone for good once the screen connection leaves too.
    screen.leave();
    await until(() => alice.participants.length === 1, 'only Alice is left');
  });

  it('a screen share through a provider that gives no grant shows as a participant of its own, never hidden', async () => {
    const session = newSession();
    const alice = room(session);
    await alice.join({ session, name: 'Alice' });
    const canvas = Object.assign(document.createElement('canvas'), { width: 160, height: 120 });
    canvas.getContext('2d')!.fillRect(0, 0, 160, 120);
    // Captured in the same task as the drawing: a canvas stream has a frame only once the canvas is painted after it.
    const screen = canvas.captureStream(5);
    // A custom provider answering bare token strings (no screenGrant), as a host backend of its own might.
    const bare = async (req: { session: string; name: string; role: string }) => (await tokenFor(req.session, { name: req.name, role: req.role })).token;
    const sharer = new LiveRoom({ api: API, tokenProvider: bare, getDisplayMedia: async () => screen });
    rooms.push(sharer);
    await sharer.join({ session, name: 'Sam' });
    await sharer.startScreenShare();
    expect(sharer.local!.streams.map((s) => s.kind)).to.deep.equal(['camera', 'screen']);
    const sams = await until(() => {
      const all = alice.participants.filter((p) => p.name === 'Sam' && p.streams.length === 1);
      return all.length === 2 && all;
    }, 'Alice sees Sam twice: the camera and the unlinked screen connection');
    expect(sams.map((p) => p.streams[0].connectionId).sort()).to.deep.equal(sams.map((p) => p.id).sort());
  });
});
