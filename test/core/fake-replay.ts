// A fake reference server for the replay tests (core and element): answers LiveRoom's REST calls on window.fetch (its
// replay buffer, its clips) and records them. `replayRead()` resolves once the room has read the next replay answer
// (its body, or the failure) and everything that follows from it has run: the barrier for "nothing came of it".
import type { Clip, Replay } from '../../src/types.js';
import { recordingFetch, type FetchCall } from './fake-clips.js';

export const replayOf = (state: Replay['state'], over: Partial<Replay> = {}): Replay => ({ sessionId: 'ses_A', state, seconds: 30, held: 12.5, ...over });

export const answer = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** The reference server's error body. */
export const apiError = (statusCode: number, code: string, message = code) => answer(statusCode, { statusCode, error: 'Conflict', message, code });

export const replayClip = (over: Partial<Clip> = {}): Clip => ({
  id: 'ses_A~rabcd1234',
  sessionId: 'ses_A',
  name: 'replay',
  status: 'ready',
  createdAt: 1000,
  duration: 30,
  size: 1,
  hasAudio: true,
  hasVideo: true,
  mediaUrl: '/api/clips/ses_A~rabcd1234/media',
  thumbnailUrl: '/api/clips/ses_A~rabcd1234/thumbnail',
  ...over,
});

type Route = (call: FetchCall) => Response | Promise<Response>;

/** Installs the fake on window.fetch; `restore()` puts the real one back. */
export function fakeServer(routes: { replay?: Route; clip?: Route } = {}) {
  const original = window.fetch;
  const reads: (() => void)[] = [];
  const read: Promise<void>[] = [];
  const nextRead = () => {
    let done!: () => void;
    read.push(new Promise<void>((r) => (done = r)));
    reads.push(done);
  };
  nextRead();
  /** The next replay answer's reader ran (a macrotask after its body was read, or after the failure). */
  const settle = (p: Promise<Response>): Promise<Response> => {
    const done = reads[reads.length - 1];
    nextRead();
    return p.then(
      (res) => {
        const text = res.text.bind(res);
        res.text = () => text().finally(() => setTimeout(done));
        return res;
      },
      (err) => {
        setTimeout(done);
        throw err;
      },
    );
  };
  const { fetch, calls } = recordingFetch((call) => {
    if (call.url.endsWith('/replay')) return settle(Promise.resolve().then(() => (routes.replay ?? (() => answer(200, replayOf('off'))))(call)));
    if (call.method === 'POST' && call.url.endsWith('/clips')) return (routes.clip ?? (() => answer(201, replayClip())))(call);
    return answer(200, { clips: [] });
  });
  window.fetch = fetch;
  let readCount = 0;
  return {
    calls,
    routes,
    /** The calls to the replay route, as `METHOD url`. */
    replayCalls: () => calls.filter((c) => c.url.endsWith('/replay')).map((c) => `${c.method} ${c.url}`),
    clipPosts: () => calls.filter((c) => c.method === 'POST' && c.url.endsWith('/clips')),
    replayRead: () => read[readCount++],
    restore: () => void (window.fetch = original),
  };
}
