// A fake openvidu-browser for LiveRoom's unit tests: the slice of Session, Publisher and OpenVidu it uses.
type Handler = (event: any) => void;

/** The slice of openvidu-browser's Session LiveRoom uses; events go out through the stored handler map. */
export class FakeSession {
  handlers = new Map<string, Handler[]>();
  connection?: { connectionId: string; data: string };
  connectCalls: { token: string; metadata: unknown }[] = [];
  published: unknown[] = [];
  unpublished: unknown[] = [];
  disconnects = 0;
  /** Set by a test to make connect() fail. */
  connectError?: unknown;
  /** Set by a test: unpublish() returns a promise rejected with it, as openvidu-browser 2.32's does. */
  unpublishError?: unknown;

  on(event: string, fn: Handler) {
    const list = this.handlers.get(event) ?? [];
    list.push(fn);
    this.handlers.set(event, list);
    return this;
  }
  emit(event: string, payload: unknown = {}) {
    for (const fn of this.handlers.get(event) ?? []) fn(payload);
  }
  async connect(token: string, metadata?: unknown) {
    this.connectCalls.push({ token, metadata });
    if (this.connectError) throw this.connectError;
    this.connection = { connectionId: 'con_local', data: `${JSON.stringify(metadata)}%/%${JSON.stringify({ name: 'Ann', role: 'publisher' })}` };
  }
  async publish(publisher: unknown) {
    this.published.push(publisher);
  }
  unpublish(publisher: unknown) {
    this.unpublished.push(publisher);
    if (this.unpublishError) return Promise.reject(this.unpublishError);
  }
  subscribe() {
    return { stream: undefined, on: () => undefined };
  }
  disconnect() {
    this.disconnects++;
    // openvidu-browser fires sessionDisconnected('disconnect') on our own disconnect: LiveRoom must ignore it.
    this.emit('sessionDisconnected', { reason: 'disconnect' });
  }
}

export class FakePublisher {
  audio: boolean[] = [];
  video: boolean[] = [];
  stream = {
    streamId: 'str_local',
    connection: { connectionId: 'con_local', data: '' },
    hasAudio: true,
    hasVideo: true,
    audioActive: true,
    videoActive: true,
    getMediaStream: () => undefined,
  };
  on() {
    return this;
  }
  publishAudio(on: boolean) {
    this.audio.push(on);
  }
  publishVideo(on: boolean) {
    this.video.push(on);
  }
}

/** A fake `OpenVidu` constructor plus what its instances did. */
export function fakeOpenVidu() {
  const sessions: FakeSession[] = [];
  const publishers: FakePublisher[] = [];
  let prodMode = 0;
  class FakeOpenVidu {
    enableProdMode() {
      prodMode++;
    }
    initSession() {
      const s = new FakeSession();
      sessions.push(s);
      return s;
    }
    async initPublisherAsync() {
      const p = new FakePublisher();
      publishers.push(p);
      return p;
    }
  }
  return {
    OpenVidu: FakeOpenVidu,
    sessions,
    publishers,
    get prodMode() {
      return prodMode;
    },
  };
}
