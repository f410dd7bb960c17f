import { expect } from '@open-wc/testing';
import { ClipsClient } from '../../src/clips/clips-client.js';
import { captureFrame } from '../../src/snapshot/snapshot.js';
import type { Clip } from '../../src/types.js';
import { clip, FakeEventSource } from './fake-clips.js';

function fakeFetch(lists: Clip[][]) {
  const urls: string[] = [];
  let i = 0;
  const fn = (async (url: string) => {
    urls.push(String(url));
    return new Response(JSON.stringify({ clips: lists[Math.min(i++, lists.length - 1)] }), { status: 200 });
  }) as unknown as typeof fetch;
  return { fn, urls };
}

describe('ClipsClient', () => {
  it('lists, then follows SSE clip / clip-deleted / resync', async () => {
    const f = fakeFetch([[clip('a', 'ready')], [clip('a', 'ready'), clip('b', 'ready')]]);
    const c = new ClipsClient('s', { api: '/x/', fetch: f.fn, EventSource: FakeEventSource as unknown as typeof EventSource });
    const seen: string[] = [];
    c.on('clip', (e) => seen.push(`${e.clip.id}:${e.clip.status}`));
    c.on('clipDeleted', (e) => seen.push(`-${e.id}`));
    const first = new Promise((r) => c.on('clips', r));
    c.subscribe();
    await first;
    expect(f.urls[0]).to.equal('/x/sessions/s/clips');
    expect(FakeEventSource.last!.url).to.equal('/x/sessions/s/events');
    const es = FakeEventSource.last!;
    es.send('clip', clip('c', 'recording'));
    es.send('clip', clip('c', 'recording')); // deduped
    es.send('clip', clip('c', 'ready'));
    es.send('clip-deleted', { id: 'c', sessionId: 's' });
    const resynced = new Promise((r) => c.on('clips', r));
    es.send('resync', {});
    await resynced;
    expect(seen).to.deep.equal(['a:ready', 'c:recording', 'c:ready', '-c', 'b:ready']);
    expect(c.liveMode).to.equal('sse');
    c.close();
    expect(es.readyState).to.equal(2);
    expect(c.liveMode).to.equal('closed');
  });

  it('falls back to polling when SSE fails for good, and without EventSource', async () => {
    const f = fakeFetch([[], [clip('a', 'processing')], [clip('a', 'ready')]]);
    const c = new ClipsClient('s', { fetch: f.fn, EventSource: FakeEventSource as unknown as typeof EventSource, pollMs: 20 });
    const seen: string[] = [];
    const modes: string[] = [];
    c.on('live', (e) => modes.push(e.mode));
    c.on('clip', (e) => seen.push(`${e.clip.id}:${e.clip.status}`));
    c.subscribe();
    const es = FakeEventSource.last!;
    es.readyState = 2;
    es.dispatchEvent(new Event('error'));
    await new Promise((r) => setTimeout(r, 150));
    expect(modes).to.deep.equal(['sse', 'polling']);
    expect(seen).to.deep.equal(['a:processing', 'a:ready']);
    c.close();

    const g = fakeFetch([[clip('z', 'ready')]]);
    const d = new ClipsClient('s', { fetch: g.fn, EventSource: null, pollMs: 20 });
    d.subscribe();
    await new Promise((r) => setTimeout(r, 70));
    expect(d.liveMode).to.equal('polling');
    expect(g.urls.length).to.be.greaterThan(1);
    d.close();
  });

  it('REST errors carry the status', async () => {
    const fn = (async () =>
      new Response(JSON.stringify({ message: 'Clip is recording', code: 'OV_CLIP_RECORDING' }), { status: 409 })) as unknown as typeof fetch;
    const c = new ClipsClient('s', { fetch: fn, EventSource: null });
    const e = await c.delete('a').then(
      () => null,
      (err: { code: string; status: number; message: string }) => err,
    );
    expect([e?.code, e?.status]).to.deep.equal(['CLIP_FAILED', 409]);
    expect(e?.message).to.contain('Clip is recording');
  });
});

describe('captureFrame', () => {
  function canvasStream(w: number, h: number) {
    const canvas = Object.assign(document.createElement('canvas'), { width: w, height: h });
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = 'red';
    ctx.fillRect(0, 0, w, h);
    const stream = canvas.captureStream(10);
    const timer = setInterval(() => ctx.fillRect(0, 0, w, h), 50);
    return { stream, stop: () => (clearInterval(timer), stream.getTracks().forEach((t) => t.stop())) };
  }
  const size = async (blob: Blob) => {
    const bmp = await createImageBitmap(blob);
    return [bmp.width, bmp.height];
  };

  for (const format of ['image/jpeg', 'image/png', 'image/webp'] as const) {
    it(`captures a MediaStream at native resolution as ${format}`, async () => {
      const { stream, stop } = canvasStream(333, 211);
      try {
        const blob = await captureFrame(stream, { format, quality: 0.8 });
        expect(blob.type).to.equal(format);
        expect(await size(blob)).to.deep.equal([333, 211]);
      } finally {
        stop();
      }
    });
  }

  it('captures a small <video> at its native size, not its CSS size', async () => {
    const { stream, stop } = canvasStream(640, 360);
    const video = Object.assign(document.createElement('video'), { muted: true, srcObject: stream });
    video.style.width = '80px';
    document.body.append(video);
    void video.play();
    try {
      expect(await size(await captureFrame(video, { format: 'image/png' }))).to.deep.equal([640, 360]);
    } finally {
      video.remove();
      stop();
    }
  });

  it('rejects with SNAPSHOT_FAILED for an ended stream', async () => {
    const { stream, stop } = canvasStream(10, 10);
    stop();
    const e = await captureFrame(stream).then(
      () => null,
      (err: { code: string }) => err,
    );
    expect(e?.code).to.equal('SNAPSHOT_FAILED');
  });
});
