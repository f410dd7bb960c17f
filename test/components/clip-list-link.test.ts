// <ov-clip-list>: one request for the first list, and `for` finds a room in the list's own shadow root.
import { elementUpdated, expect, fixture, html, waitUntil } from '@open-wc/testing';
import '../../components/index.js';
import type { OvClipList } from '../../components/clip-list/clip-list.js';
import { clip, FakeClipList, FakeFeed } from './fakes.js';

const $ = (el: Element, sel: string) => el.shadowRoot!.querySelector(sel) as HTMLElement | null;
const ids = (el: Element) => [...el.shadowRoot!.querySelectorAll<HTMLElement>('[part="item"]')].map((i) => i.dataset.id);

/** An EventSource the test drives: `FakeEventSource.last.emit('clip', clip)`. */
class FakeEventSource extends EventTarget {
  static last?: FakeEventSource;
  readyState = 1;
  constructor(readonly url: string) {
    super();
    FakeEventSource.last = this;
  }
  emit(type: string, data: unknown) {
    this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
  close() {
    this.readyState = 2;
  }
}

describe('<ov-clip-list> loading', () => {
  const realFetch = window.fetch;
  const realES = window.EventSource;
  afterEach(() => {
    window.fetch = realFetch;
    window.EventSource = realES;
  });

  it('asks for the list once on load, then follows live updates', async () => {
    const gets: string[] = [];
    window.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      if ((init?.method ?? 'GET') === 'GET' && url.endsWith('/sessions/once/clips')) gets.push(url);
      return new Response(JSON.stringify({ clips: [clip('a', 'ready', { sessionId: 'once' })] }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    }) as typeof fetch;
    window.EventSource = FakeEventSource as unknown as typeof EventSource;
    FakeEventSource.last = undefined;
    const el = await fixture<OvClipList>(html`<ov-clip-list session="once" api="/x/api"></ov-clip-list>`);
    await waitUntil(() => ids(el).length === 1, 'the first list shows');
    // Barrier: a live update arrives and shows, so everything the load started has run.
    await waitUntil(() => FakeEventSource.last, 'live updates open');
    expect(FakeEventSource.last!.url).to.equal('/x/api/sessions/once/events');
    FakeEventSource.last!.emit('clip', clip('b', 'recording', { sessionId: 'once', createdAt: Date.UTC(2027, 0, 1) }));
    await waitUntil(() => ids(el).length === 2, 'the live update shows');
    expect(ids(el)).to.deep.equal(['b', 'a']);
    expect(gets).to.have.length(1);
  });
});

describe('<ov-clip-list for> inside a shadow root', () => {
  it('finds the room in its own root and follows its clip events', async () => {
    FakeClipList.feed = new FakeFeed();
    FakeClipList.requests = [];
    const host = await fixture(html`<div></div>`);
    const root = host.attachShadow({ mode: 'open' });
    root.innerHTML = '<fake-live-room id="inner" session="shadowed" api="/in/api"></fake-live-room><fake-clip-list for="inner"></fake-clip-list>';
    const el = root.querySelector('fake-clip-list') as OvClipList;
    await waitUntil(() => $(el, '[part="empty"]'), 'the list loads');
    expect(FakeClipList.requests.at(-1)).to.deep.equal({ api: '/in/api', session: 'shadowed' });
    const room = root.getElementById('inner')!;
    room.dispatchEvent(
      new CustomEvent('ov-clip-started', { bubbles: true, composed: true, detail: { clip: clip('r1', 'recording', { sessionId: 'shadowed' }) } }),
    );
    await elementUpdated(el);
    expect(ids(el)).to.deep.equal(['r1']);
  });

  it('a room with the same id in the document is not the one in its root', async () => {
    FakeClipList.feed = new FakeFeed();
    const outer = await fixture(html`<fake-live-room id="twin" session="outside"></fake-live-room>`);
    const host = await fixture(html`<div></div>`);
    const root = host.attachShadow({ mode: 'open' });
    root.innerHTML = '<fake-live-room id="twin" session="inside"></fake-live-room><fake-clip-list for="twin"></fake-clip-list>';
    const el = root.querySelector('fake-clip-list') as OvClipList;
    await waitUntil(() => $(el, '[part="empty"]'), 'the list loads');
    expect(FakeClipList.requests.at(-1)!.session).to.equal('inside');
    outer.dispatchEvent(
      new CustomEvent('ov-clip-started', { bubbles: true, composed: true, detail: { clip: clip('o1', 'recording', { sessionId: 'inside' }) } }),
    );
    root
      .getElementById('twin')!
      .dispatchEvent(new CustomEvent('ov-clip-started', { bubbles: true, composed: true, detail: { clip: clip('i1', 'recording', { sessionId: 'inside' }) } }));
    await elementUpdated(el);
    expect(ids(el)).to.deep.equal(['i1']);
  });
});
