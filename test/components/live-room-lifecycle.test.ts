// <ov-live-room> follows its LiveRoom: a move in the DOM keeps the call, and while the core is reconnecting the
// element allows what the core allows.
import { elementUpdated, expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import type { OvLiveRoom } from '../../components/live-room/live-room.js';
import type { OvSnapshotButton } from '../../components/snapshot-button/snapshot-button.js';
import { FakeLiveRoom, type FakeRoom } from './fakes.js';

const okToken = async () => 'tok';
const part = (el: Element, name: string) => el.shadowRoot!.querySelector(`[part~="${name}"]`) as HTMLButtonElement | null;

async function liveRoom(tpl = html`<fake-live-room session="demo" name="Ann" screen-share="on" .tokenProvider=${okToken}></fake-live-room>`) {
  const el = await fixture<OvLiveRoom>(tpl);
  await el.join();
  await elementUpdated(el);
  return { el, fake: FakeLiveRoom.last! };
}

/** A second room that joins and is then really removed: once it has left, every removal check queued before has run. */
async function removalBarrier() {
  const { el, fake } = await liveRoom();
  el.remove();
  await waitUntil(() => fake.calls.includes('leave'), 'a removed room leaves');
}

describe('<ov-live-room> in the DOM', () => {
  it('moving the room (taken out and put back in the same task, or by the next microtask) keeps the call', async () => {
    const { el, fake } = await liveRoom();
    const elsewhere = await fixture(html`<section></section>`);
    const states: string[] = [];
    el.addEventListener('ov-state-change', (e) => states.push(e.detail.state));
    elsewhere.append(el);
    el.remove();
    await Promise.resolve();
    document.body.append(el);
    await removalBarrier();
    expect(fake.calls).to.not.include('leave');
    expect(el.state).to.equal('live');
    expect(states).to.deep.equal([]);
    expect(part(el, 'leave-button')).to.exist;
    el.remove();
  });

  it('a real removal leaves (after the frame), once', async () => {
    const { el, fake } = await liveRoom();
    const left = oneEvent(el, 'ov-left');
    el.remove();
    await left;
    expect(fake.calls.filter((c) => c === 'leave')).to.have.length(1);
    expect(el.state).to.equal('left');
  });

  it('a room that was not in a call does nothing when removed', async () => {
    const el = await fixture<OvLiveRoom>(html`<fake-live-room session="demo" .tokenProvider=${okToken}></fake-live-room>`);
    await el.join();
    const fake = FakeLiveRoom.last!;
    await el.leave();
    el.remove();
    await removalBarrier();
    expect(fake.calls.filter((c) => c === 'leave')).to.have.length(1);
  });
});

describe('<ov-live-room> while reconnecting', () => {
  async function reconnecting() {
    const r = await liveRoom();
    r.fake.setState('reconnecting');
    await elementUpdated(r.el);
    expect(r.el.state).to.equal('reconnecting');
    return r;
  }

  it('mic, camera, clip, snapshot and screen share go through to the core, with no ov-error', async () => {
    const { el, fake } = await reconnecting();
    const errors: unknown[] = [];
    el.addEventListener('ov-error', (e) => errors.push(e.detail));
    await el.setAudio(false);
    await el.setVideo(false);
    expect((await el.startClip('x')).status).to.equal('recording');
    expect((await el.stopClip()).status).to.equal('processing');
    expect(await el.captureSnapshot({ source: 'local' })).to.equal(fake.snapshotBlob);
    await el.startScreenShare();
    await el.stopScreenShare();
    expect(errors).to.deep.equal([]);
    expect(fake.calls.slice(1)).to.deep.equal(['audio:false', 'video:false', 'clip:start:x', 'clip:stop', 'snapshot:local:', 'screen:on', 'screen:off']);
  });

  it('the toolbar stays usable (no control is disabled) and a snapshot button captures', async () => {
    const wrap = await fixture(
      html`<div>
        <fake-live-room id="rr" session="demo" screen-share="on" .tokenProvider=${okToken}></fake-live-room>
        <fake-snapshot-button for="rr" no-upload></fake-snapshot-button>
      </div>`,
    );
    const el = wrap.querySelector('fake-live-room') as OvLiveRoom;
    await el.join();
    const fake: FakeRoom = FakeLiveRoom.last!;
    fake.setState('reconnecting');
    await elementUpdated(el);
    const controls = ['mic-button', 'camera-button', 'screen-button', 'clip-button'].map((n) => part(el, n)!);
    expect(controls.map((b) => b.disabled)).to.deep.equal([false, false, false, false]);
    const button = wrap.querySelector('fake-snapshot-button') as OvSnapshotButton;
    setTimeout(() => (button.shadowRoot!.querySelector('[part="button"]') as HTMLElement).click());
    await oneEvent(button, 'ov-snapshot');
    expect(fake.calls).to.include('snapshot:local:image/jpeg');
  });

  it("what the core refuses is still refused, with the core's error", async () => {
    const { el, fake } = await liveRoom();
    await el.leave();
    const err = await el.setAudio(true).catch((e) => e);
    expect(err.code).to.equal('NOT_CONNECTED');
    expect(fake.calls).to.not.include('audio:true');
  });
});
