// Fakes for the clips client's unit tests: a clip, and an EventSource the test drives.
import type { Clip } from '../../src/types.js';

export const clip = (id: string, status: Clip['status'], sessionId = 's'): Clip => ({
  id,
  sessionId,
  name: id,
  status,
  createdAt: 1,
  duration: 0,
  size: 0,
  hasAudio: true,
  hasVideo: true,
  mediaUrl: '',
  thumbnailUrl: '',
});

/** A controllable EventSource; the last one made is `FakeEventSource.last`. */
export class FakeEventSource extends EventTarget {
  static last?: FakeEventSource;
  readyState = 0;
  constructor(readonly url: string) {
    super();
    FakeEventSource.last = this;
  }
  close() {
    this.readyState = 2;
  }
  send(type: string, data: unknown) {
    this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
}

export interface FetchCall {
  method: string;
  url: string;
  body?: unknown;
  signal?: AbortSignal | null;
  /** The `authorization` header sent, if any. */
  authorization?: string;
}

/**
 * A fetch that records each call and answers with `answer(call)`; an aborted signal rejects it as a browser's does
 * (at once, or when aborted later while `answer` is pending).
 */
export function recordingFetch(answer: (call: FetchCall) => Response | Promise<Response>) {
  const calls: FetchCall[] = [];
  const fetch = ((url: string, init?: RequestInit) => {
    const call = {
      method: init?.method ?? 'GET',
      url: String(url),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      signal: init?.signal,
      authorization: (init?.headers as Record<string, string> | undefined)?.authorization,
    };
    calls.push(call);
    return new Promise<Response>((resolve, reject) => {
      const abort = () => reject(new DOMException('The operation was aborted.', 'AbortError'));
      if (call.signal?.aborted) return abort();
      call.signal?.addEventListener('abort', abort);
      Promise.resolve(answer(call)).then(resolve, reject);
    });
  }) as typeof window.fetch;
  return { fetch, calls };
}
