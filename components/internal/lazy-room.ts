// The room controller's stand-in while its code loads: LiveRoom and openvidu-browser are a separate chunk of the
// script-tag bundle (dist/ov-live-elements/), fetched when an <ov-live-room> is in the page, so a page with only a
// clip list or a snapshot button never loads them, and the pre-join screen never waits for them.
import { Emitter } from '../../src/emitter.js';
import { OvError } from '../../src/errors.js';
import type { JoinOptions, LiveRoomApi, LiveRoomEvents, LiveRoomOptions } from '../../src/room/room-api.js';
import type { CaptureOptions, RoomState } from '../../src/types.js';

export type RoomClass = new (options: LiveRoomOptions) => LiveRoomApi;

/**
 * A LiveRoomApi that is `idle` until `join()`, which reports `joining` at once, loads the real room, then hands
 * everything to it: its state, models, verbs and events (a state is never reported twice). `leave()` while it
 * loads cancels the join (`JOIN_CANCELLED`) like LiveRoom's; a load that fails is a `NETWORK` error.
 */
export class LazyRoom implements LiveRoomApi {
  #room?: LiveRoomApi;
  #state: RoomState = 'idle';
  #session?: string;
  #events = new Emitter<LiveRoomEvents>();
  /** Events someone listens to: relayed from the real room once it exists. */
  #wanted = new Set<keyof LiveRoomEvents>();
  #generation = 0;

  constructor(
    private readonly load: () => Promise<RoomClass>,
    private readonly options: LiveRoomOptions,
  ) {}

  get state(): RoomState {
    return this.#room?.state ?? this.#state;
  }
  get session() {
    return this.#room?.session ?? this.#session;
  }
  get participants() {
    return this.#room?.participants ?? [];
  }
  get local() {
    return this.#room?.local;
  }
  get recording() {
    return this.#room?.recording ?? { active: false };
  }
  get replay() {
    return this.#room?.replay ?? null;
  }
  get screenSharing() {
    return !!this.#room?.screenSharing;
  }
  get watching() {
    return this.#room?.watching ?? 0;
  }
  get access() {
    return this.#room?.access;
  }

  on<K extends keyof LiveRoomEvents>(event: K, fn: (e: LiveRoomEvents[K]) => void): () => void {
    if (!this.#wanted.has(event)) {
      this.#wanted.add(event);
      this.#relay(event);
    }
    return this.#events.on(event, fn);
  }

  #relay<K extends keyof LiveRoomEvents>(event: K) {
    this.#room?.on(event, (e) => {
      if (event !== 'stateChange') return this.#events.emit(event, e);
      this.#set((e as LiveRoomEvents['stateChange']).state);
    });
  }

  #set(state: RoomState) {
    const previous = this.#state;
    if (state === previous) return;
    this.#state = state;
    this.#events.emit('stateChange', { state, previous });
  }

  async join(options: JoinOptions): Promise<void> {
    if (this.#room) return this.#room.join(options);
    if (this.#state === 'joining') throw new OvError('UNKNOWN', 'Already joining: leave() before joining again');
    const generation = ++this.#generation;
    this.#session = options.session;
    this.#set('joining');
    let Room: RoomClass;
    try {
      Room = await this.load();
    } catch (err) {
      if (generation === this.#generation) {
        const error = new OvError('NETWORK', 'The room could not load its code', { cause: err });
        this.#set('error');
        this.#events.emit('error', { error });
        throw error;
      }
    }
    if (generation !== this.#generation) throw new OvError('JOIN_CANCELLED', 'leave() was called while joining');
    this.#room = new Room!(this.options);
    this.#wanted.forEach((event) => this.#relay(event));
    return this.#room.join(options);
  }

  async leave(): Promise<void> {
    if (this.#room) return this.#room.leave();
    if (this.#state !== 'joining') return;
    this.#generation++;
    this.#set('left');
    this.#events.emit('left', { reason: 'leave' });
  }

  #live(): LiveRoomApi {
    if (!this.#room) throw new OvError('NOT_CONNECTED', 'Join the room first');
    return this.#room;
  }

  setAudio(on: boolean) {
    this.#live().setAudio(on);
  }
  setVideo(on: boolean) {
    this.#live().setVideo(on);
  }
  async startScreenShare() {
    return this.#live().startScreenShare();
  }
  async stopScreenShare() {
    return this.#live().stopScreenShare();
  }
  async startClip(name?: string) {
    return this.#live().startClip(name);
  }
  async stopClip() {
    return this.#live().stopClip();
  }
  async clipReplay(seconds?: number, name?: string) {
    return this.#live().clipReplay(seconds, name);
  }
  async captureSnapshot(options?: CaptureOptions) {
    return this.#live().captureSnapshot(options);
  }
}
