// <ov-live-room> moved in the page with the real LiveRoom, the reference server and the embedded OpenVidu: the call
// goes on (the other participant still sees it), and a real removal leaves (the other sees it go).
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../components/index.js';
import type { OvLiveRoom } from '../../components/live-room/live-room.js';
import { FakeLiveRoom } from './fakes.js';

const api = (window as unknown as { OV_TEST_API?: string }).OV_TEST_API ?? '/api';
const session = () => `el-move-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

function playing(room: Element) {
  return [...room.shadowRoot!.querySelectorAll('ov-video-tile')].filter((t) => {
    const v = t.shadowRoot!.querySelector('video')!;
    return v.readyState >= 2 && v.videoWidth > 0;
  }).length;
}

/** Once a room removed after `el` has left, every removal check queued before has run (they run in order). */
async function removalBarrier() {
  const el = await fixture<OvLiveRoom>(html`<fake-live-room session="barrier" .tokenProvider=${async () => 'tok'}></fake-live-room>`);
  await el.join();
  const fake = FakeLiveRoom.last!;
  el.remove();
  await waitUntil(() => fake.calls.includes('leave'), 'the barrier room leaves');
}

describe('<ov-live-room> moved in the page (real OpenVidu)', () => {
  it('keeps the call when moved; leaves when removed', async () => {
    const s = session();
    const wrap = await fixture(
      html`<div>
        <section id="first"><ov-live-room id="ann" session=${s} api=${api} name="Ann"></ov-live-room></section>
        <section id="second"></section>
        <ov-live-room id="bob" session=${s} api=${api} name="Bob"></ov-live-room>
      </div>`,
    );
    const ann = wrap.querySelector('#ann') as OvLiveRoom;
    const bob = wrap.querySelector('#bob') as OvLiveRoom;
    try {
      await ann.join();
      await bob.join();
      await waitUntil(() => playing(ann) === 2 && playing(bob) === 2, 'both rooms play 2 videos', { timeout: 20_000 });
      const bobSawLeave: string[] = [];
      bob.addEventListener('ov-participant-left', (e) => bobSawLeave.push(e.detail.participant.name));

      wrap.querySelector('#second')!.append(ann);
      await removalBarrier();
      expect(ann.state).to.equal('live');
      await waitUntil(() => playing(ann) === 2, 'the moved room still plays both videos', { timeout: 10_000 });
      expect(bobSawLeave).to.deep.equal([]);

      const left = oneEvent(bob, 'ov-participant-left');
      ann.remove();
      expect((await left).detail.participant.name).to.equal('Ann');
      expect(ann.state).to.equal('left');
    } finally {
      await Promise.all([ann.leave(), bob.leave()]);
    }
  });
});
