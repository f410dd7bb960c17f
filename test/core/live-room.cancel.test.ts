// LiveRoom with a fake openvidu-browser: leave() cancels what a join started (token request, REST calls) through an
// AbortSignal, and clip news follows the one ordering rule.
import { expect } from '@open-wc/testing';
import { LiveRoom } from '../../src/room/live-room.js';
import type { Clip, TokenRequest } from '../../src/types.js';
import { clip as anyClip } from './fake-clips.js';
import { fakeOpenVidu } from './fake-openvidu.js';

const clip = (id: string, status: Clip['status']) => anyClip(id, status, 'ses_A');
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('LiveRoom cancellation (fake OpenVidu)', () => {
  const originalFetch = window.fetch;
  /** Every fetch LiveRoom makes, with its signal; answered by `answer` (default: no clips). */
  let calls: { url: string; signal?: AbortSignal | null }[];
  let answer: (url: string, init?: RequestInit) => Promise<Response>;
  beforeEach(() => {
    calls = [];
    answer = async () => new Response(JSON.stringify({ clips: [] }), { status: 200 });
    window.fetch = ((url: string, init?: RequestInit) => {
      calls.push({ url: String(url), signal: init?.signal });
      return answer(String(url), init);
    }) as typeof fetch;
  });
  afterEach(() => {
    window.fetch = originalFetch;
  });

  it('leave() during the token request aborts the signal the provider was given; join() rejects JOIN_CANCELLED', async () => {
    const ov = fakeOpenVidu();
    const requests: TokenRequest[] = [];
    const room = new LiveRoom({
      OpenVidu: ov.OpenVidu,
      api: '/fake-api',
      // A provider that waits until its request is aborted (or forever).
      tokenProvider: (req) => {
        requests.push(req);
        return new Promise((_, reject) => req.signal?.addEventListener('abort', () => reject(req.signal!.reason)));
      },
    });
    const j = room.join({ session: 'ses_A', name: 'Ann' });
    await tick();
    expect(requests).to.have.length(1);
    expect(requests[0].signal, 'the token request carries a signal').to.be.instanceOf(AbortSignal);
    expect(requests[0].signal!.aborted).to.equal(false);
    await room.leave();
    expect(requests[0].signal!.aborted, 'leave() aborted it').to.equal(true);
    const code = await j.then(
      () => 'resolved',
      (e: { code: string }) => e.code,
    );
    expect(code).to.equal('JOIN_CANCELLED');
    expect(room.state).to.equal('left');
    expect(ov.sessions).to.be.empty;
  });

  it('leave() aborts the REST calls a join started (the replay buffer, the list of clips already recording)', async () => {
    let listed!: () => void;
    const asked = new Promise<void>((r) => (listed = r));
    answer = (_url, init) => {
      listed();
      return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    };
    const ov = fakeOpenVidu();
    const room = new LiveRoom({ OpenVidu: ov.OpenVidu, api: '/fake-api', tokenProvider: async () => 'tok' });
    await room.join({ session: 'ses_A', name: 'Ann' });
    await asked;
    expect(calls.map((c) => c.url).sort()).to.deep.equal(['/fake-api/sessions/ses_A/clips', '/fake-api/sessions/ses_A/replay']);
    const signals = calls.map((c) => c.signal);
    for (const signal of signals) expect(signal, 'each REST call carries a signal').to.be.instanceOf(AbortSignal);
    expect(signals.map((s) => s!.aborted)).to.deep.equal([false, false]);
    await room.leave();
    expect(
      signals.map((s) => s!.aborted),
      'leave() aborted them',
    ).to.deep.equal([true, true]);
  });
});

describe('LiveRoom clip news (fake OpenVidu)', () => {
  const originalFetch = window.fetch;
  beforeEach(() => {
    window.fetch = (async () => new Response(JSON.stringify({ clips: [] }), { status: 200 })) as typeof fetch;
  });
  afterEach(() => {
    window.fetch = originalFetch;
  });

  it('ready and failed are final: a `failed` after `ready` (or a `ready` after `failed`) is no news', async () => {
    const ov = fakeOpenVidu();
    const room = new LiveRoom({ OpenVidu: ov.OpenVidu, api: '/fake-api', tokenProvider: async () => 'tok' });
    const seen: string[] = [];
    for (const name of ['clipStarted', 'clipStopped', 'clipReady', 'clipFailed'] as const) room.on(name, (e) => seen.push(`${name}:${e.clip.id}`));
    room.on('clipDeleted', (e) => seen.push(`clipDeleted:${e.id}`));
    await room.join({ session: 'ses_A', name: 'Ann' });
    const session = ov.sessions[0];
    const signal = (c: Clip) => session.emit('signal:ov-clip', { data: JSON.stringify(c) });
    signal(clip('a', 'recording'));
    signal(clip('a', 'ready'));
    signal(clip('a', 'failed'));
    signal(clip('a', 'processing'));
    signal(clip('b', 'failed'));
    signal(clip('b', 'ready'));
    session.emit('signal:ov-clip-deleted', { data: JSON.stringify({ id: 'a', sessionId: 'ses_A' }) });
    session.emit('signal:ov-clip-deleted', { data: JSON.stringify({ id: 'a', sessionId: 'ses_A' }) });
    signal(clip('a', 'ready'));
    expect(seen).to.deep.equal(['clipStarted:a', 'clipStopped:a', 'clipReady:a', 'clipFailed:b', 'clipDeleted:a']);
    await room.leave();
  });
});
