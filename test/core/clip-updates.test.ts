// ClipsClient's edits with a fake fetch and EventSource: rename, trim, restore, share; and how edits reach a client
// (its own answers, SSE `clip-updated`, the polled list), each once and only when newer.
import { expect } from '@open-wc/testing';
import { ClipsClient } from '../../src/clips/clips-client.js';
import type { Clip } from '../../src/types.js';
import { rejection } from '../helpers/rejection.js';
import { clip, FakeEventSource, recordingFetch, type FetchCall } from './fake-clips.js';

const ES = FakeEventSource as unknown as typeof EventSource;
const json = (body: unknown, status = 200) => new Response(body === undefined ? null : JSON.stringify(body), { status });
const a = { ...clip('a', 'ready'), createdAt: 100, duration: 30 };
const edit = (over: Partial<Clip>): Clip => ({ ...a, ...over });

/** A subscribed client over SSE whose list is `list`; `updates` are the names of its `clipUpdated` clips. */
async function subscribed(list: Clip[], answer: (call: FetchCall) => Response = () => json({ clips: list })) {
  const { fetch, calls } = recordingFetch(answer);
  const c = new ClipsClient('s', { api: '/x/api', fetch, EventSource: ES });
  const updates: Clip[] = [];
  c.on('clipUpdated', (e) => updates.push(e.clip));
  const listed = new Promise((r) => c.on('clips', r));
  c.subscribe();
  await listed;
  return { c, es: FakeEventSource.last!, calls, updates, names: () => updates.map((u) => u.name) };
}

describe('ClipsClient edits: the requests', () => {
  it('rename, trim, restore, share, revokeShares send what the API expects; downloadUrl asks for an attachment', async () => {
    const share = { clipId: 'a/b', url: 'https://x.example/watch/a?exp=1&sig=s', expiresAt: 1 };
    const { fetch, calls } = recordingFetch((call) =>
      call.url.endsWith('/share') ? json(call.method === 'DELETE' ? undefined : share, call.method === 'DELETE' ? 204 : 201) : json(a),
    );
    const c = new ClipsClient('s', { api: '/x/api/', fetch, EventSource: null });
    expect(await c.rename('a/b', 'Goal!')).to.deep.equal(a);
    await c.trim('a/b', 1.5, 9);
    await c.restore('a/b');
    expect(await c.share('a/b', 3600)).to.deep.equal(share);
    await c.share('a/b');
    expect(await c.revokeShares('a/b')).to.equal(undefined);
    expect(calls.map(({ method, url, body }) => [method, url, body])).to.deep.equal([
      ['PATCH', '/x/api/clips/a%2Fb', { name: 'Goal!' }],
      ['POST', '/x/api/clips/a%2Fb/trim', { start: 1.5, end: 9 }],
      ['DELETE', '/x/api/clips/a%2Fb/trim', undefined],
      ['POST', '/x/api/clips/a%2Fb/share', { expiresIn: 3600 }],
      ['POST', '/x/api/clips/a%2Fb/share', {}],
      ['DELETE', '/x/api/clips/a%2Fb/share', undefined],
    ]);
    expect(c.downloadUrl('a/b')).to.equal('/x/api/clips/a%2Fb/media?download=1');
  });

  it('a refusal is an OvError CLIP_FAILED with the status and the server message (403: PERMISSION_DENIED)', async () => {
    const answers = [
      json({ statusCode: 400, code: 'OV_VALIDATION', message: 'name too long' }, 400),
      json({ message: 'not ready' }, 409),
      json({ message: 'no such clip' }, 404),
      json({ message: 'boom' }, 500),
      json({ message: 'no' }, 403),
    ];
    const { fetch } = recordingFetch(() => answers.shift()!);
    const c = new ClipsClient('s', { fetch, EventSource: null });
    const errors = [
      await rejection(c.rename('a', 'x'.repeat(101))),
      await rejection(c.trim('a', 0, 1)),
      await rejection(c.restore('gone')),
      await rejection(c.share('a')),
      await rejection(c.revokeShares('a')),
    ];
    expect(errors.map((e) => `${e.code}:${e.status}`)).to.deep.equal([
      'CLIP_FAILED:400',
      'CLIP_FAILED:409',
      'CLIP_FAILED:404',
      'CLIP_FAILED:500',
      'PERMISSION_DENIED:403',
    ]);
    expect(errors[0].message).to.contain('name too long');
  });

  it('an answer that is not a clip (or not JSON) is CLIP_FAILED too', async () => {
    const { fetch } = recordingFetch(() => new Response('<html>proxy</html>', { status: 200 }));
    const c = new ClipsClient('s', { fetch, EventSource: null });
    expect((await rejection(c.rename('a', 'x'))).code).to.equal('CLIP_FAILED');
  });

  it('a signal aborts each call (NETWORK, as for start and stop), before or while it runs', async () => {
    let release!: () => void;
    const { fetch, calls } = recordingFetch(() => new Promise((r) => (release = () => r(json(a)))));
    const c = new ClipsClient('s', { fetch, EventSource: null });
    const updates: Clip[] = [];
    c.on('clipUpdated', (e) => updates.push(e.clip));
    const ctl = new AbortController();
    const pending = [
      c.rename('a', 'x', ctl.signal),
      c.trim('a', 0, 1, ctl.signal),
      c.restore('a', ctl.signal),
      c.share('a', 60, ctl.signal),
      c.revokeShares('a', ctl.signal),
    ];
    expect(calls.map((x) => x.signal)).to.deep.equal(Array(5).fill(ctl.signal));
    ctl.abort();
    release();
    const errors = await Promise.all(pending.map(rejection));
    expect(errors.map((e) => e.code)).to.deep.equal(Array(5).fill('NETWORK'));
    expect((await rejection(c.rename('a', 'y', ctl.signal))).code, 'already aborted').to.equal('NETWORK');
    expect(updates, 'an aborted edit tells nothing').to.deep.equal([]);
  });
});

