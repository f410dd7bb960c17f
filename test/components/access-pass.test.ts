// The elements linked to a room send its access pass on their writes: <ov-clip-list for> (delete, rename, trim,
// restore, share) and <ov-snapshot-button> (upload), through the real clips client and upload on a fake server; reads
// carry nothing, nor does a list without a room, nor anything once the room has left.
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../components/index.js';
import type { OvClipList } from '../../components/clip-list/clip-list.js';
import type { OvLiveRoom } from '../../components/live-room/live-room.js';
import { recordingFetch, type FetchCall } from '../core/fake-clips.js';
import { $, clip } from './fakes.js';

/** `METHOD path auth`, auth `-` when the call carried none. */
const seen = (calls: FetchCall[]) => calls.map((c) => `${c.method} ${new URL(c.url, location.href).pathname} ${c.authorization ?? '-'}`);

/** An EventSource that never opens: the list's live updates stay quiet. */
class QuietEventSource extends EventTarget {
  readyState = 0;
  close() {}
}

describe('access pass: elements linked to a room', () => {
  const realFetch = window.fetch;
  const realES = window.EventSource;
  let calls: FetchCall[];
  beforeEach(() => {
    const fake = recordingFetch((c) => {
      const path = new URL(c.url, location.href).pathname;
      const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
      if (path.endsWith('/snapshots')) return json(201, { id: 'snap1' });
      if (path.endsWith('/share') && c.method === 'POST') return json(201, { clipId: 'a', url: 'https://x/watch/a', expiresAt: 1 });
      if (c.method === 'DELETE' && !path.endsWith('/trim')) return new Response(null, { status: 204 });
      if (c.method === 'GET') return json(200, { clips: [clip('a', 'ready'), clip('b', 'ready', { createdAt: 1 })] });
      return json(200, clip('a', 'ready', { updatedAt: Date.now() }));
    });
    calls = fake.calls;
    // The upload's body is a Blob, not JSON: the recorder sees none.
    window.fetch = ((url: string, init?: RequestInit) => fake.fetch(url, init?.body instanceof Blob ? { ...init, body: undefined } : init)) as typeof fetch;
    window.EventSource = QuietEventSource as unknown as typeof EventSource;
  });
  afterEach(() => {
    window.fetch = realFetch;
    window.EventSource = realES;
  });

  async function page() {
    const wrap = await fixture(
      html`<div>
        <fake-live-room id="r" session="demo" api="/t/api"></fake-live-room>
        <ov-clip-list for="r"></ov-clip-list>
        <ov-snapshot-button for="r"></ov-snapshot-button>
      </div>`,
    );
    const room = wrap.querySelector('fake-live-room') as OvLiveRoom;
    const list = wrap.querySelector('ov-clip-list') as OvClipList;
    const button = wrap.querySelector('ov-snapshot-button')!;
    room.tokenProvider = async () => ({ token: 'tok', access: 'p1' });
    await room.join();
    await waitUntil(() => $(list, '[part="list"]'), 'the list loads');
    return { room, list, button };
  }

  it("the room exposes its pass; the list's and the button's writes carry it, their reads do not", async () => {
    const { room, list, button } = await page();
    expect(room.access).to.equal('p1');
    ($(list, '[data-delete="b"]') as HTMLButtonElement).click();
    await waitUntil(() => $(list, '[part="confirm-button"]'), 'the delete asks to confirm');
    const deleted = oneEvent(list, 'ov-clip-deleted');
    $(list, '[part="confirm-button"]')!.click();
    await deleted;
    await list.renameClip('a', 'New name');
    await list.trimClip('a', 1, 2);
    await list.restoreClip('a');
    await list.shareClip('a', 60);
    const snapshot = oneEvent(button, 'ov-snapshot');
    $(button, '[part="button"]')!.click();
    await snapshot;
    expect(seen(calls)).to.deep.equal([
      'GET /t/api/sessions/demo/clips -',
      'DELETE /t/api/clips/b Bearer p1',
      'PATCH /t/api/clips/a Bearer p1',
      'POST /t/api/clips/a/trim Bearer p1',
      'DELETE /t/api/clips/a/trim Bearer p1',
      'POST /t/api/clips/a/share Bearer p1',
      'POST /t/api/sessions/demo/snapshots Bearer p1',
    ]);
  });

  it('once the room has left, the list sends no pass', async () => {
    const { room, list } = await page();
    await room.leave();
    expect(room.access).to.equal(undefined);
    calls.length = 0;
    await list.renameClip('a', 'After');
    expect(seen(calls)).to.deep.equal(['PATCH /t/api/clips/a -']);
  });

  it('a list without a room sends nothing extra', async () => {
    const list = await fixture<OvClipList>(html`<ov-clip-list session="solo" api="/t/api"></ov-clip-list>`);
    await waitUntil(() => $(list, '[part="list"]'), 'the list loads');
    await list.renameClip('a', 'Solo');
    expect(seen(calls)).to.deep.equal(['GET /t/api/sessions/solo/clips -', 'PATCH /t/api/clips/a -']);
  });
});
