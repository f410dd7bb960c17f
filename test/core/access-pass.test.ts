// The access pass a token answer may carry: kept by the token providers, held by LiveRoom for its camera connection
// (cleared on leaving, replaced by the next join) and sent as `Authorization: Bearer <access>` on every write of the
// room, the clips client and the snapshot upload; never on a read, and nothing extra without a pass.
import { expect } from '@open-wc/testing';
import { ClipsClient } from '../../src/clips/clips-client.js';
import { fetchJson } from '../../src/http.js';
import { LiveRoom } from '../../src/room/live-room.js';
import { uploadSnapshot } from '../../src/snapshot/snapshot.js';
import { endpointTokenProvider, functionTokenProvider, readAnswer } from '../../src/token/token-provider.js';
import type { TokenAnswer } from '../../src/types.js';
import { clip, recordingFetch, type FetchCall } from './fake-clips.js';
import { fakeOpenVidu } from './fake-openvidu.js';
import { answer, replayOf } from './fake-replay.js';

const req = { session: 'ses_A', name: 'Ann', role: 'publisher' as const };
/** `METHOD path auth`, auth `-` when the call carried none. */
const seen = (calls: FetchCall[]) => calls.map((c) => `${c.method} ${new URL(c.url, location.href).pathname} ${c.authorization ?? '-'}`);

describe('access pass: token answers', () => {
  const realFetch = window.fetch;
  afterEach(() => void (window.fetch = realFetch));

  it('readAnswer keeps a non-empty string `access` (and `screenGrant`), and nothing else', () => {
    expect(readAnswer({ token: 't', access: 'p', connectionId: 'con_A' })).to.deep.equal({ token: 't', access: 'p' });
    expect(readAnswer({ token: 't', screenGrant: 'g', access: 'p' })).to.deep.equal({ token: 't', screenGrant: 'g', access: 'p' });
    for (const access of ['', 7, null, { p: 1 }]) expect(readAnswer({ token: 't', access })).to.deep.equal({ token: 't' });
  });

  it("the endpoint provider returns the server's `access`; a function provider may return it too", async () => {
    const { fetch } = recordingFetch(() => answer(201, { token: 'tok', access: 'pass', connectionId: 'con_A' }));
    window.fetch = fetch;
    expect(await endpointTokenProvider('/t?_wpnonce=abc')(req)).to.deep.equal({ token: 'tok', access: 'pass' });
    expect(await functionTokenProvider(() => ({ token: 't', access: 'p' }))(req)).to.deep.equal({ token: 't', access: 'p' });
  });

  it('the token endpoint is asked at the URL given, query string included', async () => {
    const { fetch, calls } = recordingFetch(() => answer(201, { token: 'tok' }));
    window.fetch = fetch;
    await endpointTokenProvider('/wp-json/ov/v1/token/demo?_wpnonce=abc')(req);
    expect(calls.map((c) => c.url)).to.deep.equal(['/wp-json/ov/v1/token/demo?_wpnonce=abc']);
    expect(calls[0].authorization).to.equal(undefined);
  });
});