describe('ClipsClient edits: live updates', () => {
  it('an own rename tells `clipUpdated` at once; the SSE echo afterwards is no news', async () => {
    const { c, es, names } = await subscribed([a], (call) => (call.method === 'PATCH' ? json(edit({ name: 'Goal', updatedAt: 10 })) : json({ clips: [a] })));
    await c.rename('a', 'Goal');
    expect(names()).to.deep.equal(['Goal']);
    es.send('clip-updated', edit({ name: 'Goal', updatedAt: 10 }));
    expect(names()).to.deep.equal(['Goal']);
    c.close();
  });

  it('the echo first, then the answer: told once', async () => {
    let answer!: (r: Response) => void;
    const { c, es, names } = await subscribed([a], (call) => (call.method === 'PATCH' ? (new Promise((r) => (answer = r)) as never) : json({ clips: [a] })));
    const renamed = c.rename('a', 'Goal');
    es.send('clip-updated', edit({ name: 'Goal', updatedAt: 10 }));
    expect(names()).to.deep.equal(['Goal']);
    answer(json(edit({ name: 'Goal', updatedAt: 10 })));
    expect((await renamed).name).to.equal('Goal');
    expect(names()).to.deep.equal(['Goal']);
    c.close();
  });

  it('SSE `clip-updated`: newer wins whatever the order; another clip under the id, or an unknown id, is ignored', async () => {
    const { c, es, names, updates } = await subscribed([a]);
    es.send('clip-updated', edit({ name: 'two', updatedAt: 20 }));
    es.send('clip-updated', edit({ name: 'one', updatedAt: 10 })); // older, late
    es.send('clip-updated', edit({ name: 'reused', updatedAt: 30, createdAt: 500 })); // a clip given the same id
    es.send('clip-updated', edit({ name: 'stale', updatedAt: 30, createdAt: 50 }));
    es.send('clip-updated', edit({ id: 'unknown', name: 'u', updatedAt: 30 }));
    es.send('clip-updated', { id: 'a', name: 'no time' }); // malformed
    es.send('clip-updated', 'x');
    expect(names()).to.deep.equal(['two']);
    expect(updates[0].status, 'the status stays the known one').to.equal('ready');
    c.close();
  });

  it('trim then restore: the trim comes and goes', async () => {
    const { c, es, updates } = await subscribed([a]);
    es.send('clip-updated', edit({ trim: { start: 2, end: 12 }, originalDuration: 30, duration: 10, updatedAt: 10 }));
    es.send('clip-updated', edit({ updatedAt: 20 }));
    expect(updates.map((u) => [u.trim, u.duration])).to.deep.equal([
      [{ start: 2, end: 12 }, 10],
      [undefined, 30],
    ]);
    expect(updates[1]).to.not.have.property('originalDuration');
    c.close();
  });

  it('a late status event published before a rename does not bring the old name back', async () => {
    const rec = { ...a, status: 'processing' as const };
    const { c, es, names } = await subscribed([rec]);
    const seen: string[] = [];
    c.on('clip', (e) => seen.push(`${e.clip.status}:${e.clip.name}`));
    es.send('clip-updated', { ...rec, name: 'Goal', updatedAt: 10 });
    es.send('clip', { ...a, name: 'a' }); // ready, sent before the rename
    expect(names()).to.deep.equal(['Goal']);
    expect(seen).to.deep.equal(['ready:Goal']);
    c.close();
  });

  it('a deleted clip takes no edit; a new clip under its id starts afresh', async () => {
    const { c, es, names } = await subscribed([a]);
    es.send('clip-deleted', { id: 'a', sessionId: 's' });
    es.send('clip-updated', edit({ name: 'late', updatedAt: 10 }));
    es.send('clip', { ...a, createdAt: 500, status: 'recording' });
    es.send('clip-updated', edit({ createdAt: 500, name: 'new', updatedAt: 5 }));
    expect(names()).to.deep.equal(['new']);
    c.close();
  });
});

