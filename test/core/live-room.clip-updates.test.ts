// LiveRoom and clip edits with a fake openvidu-browser: the server's `ov-clip-updated` signal becomes `clipUpdated`,
// once per edit and never an older one; a participant's forged signal changes nothing.
import { expect } from '@open-wc/testing';
import { LiveRoom } from '../../src/room/live-room.js';
import type { Clip } from '../../src/types.js';
import { clip } from './fake-clips.js';
import { fakeOpenVidu } from './fake-openvidu.js';

const a = { ...clip('ses_A~1', 'ready', 'ses_A'), createdAt: 100, duration: 30 };
const edit = (over: Partial<Clip>): Clip => ({ ...a, ...over });

describe('LiveRoom clip edits (fake OpenVidu)', () => {
  const originalFetch = window.fetch;
  beforeEach(() => {
    // join() asks for a clip already recording: none.
    window.fetch = (async () => new Response(JSON.stringify({ clips: [] }), { status: 200 })) as typeof fetch;
  });
  afterEach(() => {
    window.fetch = originalFetch;
  });

  async function joined() {
    const ov = fakeOpenVidu();
    const room = new LiveRoom({ tokenProvider: async () => 'tok', OpenVidu: ov.OpenVidu, api: '/fake-api' });
    const updates: Clip[] = [];
    room.on('clipUpdated', (e) => updates.push(e.clip));
    await room.join({ session: 'ses_A', name: 'Ann' });
    const session = ov.sessions[0];
    const send = (data: unknown, from?: unknown) =>
      session.emit('signal:ov-clip-updated', { data: typeof data === 'string' ? data : JSON.stringify(data), from });
    return { ov, room, session, updates, send, names: () => updates.map((u) => u.name) };
  }

  it('a participant cannot rename a clip: an `ov-clip-updated` signal with `from` changes nothing', async () => {
    const { room, send, names } = await joined();
    send(edit({ name: 'pwned', updatedAt: 10, mediaUrl: 'https://evil.example/x.mp4' }), { connectionId: 'con_mallory' });
    // Nor does it block the real edit by claiming a far future time first.
    send(edit({ name: 'blocker', updatedAt: Number.MAX_SAFE_INTEGER }), { connectionId: 'con_mallory' });
    send(edit({ name: 'Goal', updatedAt: 20 }));
    expect(names()).to.deep.equal(['Goal']);
    await room.leave();
  });

  it("the server's signal: each edit once, never an older one after a newer, whatever the order", async () => {
    const { room, send, updates, names } = await joined();
    send(edit({ name: 'two', updatedAt: 20 }));
    send(edit({ name: 'two', updatedAt: 20 })); // the same again
    send(edit({ name: 'one', updatedAt: 10 })); // older, late
    send(edit({ name: 'three', updatedAt: 30, status: 'ready' }));
    expect(names()).to.deep.equal(['two', 'three']);
    expect(updates[1]).to.deep.equal(edit({ name: 'three', updatedAt: 30 }), 'as the server sent it');
    await room.leave();
  });

  it('id reuse: an edit of the old clip after the new one is ignored; of a newer clip under the id, passed on', async () => {
    const { room, send, names } = await joined();
    send(edit({ name: 'new clip', createdAt: 500, updatedAt: 5 }));
    send(edit({ name: 'old clip', createdAt: 100, updatedAt: 50 }));
    send(edit({ name: 'newer clip', createdAt: 900, updatedAt: 1 }));
    expect(names()).to.deep.equal(['new clip', 'newer clip']);
    await room.leave();
  });

  it('restore after trim: both passed on, the restore without a trim', async () => {
    const { room, send, updates } = await joined();
    send(edit({ trim: { start: 1, end: 5 }, originalDuration: 30, duration: 4, updatedAt: 10 }));
    send(edit({ updatedAt: 20 }));
    expect(updates.map((u) => u.trim)).to.deep.equal([{ start: 1, end: 5 }, undefined]);
    await room.leave();
  });

  it('what is not an edit is ignored (not JSON, null, no updatedAt), and nothing throws', async () => {
    const { room, send, names } = await joined();
    for (const bad of ['not json', 'null', '42', JSON.stringify({ id: 'x' }), JSON.stringify({ ...a, updatedAt: 'soon' })]) send(bad);
    send(edit({ name: 'ok', updatedAt: 1 }));
    expect(names()).to.deep.equal(['ok']);
    await room.leave();
  });

  it('after leave() the old session tells nothing; a new join starts afresh', async () => {
    const { room, send, names, ov } = await joined();
    send(edit({ name: 'Goal', updatedAt: 10 }));
    await room.leave();
    send(edit({ name: 'after leave', updatedAt: 20 }));
    await room.join({ session: 'ses_A', name: 'Ann' });
    ov.sessions[1].emit('signal:ov-clip-updated', { data: JSON.stringify(edit({ name: 'Goal', updatedAt: 10 })) });
    expect(names()).to.deep.equal(['Goal', 'Goal']);
    await room.leave();
  });
});