describe('access pass: requests', () => {
  it('fetchJson sends it on a request that names its method, with its other headers; not on a read', async () => {
    const { fetch, calls } = recordingFetch(() => answer(200, { ok: 1 }));
    const headers: (Record<string, string> | undefined)[] = [];
    const spy = ((url: string, init?: RequestInit) => (headers.push(init?.headers as Record<string, string>), fetch(url, init))) as typeof window.fetch;
    await fetchJson('/w', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, { code: 'CLIP_FAILED', fetch: spy, access: 'p1' });
    await fetchJson('/r', {}, { code: 'CLIP_FAILED', fetch: spy, access: 'p1' });
    await fetchJson('/w', { method: 'DELETE' }, { code: 'CLIP_FAILED', fetch: spy });
    expect(seen(calls)).to.deep.equal(['POST /w Bearer p1', 'GET /r -', 'DELETE /w -']);
    expect(headers[0]).to.deep.equal({ 'content-type': 'application/json', authorization: 'Bearer p1' });
  });

  it('ClipsClient: every write carries the pass its `access` answers at that moment; reads never do', async () => {
    const { fetch, calls } = recordingFetch((c) =>
      c.url.endsWith('/share') && c.method === 'POST'
        ? answer(201, { clipId: 'c1', url: 'https://x/watch/c1', expiresAt: 1 })
        : c.method === 'DELETE' && !c.url.endsWith('/trim')
          ? new Response(null, { status: 204 })
          : answer(200, c.url.endsWith('/clips') && c.method === 'GET' ? { clips: [] } : clip('c1', 'ready')),
    );
    let pass: string | undefined = 'p1';
    const c = new ClipsClient('s', { api: '/api', fetch, EventSource: null, access: () => pass });
    await c.list();
    await c.get('c1');
    await c.start('n');
    await c.stop('c1');
    await c.rename('c1', 'x');
    await c.trim('c1', 1, 2);
    pass = 'p2'; // a new join's pass
    await c.restore('c1');
    await c.share('c1', 60);
    await c.revokeShares('c1');
    await c.delete('c1');
    pass = undefined; // left
    await c.delete('c1');
    c.close();
    expect(seen(calls)).to.deep.equal([
      'GET /api/sessions/s/clips -',
      'GET /api/clips/c1 -',
      'POST /api/sessions/s/clips Bearer p1',
      'POST /api/clips/c1/stop Bearer p1',
      'PATCH /api/clips/c1 Bearer p1',
      'POST /api/clips/c1/trim Bearer p1',
      'DELETE /api/clips/c1/trim Bearer p2',
      'POST /api/clips/c1/share Bearer p2',
      'DELETE /api/clips/c1/share Bearer p2',
      'DELETE /api/clips/c1 Bearer p2',
      'DELETE /api/clips/c1 -',
    ]);
  });

  it('ClipsClient without `access` sends nothing extra', async () => {
    const { fetch, calls } = recordingFetch(() => new Response(null, { status: 204 }));
    await new ClipsClient('s', { fetch, EventSource: null }).delete('c1');
    expect(seen(calls)).to.deep.equal(['DELETE /api/clips/c1 -']);
  });

  it('uploadSnapshot sends the pass it is given, and none without', async () => {
    const realFetch = window.fetch;
    const { fetch, calls } = recordingFetch(() => answer(201, { id: 'snap1' }));
    window.fetch = ((url: string, init?: RequestInit) => fetch(url, { ...init, body: undefined })) as typeof window.fetch;
    try {
      const blob = new Blob(['x'], { type: 'image/jpeg' });
      await uploadSnapshot('/api', 's', blob, { access: 'p1' });
      await uploadSnapshot('/api', 's', blob);
    } finally {
      window.fetch = realFetch;
    }
    expect(seen(calls)).to.deep.equal(['POST /api/sessions/s/snapshots Bearer p1', 'POST /api/sessions/s/snapshots -']);
  });
});

