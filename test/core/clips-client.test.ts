// ClipsClient with a fake fetch and EventSource: clip news follows the one ordering rule, and nothing it starts on its
// own can reject unhandled.
import { expect } from '@open-wc/testing';
import { ClipsClient } from '../../src/clips/clips-client.js';
import type { Clip } from '../../src/types.js';
import { clip, FakeEventSource } from './fake-clips.js';

const ES = FakeEventSource as unknown as typeof EventSource;
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

/** Unhandled rejections while `fn` runs and a few turns after. */
async function unhandledDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (e: PromiseRejectionEvent) => {
    seen.push(e.reason);
    e.preventDefault();
  };
  window.addEventListener('unhandledrejection', listener);
  try {
    await fn();
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 10));
  } finally {
    window.removeEventListener('unhandledrejection', listener);
  }
  return seen;
}

describe('ClipsClient ordering', () => {
  it('a late `processing` after `ready` is not shown, nor a `recording` after `processing`', async () => {
    const c = new ClipsClient('s', { fetch: (async () => json({ clips: [] })) as typeof fetch, EventSource: ES });
    const seen: string[] = [];
    c.on('clip', (e) => seen.push(`${e.clip.id}:${e.clip.status}`));
    const listed = new Promise((r) => c.on('clips', r));
    c.subscribe();
    await listed;
    const es = FakeEventSource.last!;
    es.send('clip', clip('a', 'processing'));
    es.send('clip', clip('a', 'recording'));
    es.send('clip', clip('a', 'ready'));
    es.send('clip', clip('a', 'processing'));
    es.send('clip', clip('a', 'failed'));
    expect(seen).to.deep.equal(['a:processing', 'a:ready']);
    c.close();
  });

  it('a list older than the live news does not move a clip back; a deleted clip does not come back', async () => {
    let answer: Clip[] = [];
    const c = new ClipsClient('s', { fetch: (async () => json({ clips: answer })) as typeof fetch, EventSource: ES });
    const seen: string[] = [];
    c.on('clip', (e) => seen.push(`${e.clip.id}:${e.clip.status}`));
    c.on('clipDeleted', (e) => seen.push(`-${e.id}`));
    const listed = new Promise((r) => c.on('clips', r));
    c.subscribe();
    await listed;
    const es = FakeEventSource.last!;
    es.send('clip', clip('a', 'ready'));
    es.send('clip', clip('b', 'ready'));
    answer = [clip('a', 'processing'), clip('b', 'ready')]; // fetched before `a` was ready
    await c.refresh();
    es.send('clip-deleted', { id: 'b', sessionId: 's' });
    es.send('clip', clip('b', 'ready')); // a replayed event after the deletion
    expect(seen).to.deep.equal(['a:ready', 'b:ready', '-b']);
    c.close();
  });
});

describe('ClipsClient failures', () => {
  it('subscribe() with a list that fails: an `error` event, and no unhandled rejection', async () => {
    const errors: string[] = [];
    const c = new ClipsClient('s', { fetch: (async () => json({ message: 'down' }, 503)) as typeof fetch, EventSource: ES });
    c.on('error', (e) => errors.push(`${e.error.code}:${e.error.status}`));
    const unhandled = await unhandledDuring(async () => {
      c.subscribe();
    });
    expect(errors).to.deep.equal(['CLIP_FAILED:503']);
    expect(unhandled.map((r) => (r as Error)?.message ?? r)).to.deep.equal([]);
    c.close();
  });

  it('close() aborts the list it is waiting for', async () => {
    const signals: (AbortSignal | null | undefined)[] = [];
    const fetch = ((_url: string, init?: RequestInit) => {
      signals.push(init?.signal);
      return new Promise<Response>(() => undefined);
    }) as typeof window.fetch;
    const c = new ClipsClient('s', { fetch, EventSource: ES });
    c.subscribe();
    expect(signals).to.have.length(1);
    expect(signals[0], 'the list carries a signal').to.be.instanceOf(AbortSignal);
    expect(signals[0]!.aborted).to.equal(false);
    c.close();
    expect(signals[0]!.aborted).to.equal(true);
  });
});
