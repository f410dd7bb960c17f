import { elementUpdated, expect, fixture, html, oneEvent } from '@open-wc/testing';
import type { OvSnapshotButton } from '../../components/snapshot-button/snapshot-button.js';
import { FakeSnapshotButton } from './fakes.js';

const btn = (el: Element) => el.shadowRoot!.querySelector('[part="button"]') as HTMLButtonElement;
const conf = (el: Element) => el.shadowRoot!.querySelector('[part="confirmation"]') as HTMLElement;

function fakeRoom(over: Partial<{ captureSnapshot: () => Promise<Blob> }> = {}) {
  const calls: unknown[] = [];
  return {
    calls,
    session: 'demo',
    api: '/api',
    captureSnapshot: async (o?: unknown) => {
      calls.push(o);
      return new Blob(['x'], { type: 'image/jpeg' });
    },
    ...over,
  };
}

beforeEach(() => {
  FakeSnapshotButton.uploads = [];
  FakeSnapshotButton.fail = undefined;
});

describe('<ov-snapshot-button>', () => {
  it('idle: accessible, labelled "Snapshot"', async () => {
    const el = await fixture<OvSnapshotButton>(html`<fake-snapshot-button .room=${fakeRoom()}></fake-snapshot-button>`);
    expect(btn(el).textContent!.trim()).to.equal('Snapshot');
    await expect(el).to.be.accessible();
  });

  it('click → capture → upload → ov-snapshot {blob, snapshot} and a visible "saved" confirmation', async () => {
    const room = fakeRoom();
    const el = await fixture<OvSnapshotButton>(html`<fake-snapshot-button .room=${room} source="s-1" format="image/png" quality="0.5"></fake-snapshot-button>`);
    setTimeout(() => btn(el).click());
    const ev = await oneEvent(el, 'ov-snapshot');
    expect(ev.detail.blob.type).to.equal('image/jpeg');
    expect(ev.detail.snapshot!.id).to.equal('s1');
    expect(room.calls[0]).to.deep.equal({ source: 's-1', format: 'image/png', quality: 0.5 });
    expect(FakeSnapshotButton.uploads[0]).to.include({ api: '/api', session: 'demo', streamId: 's-1' });
    await elementUpdated(el);
    expect(conf(el).textContent).to.contain('Snapshot saved');
    expect(conf(el).getAttribute('aria-live')).to.equal('polite');
    await expect(el).to.be.accessible();
  });

  it('saving: aria-busy while capturing; accessible', async () => {
    let release!: (b: Blob) => void;
    const room = fakeRoom({ captureSnapshot: () => new Promise<Blob>((r) => (release = r)) });
    const el = await fixture<OvSnapshotButton>(html`<fake-snapshot-button .room=${room} no-upload></fake-snapshot-button>`);
    btn(el).click();
    await elementUpdated(el);
    expect(btn(el).getAttribute('aria-busy')).to.equal('true');
    await expect(el).to.be.accessible();
    const done = oneEvent(el, 'ov-snapshot');
    release(new Blob(['y']));
    const ev = await done;
    expect(ev.detail.snapshot).to.equal(undefined);
    expect(FakeSnapshotButton.uploads.length).to.equal(0);
  });

  it('failures fire ov-error and leave the button usable', async () => {
    FakeSnapshotButton.fail = Object.assign(new Error('413'), { status: 413 });
    const el = await fixture<OvSnapshotButton>(html`<fake-snapshot-button .room=${fakeRoom()}></fake-snapshot-button>`);
    setTimeout(() => btn(el).click());
    const err = await oneEvent(el, 'ov-error');
    expect(err.detail.code).to.equal('SNAPSHOT_FAILED');
    expect(err.detail.status).to.equal(413);
    await elementUpdated(el);
    expect(btn(el).getAttribute('aria-busy')).to.equal('false');
    FakeSnapshotButton.fail = undefined;
    setTimeout(() => btn(el).click());
    await oneEvent(el, 'ov-snapshot');
  });

  it('finds the room by `for`, and fails with ov-error when there is none', async () => {
    const wrap = await fixture(html`<div><span id="r"></span><fake-snapshot-button for="r"></fake-snapshot-button></div>`);
    const room = fakeRoom();
    Object.assign(wrap.querySelector('#r')!, room);
    const el = wrap.querySelector('fake-snapshot-button') as OvSnapshotButton;
    setTimeout(() => btn(el).click());
    await oneEvent(el, 'ov-snapshot');
    expect(room.calls.length).to.equal(1);
    const lone = await fixture<OvSnapshotButton>(html`<fake-snapshot-button></fake-snapshot-button>`);
    setTimeout(() => btn(lone).click());
    expect((await oneEvent(lone, 'ov-error')).detail.code).to.equal('SNAPSHOT_FAILED');
  });
});