describe('access pass: LiveRoom (fake OpenVidu, fake server)', () => {
  const realFetch = window.fetch;
  let calls: FetchCall[];
  beforeEach(() => {
    const fake = recordingFetch((c) => {
      if (c.url.endsWith('/replay')) return answer(200, replayOf('on'));
      if (c.url.endsWith('/stop')) return answer(200, clip('c1', 'processing', 'ses_A'));
      if (c.method === 'POST' && c.url.endsWith('/clips'))
        return answer(201, clip((c.body as { replaySeconds?: number }).replaySeconds ? 'r1' : 'c1', 'recording', 'ses_A'));
      return answer(200, { clips: [] });
    });
    calls = fake.calls;
    window.fetch = fake.fetch;
  });
  afterEach(() => void (window.fetch = realFetch));

  /** A room whose token provider answers the next of `answers`. */
  function room(...answers: (string | TokenAnswer)[]) {
    const ov = fakeOpenVidu();
    const r = new LiveRoom({ tokenProvider: async () => answers.shift()!, OpenVidu: ov.OpenVidu, api: '/api' });
    return { r, ov };
  }

  it("holds the camera token's pass while joined and sends it on each write: clip start/stop, replay start, replay clip", async () => {
    const { r } = room({ token: 'tok', access: 'p1' });
    expect(r.access).to.equal(undefined);
    const on = new Promise((ready) => r.on('replayChange', ready));
    await r.join({ session: 'ses_A', name: 'Ann', replay: true });
    expect(r.access).to.equal('p1');
    await on; // the buffer's answer was read: clipReplay() may run
    await r.startClip('mine');
    await r.stopClip();
    await r.clipReplay(10);
    expect(seen(calls).sort()).to.deep.equal(
      [
        'GET /api/sessions/ses_A/clips -',
        'POST /api/sessions/ses_A/replay Bearer p1',
        'POST /api/sessions/ses_A/clips Bearer p1',
        'POST /api/clips/c1/stop Bearer p1',
        'POST /api/sessions/ses_A/clips Bearer p1',
      ].sort(),
    );
    await r.leave();
    expect(r.access, 'cleared on leave').to.equal(undefined);
  });

  it('a read of the replay buffer (no `replay`) carries nothing; a token without a pass sends nothing extra', async () => {
    const { r } = room('tok');
    await r.join({ session: 'ses_A', name: 'Ann' }); // its reads (clips, replay) are sent as it goes live
    await r.startClip();
    expect(r.access).to.equal(undefined);
    expect(seen(calls).sort()).to.deep.equal(
      ['GET /api/sessions/ses_A/clips -', 'GET /api/sessions/ses_A/replay -', 'POST /api/sessions/ses_A/clips -'].sort(),
    );
    await r.leave();
  });

  it('a new join replaces the pass; one without a pass leaves none', async () => {
    const { r } = room({ token: 'tok1', access: 'p1' }, { token: 'tok2', access: 'p2' }, 'tok3');
    await r.join({ session: 'ses_A' });
    await r.leave();
    await r.join({ session: 'ses_A' });
    expect(r.access).to.equal('p2');
    calls.length = 0;
    await r.startClip();
    expect(seen(calls).filter((c) => c.startsWith('POST'))).to.deep.equal(['POST /api/sessions/ses_A/clips Bearer p2']);
    await r.leave();
    await r.join({ session: 'ses_A' });
    expect(r.access).to.equal(undefined);
    await r.leave();
  });

  it("the screen token's answer does not replace the camera's pass", async () => {
    const ov = fakeOpenVidu();
    const answers: TokenAnswer[] = [
      { token: 'cam', access: 'p-cam', screenGrant: 'g' },
      { token: 'scr', access: 'p-screen' },
    ];
    const track = { kind: 'video', contentHint: '', addEventListener() {}, stop() {} };
    const media = { getVideoTracks: () => [track], getTracks: () => [track] } as unknown as MediaStream;
    const r = new LiveRoom({ tokenProvider: async () => answers.shift()!, OpenVidu: ov.OpenVidu, api: '/api', getDisplayMedia: async () => media });
    await r.join({ session: 'ses_A' });
    await r.startScreenShare().catch(() => undefined);
    expect(answers, 'the screen token was asked for').to.have.length(0);
    expect(r.access).to.equal('p-cam');
    await r.leave();
  });

  it('a token that arrives after leave() (a provider ignoring the signal) leaves no pass', async () => {
    const ov = fakeOpenVidu();
    let asked!: () => void;
    const askedFor = new Promise<void>((r) => (asked = r));
    let give!: (a: TokenAnswer) => void;
    const provider = () => (asked(), new Promise<TokenAnswer>((r) => (give = r)));
    const r = new LiveRoom({ tokenProvider: provider, OpenVidu: ov.OpenVidu, api: '/api' });
    const joining = r.join({ session: 'ses_A' }).catch((e: { code: string }) => e.code);
    await askedFor;
    await r.leave();
    give({ token: 'late', access: 'p-late' });
    expect(await joining).to.equal('JOIN_CANCELLED');
    expect(r.access).to.equal(undefined);
  });
});