describe('ClipsClient edits: the list carries them', () => {
  it('polling (no EventSource): a rename elsewhere arrives with the next list, once', async () => {
    let list: Clip[] = [a];
    const { fetch } = recordingFetch(() => json({ clips: list }));
    const c = new ClipsClient('s', { fetch, EventSource: null, pollMs: 5 });
    const lists: Clip[][] = [];
    const next = () => new Promise<Clip[]>((r) => c.on('clips', (e) => r(e.clips)));
    const updated = new Promise<Clip>((r) => c.on('clipUpdated', (e) => r(e.clip)));
    const names: string[] = [];
    c.on('clipUpdated', (e) => names.push(e.clip.name));
    c.subscribe();
    lists.push(await next());
    list = [edit({ name: 'Renamed', updatedAt: 10 })];
    expect((await updated).name).to.equal('Renamed');
    lists.push(await next()); // a later poll of the same list
    expect(names).to.deep.equal(['Renamed']);
    expect(lists.map((l) => l[0].name)).to.deep.equal(['a', 'Renamed']);
    c.close();
  });

  it('a list asked for before a rename, answered after it, shows the new name', async () => {
    let answer!: (r: Response) => void;
    let pending = false;
    const { c, es, names } = await subscribed([a], () => (pending ? (new Promise((r) => (answer = r)) as never) : json({ clips: [a] })));
    pending = true;
    const refreshed = c.refresh();
    es.send('clip-updated', edit({ name: 'Goal', updatedAt: 10 }));
    answer(json({ clips: [a] }));
    const clips = await refreshed;
    expect(clips.map((x) => x.name)).to.deep.equal(['Goal']);
    expect(names()).to.deep.equal(['Goal']);
    c.close();
  });
});
