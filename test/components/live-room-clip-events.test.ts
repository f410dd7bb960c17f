// <ov-live-room> re-fires its room's clip edits as `ov-clip-updated`, outside its shadow root, like the other ov-clip-* events.
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { OvClipUpdatedEvent } from '../../components/events/ov-clip-updated.js';
import type { OvLiveRoom } from '../../components/live-room/live-room.js';
import { clip, FakeLiveRoom } from './fakes.js';

describe('<ov-live-room> ov-clip-updated', () => {
  it("the room's `clipUpdated` becomes `ov-clip-updated {clip}`: bubbles, composed, heard by an ancestor", async () => {
    const wrap = await fixture<HTMLDivElement>(
      html`<div><fake-live-room session="demo" name="Ann" .tokenProvider=${async () => 'tok'}></fake-live-room></div>`,
    );
    const el = wrap.querySelector('fake-live-room') as OvLiveRoom;
    await el.join();
    const renamed = { ...clip('c1', 'ready'), name: 'Goal', updatedAt: 10 };
    setTimeout(() => FakeLiveRoom.last!.fire('clipUpdated', { clip: renamed }));
    const ev = await oneEvent(wrap, 'ov-clip-updated');
    expect(ev).to.be.instanceOf(OvClipUpdatedEvent);
    expect([ev.bubbles, ev.composed, ev.target]).to.deep.equal([true, true, el]);
    expect(ev.detail).to.deep.equal({ clip: renamed });
  });
});
