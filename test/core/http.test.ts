// fetchJson: the one fetch-and-error mapper of the core, and the call sites that keep their own codes through it.
import { expect } from '@open-wc/testing';
import { OvError } from '../../src/errors.js';
import { fetchJson } from '../../src/http.js';
import { endpointTokenProvider } from '../../src/token/token-provider.js';
import { uploadSnapshot } from '../../src/snapshot/snapshot.js';
import { rejection } from '../helpers/rejection.js';

type Answer = (url: string, init?: RequestInit) => Promise<Response>;
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });
/** A fetch that records its calls. */
function fakeFetch(answer: Answer) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const fn = ((url: string, init?: RequestInit) => {
    calls.push({ url: String(url), init });
    return answer(String(url), init);
  }) as typeof fetch;
  return { fn, calls };
}
/** A fetch that answers only by rejecting once its signal aborts, as the browser's does. */
const hanging: Answer = (_url, init) =>
  new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError'))));

describe('fetchJson', () => {
  it('answers the parsed JSON body, or what `read` makes of it', async () => {
    const f = fakeFetch(async () => json({ a: 1 }, 201));
    expect(await fetchJson('/x', { method: 'POST', body: '{}' }, { code: 'CLIP_FAILED', fetch: f.fn })).to.deep.equal({ a: 1 });
    expect(f.calls[0].init?.method).to.equal('POST');
    expect(await fetchJson('/x', {}, { code: 'CLIP_FAILED', fetch: f.fn }, (b) => (b as { a: number }).a + 1)).to.equal(2);
    const refused = await rejection(fetchJson('/x', {}, { code: 'CLIP_FAILED', fetch: f.fn }, () => undefined));
    expect([refused.code, refused.status, refused.message]).to.deep.equal(['CLIP_FAILED', 201, 'GET /x answered 201 without the expected JSON']);
  });

  it('a 204 has no JSON: refused unless `read` accepts nothing', async () => {
    const f = fakeFetch(async () => new Response(null, { status: 204 }));
    expect(await fetchJson('/x', { method: 'DELETE' }, { code: 'CLIP_FAILED', fetch: f.fn }, () => true)).to.equal(true);
    const e = await rejection(fetchJson('/x', {}, { code: 'CLIP_FAILED', fetch: f.fn }));
    expect([e.code, e.status, e.message]).to.deep.equal(['CLIP_FAILED', 204, 'GET /x answered 204 without the expected JSON']);
  });

  const cases: [string, () => Response, string, number | undefined, string][] = [
    ['an error status with a server message', () => json({ message: 'Clip is recording' }, 409), 'CLIP_FAILED', 409, 'GET /x answered 409: Clip is recording'],
    ['an error status without a body', () => new Response('', { status: 502 }), 'CLIP_FAILED', 502, 'GET /x answered 502'],
    ['403', () => json({ message: 'no' }, 403), 'PERMISSION_DENIED', 403, 'GET /x answered 403: no'],
    ['malformed JSON', () => new Response('<html>oops', { status: 200 }), 'CLIP_FAILED', 200, 'GET /x answered 200 without the expected JSON'],
    ['an empty 200', () => new Response('', { status: 200 }), 'CLIP_FAILED', 200, 'GET /x answered 200 without the expected JSON'],
    ['JSON null', () => new Response('null', { status: 200 }), 'CLIP_FAILED', 200, 'GET /x answered 200 without the expected JSON'],
  ];
  for (const [what, answer, code, status, message] of cases) {
    it(`${what} → ${code}`, async () => {
      const e = await rejection(fetchJson('/x', {}, { code: 'CLIP_FAILED', fetch: fakeFetch(async () => answer()).fn }));
      expect(e).to.be.instanceOf(OvError);
      expect([e.code, e.status, e.message]).to.deep.equal([code, status, message]);
    });
  }

  it('a network failure (TypeError) → NETWORK without a status, the cause kept', async () => {
    const cause = new TypeError('Failed to fetch');
    const e = await rejection(fetchJson('/x', {}, { code: 'CLIP_FAILED', fetch: fakeFetch(() => Promise.reject(cause)).fn }));
    expect([e.code, e.status, e.message]).to.deep.equal(['NETWORK', undefined, 'Could not reach GET /x: Failed to fetch']);
    expect(e.cause).to.equal(cause);
  });

  it('each call site may name its own codes and itself', async () => {
    const errors = { code: 'TOKEN_FAILED', network: 'TOKEN_FAILED', forbidden: 'TOKEN_FAILED', what: 'the token endpoint /t' } as const;
    const forbidden = await rejection(fetchJson('/t', {}, { ...errors, fetch: fakeFetch(async () => json({}, 403)).fn }));
    expect([forbidden.code, forbidden.status, forbidden.message]).to.deep.equal(['TOKEN_FAILED', 403, 'the token endpoint /t answered 403']);
    const offline = await rejection(fetchJson('/t', {}, { ...errors, fetch: fakeFetch(() => Promise.reject(new TypeError('offline'))).fn }));
    expect([offline.code, offline.message]).to.deep.equal(['TOKEN_FAILED', 'Could not reach the token endpoint /t: offline']);
  });

  it('passes the signal on: aborting it rejects with the network code', async () => {
    const ac = new AbortController();
    const f = fakeFetch(hanging);
    const p = fetchJson('/x', { signal: ac.signal }, { code: 'CLIP_FAILED', fetch: f.fn });
    expect(f.calls[0].init?.signal).to.equal(ac.signal);
    ac.abort();
    const e = await rejection(p);
    expect(e.code).to.equal('NETWORK');
    expect((e.cause as DOMException).name).to.equal('AbortError');
  });
});

describe('call sites through fetchJson', () => {
  const original = window.fetch;
  afterEach(() => {
    window.fetch = original;
  });

  it("endpointTokenProvider: the request's signal aborts the token request (TOKEN_FAILED), and is not posted", async () => {
    const f = fakeFetch(hanging);
    window.fetch = f.fn;
    const ac = new AbortController();
    const p = endpointTokenProvider('/t')({ session: 's', name: 'Ann', role: 'publisher', kind: 'camera', signal: ac.signal });
    expect(f.calls[0].init?.signal).to.equal(ac.signal);
    expect(JSON.parse(f.calls[0].init!.body as string)).to.deep.equal({ name: 'Ann', role: 'publisher' });
    ac.abort();
    const e = await rejection(p);
    expect(e.code).to.equal('TOKEN_FAILED');
  });

  it('uploadSnapshot: every failure stays SNAPSHOT_FAILED (a 403 too), with the status and the server message', async () => {
    window.fetch = fakeFetch(async () => json({ message: 'not in this session' }, 403)).fn;
    const e = await rejection(uploadSnapshot('/api/', 's', new Blob(['x'], { type: 'image/png' })));
    expect([e.code, e.status]).to.deep.equal(['SNAPSHOT_FAILED', 403]);
    expect(e.message).to.contain('403').and.contain('not in this session');
    window.fetch = fakeFetch(() => Promise.reject(new TypeError('offline'))).fn;
    const n = await rejection(uploadSnapshot('/api', 's', new Blob(['x'], { type: 'image/png' })));
    expect([n.code, n.status]).to.deep.equal(['SNAPSHOT_FAILED', undefined]);
    expect(n.message).to.contain('offline');
    window.fetch = fakeFetch(async () => json({ nope: true }, 201)).fn;
    const m = await rejection(uploadSnapshot('/api', 's', new Blob(['x'], { type: 'image/png' })));
    expect([m.code, m.status]).to.deep.equal(['SNAPSHOT_FAILED', 201]);
  });
});
