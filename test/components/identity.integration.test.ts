// <ov-live-room> against the real reference server + embedded OpenVidu: a raw openvidu-browser watcher that marks
// itself as a screen share in its own client data is still shown ("1 watching"), and a real screen share still
// folds into its owner's tiles.
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { OpenVidu, type Session, type StreamEvent, type Subscriber } from 'openvidu-browser';
import '../../components/index.js';
import type { OvLiveRoom } from '../../components/live-room/live-room.js';
import { canCaptureScreen, realClick } from '../helpers/user-activation.js';

const api = (window as unknown as { OV_TEST_API?: string }).OV_TEST_API ?? '/api';
let seq = 0;
const uniqueSession = (tag: string) => `el-${tag}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

const part = (room: Element, name: string) => room.shadowRoot!.querySelector(`[part~="${name}"]`);
const tiles = (room: Element) => [...room.shadowRoot!.querySelectorAll('ov-video-tile')];
const tileLabel = (tile: Element) => tile.shadowRoot!.querySelector('[part~="base"]')?.getAttribute('aria-label') ?? '';

async function tokenFor(session: string, body: Record<string, unknown>) {
  const res = await fetch(`${api}/sessions/${session}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`token: ${res.status} ${await res.text()}`);
  return (await res.json()) as { token: string };
}

const rooms: OvLiveRoom[] = [];
const raws: Session[] = [];
afterEach(async () => {
  for (const s of raws.splice(0)) {
    try {
      s.disconnect();
    } catch {
      /* gone */
    }
  }
  await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => undefined)));
});

describe('<ov-live-room>: nobody watches unseen', function (this: { timeout(ms: number): void }) {
  this.timeout(60_000);

  it('a raw watcher claiming {"screenOf": …} in its client data shows as "1 watching" while it receives video', async () => {
    const session = uniqueSession('watch');
    const room = await fixture<OvLiveRoom>(html`<ov-live-room session=${session} name="Ann" api=${api} lang="en" autojoin></ov-live-room>`);
    rooms.push(room);
    await waitUntil(() => room.state === 'live', 'Ann is live', { timeout: 20_000 });
    expect(part(room, 'watching')).to.equal(null);

    const ov = new OpenVidu();
    ov.enableProdMode();
    const spy = ov.initSession();
    raws.push(spy);
    const subs: Subscriber[] = [];
    spy.on('streamCreated', (e) => void subs.push(spy.subscribe((e as StreamEvent).stream, undefined)));
    await spy.connect((await tokenFor(session, { role: 'subscriber', name: 'Spy' })).token, { screenOf: `con_${Math.random().toString(36).slice(2)}` });
    await waitUntil(() => subs.some((s) => s.stream.getMediaStream()?.getVideoTracks().length), "the spy receives Ann's video", { timeout: 20_000 });

    await waitUntil(() => part(room, 'watching'), 'the room shows a watching count', { timeout: 20_000 });
    expect(part(room, 'watching')!.textContent!.trim()).to.equal('1 watching');
    expect(room.watching).to.equal(1);
    // The watcher has no tile: the only tile is Ann's own.
    expect(tiles(room)).to.have.length(1);

    // Gone when the watcher leaves.
    spy.disconnect();
    await waitUntil(() => !part(room, 'watching'), 'the count goes away', { timeout: 20_000 });
  });

  it('a screen share through the element\'s default endpoint folds into its owner: camera and "Sam\'s screen" tiles, nothing else', async function () {
    if (!canCaptureScreen) this.skip(); // headless Firefox (no Xvfb): nothing to capture
    const session = uniqueSession('screen');
    const wrap = await fixture(
      html`<div lang="en">
        <ov-live-room id="viewer" session=${session} name="Vic" api=${api} autojoin></ov-live-room>
        <ov-live-room id="sharer" session=${session} name="Sam" api=${api} autojoin></ov-live-room>
      </div>`,
    );
    const viewer = wrap.querySelector<OvLiveRoom>('#viewer')!;
    const sharer = wrap.querySelector<OvLiveRoom>('#sharer')!;
    rooms.push(viewer, sharer);
    await waitUntil(() => viewer.state === 'live' && sharer.state === 'live', 'both live', { timeout: 20_000 });
    // The real getDisplayMedia, from a real click on Sam's screen-share button (headless Chromium picks the screen
    // itself; Firefox shares its virtual screen and needs the click's user activation).
    const shared = new Promise((resolve) => sharer.addEventListener('ov-screen-share-started', resolve, { once: true }));
    await realClick(sharer.shadowRoot!.querySelector('[part~="screen-button"]')!);
    await shared;
    await waitUntil(() => tiles(viewer).length === 3, `the viewer shows Vic, Sam and Sam's screen (${tiles(viewer).map(tileLabel)})`, { timeout: 20_000 });
    expect(tiles(viewer).map(tileLabel).sort()).to.deep.equal(['Sam', "Sam's screen", 'Vic (You)']);
    expect(part(viewer, 'watching')).to.equal(null);
  });
});
