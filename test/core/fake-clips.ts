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
