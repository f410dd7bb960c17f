import { expect } from '@open-wc/testing';

describe('registration', () => {
  it('defines every tag, and loading the definitions twice does not throw', async () => {
    const mod = await import('../../components/index.js');
    expect(customElements.get('ov-live-room')).to.equal(mod.OvLiveRoom);
    expect(customElements.get('ov-clip-list')).to.equal(mod.OvClipList);
    expect(customElements.get('ov-snapshot-button')).to.equal(mod.OvSnapshotButton);
    expect(customElements.get('ov-video-tile')).to.exist;
    expect(customElements.get('ov-media-player')).to.exist;
    // a second copy of the script: same tags, other classes
    class Copy extends mod.OvLiveRoom {}
    expect(() => Copy.define('ov-live-room')).to.not.throw();
    expect(() => mod.OvClipList.define('ov-clip-list')).to.not.throw();
    expect(() => mod.OvSnapshotButton.define('another-snapshot-button')).to.not.throw();
    await import('../../components/live-room/live-room.js?again' as string).catch(() => undefined);
    expect(customElements.get('ov-live-room')).to.equal(mod.OvLiveRoom);
  });

  it('events are Event subclasses that bubble and are composed', async () => {
    const { OvErrorEvent, OvClipSelectEvent } = await import('../../components/events/index.js');
    const e = new OvErrorEvent({ code: 'NETWORK', message: 'm' });
    expect(e).to.be.instanceOf(Event);
    expect(e.type).to.equal('ov-error');
    expect(e.bubbles && e.composed).to.equal(true);
    expect(new OvClipSelectEvent({ clip: {} as never }).type).to.equal('ov-clip-select');
  });
});
