// Fakes for the element unit tests: a LiveRoomApi controller, a clip feed, elements wired to them, and their helpers.
import { elementUpdated, fixture, html, waitUntil } from '@open-wc/testing';
import type { TemplateResult } from 'lit';
import { OvError } from '../../src/errors.js';
import type { UploadRequest } from '../../components/internal/core.js';
import type { ClipFeed } from '../../components/clip-list/clip-feed.js';
import { OvClipList } from '../../components/clip-list/clip-list.js';
import { OvLiveRoom } from '../../components/live-room/live-room.js';
import { OvSnapshotButton } from '../../components/snapshot-button/snapshot-button.js';
import type { JoinOptions, LiveRoomApi, LiveRoomEvents, LiveRoomOptions } from '../../src/room/room-api.js';
import type { CaptureOptions, Clip, ClipShare, ParticipantInfo, Replay, RoomState, Snapshot, StreamInfo } from '../../src/types.js';

type Listener = (e: never) => void;

export class FakeRoom implements LiveRoomApi {
  state: RoomState = 'idle';
  session?: string;
  participants: ParticipantInfo[] = [];
  local?: ParticipantInfo;
  recording: { active: boolean; startedAt?: number; clip?: Clip } = { active: false };
  screenSharing = false;
  replay: Replay | null = null; // tested on the real LiveRoom (live-room-replay.test.ts)
  /** Like LiveRoom's: the token answer's, cleared by leave(). */
  access?: string;
  get watching() {
    return this.participants.filter((p) => p.role === 'subscriber' && !p.streams.length).length;
  }
  calls: string[] = [];
  joinOptions?: JoinOptions;
  /** Set to make join() wait (resolve it to finish joining) or fail. */
  joinGate?: Promise<void>;
  joinError?: unknown;
  snapshotBlob = new Blob(['x'], { type: 'image/jpeg' });
  private listeners = new Map<string, Set<Listener>>();

  constructor(readonly options?: LiveRoomOptions) {}

  on<K extends keyof LiveRoomEvents>(event: K, fn: (e: LiveRoomEvents[K]) => void) {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener);
    return () => void set!.delete(fn as Listener);
  }

  fire<K extends keyof LiveRoomEvents>(event: K, payload: LiveRoomEvents[K]) {
    for (const fn of [...(this.listeners.get(event) ?? [])]) (fn as (e: LiveRoomEvents[K]) => void)(payload);
  }

  setState(state: RoomState) {
    const previous = this.state;
    this.state = state;
    this.fire('stateChange', { state, previous });
  }

  /** Like the core: the recording state changes, then `recordingChange` tells. */
  setRecording(recording: FakeRoom['recording']) {
    this.recording = recording;
    this.fire('recordingChange', { recording: recording.active, startedAt: recording.startedAt, clip: recording.clip });
  }

  /** Like LiveRoom: the verbs work while `live` or `reconnecting`, else NOT_CONNECTED. */
  private requireLive() {
    if (this.state !== 'live' && this.state !== 'reconnecting') throw new OvError('NOT_CONNECTED', 'Join the room first');
  }

  setParticipants(ps: ParticipantInfo[]) {
    this.participants = ps;
    this.local = ps.find((p) => p.isLocal);
    this.fire('participantsChanged', { participants: ps });
  }

  async join(o: JoinOptions) {
    this.calls.push('join');
    this.joinOptions = o;
    this.session = o.session;
    this.setState('joining');
    const answer = await this.options?.tokenProvider({ session: o.session, name: o.name ?? '', role: o.role ?? 'publisher' }).catch((e) => {
      this.joinError ??= e;
    });
    if (typeof answer === 'object') this.access = answer.access;
    if (this.joinGate) await this.joinGate;
    // Like LiveRoom: leave() during the join makes join() reject with JOIN_CANCELLED, without an error state.
    if (this.state === 'left') throw new OvError('JOIN_CANCELLED', 'leave() was called while joining');
    if (this.joinError) {
      this.setState('error');
      throw this.joinError;
    }
    this.setParticipants([participant('me', o.name ?? 'Me', true)]);
    this.setState('live');
    this.fire('joined', { connectionId: 'me', session: o.session });
  }
  async leave() {
    this.calls.push('leave');
    this.access = undefined;
    if (this.state === 'left') return;
    this.setState('left');
    this.fire('left', { reason: 'disconnect' });
  }
  setAudio(on: boolean) {
    this.requireLive();
    this.calls.push(`audio:${on}`);
    const me = this.participants.find((p) => p.isLocal)!;
    me.streams[0].audioActive = on;
    this.setParticipants([...this.participants]);
  }
  setVideo(on: boolean) {
    this.requireLive();
    this.calls.push(`video:${on}`);
    const me = this.participants.find((p) => p.isLocal)!;
    me.streams[0].videoActive = on;
    this.setParticipants([...this.participants]);
  }
  async startScreenShare() {
    this.requireLive();
    this.calls.push('screen:on');
    this.screenSharing = true;
    this.fire('screenShareStarted', { stream: stream('screen1', 'screen', true) });
  }
  async stopScreenShare() {
    this.calls.push('screen:off');
    this.screenSharing = false;
    this.fire('screenShareStopped', {});
  }
  async startClip(name?: string) {
    this.requireLive();
    this.calls.push(`clip:start:${name ?? ''}`);
    const c = clip('c1', 'recording');
    this.setRecording({ active: true, startedAt: Date.now() - 65_000, clip: c });
    this.fire('clipStarted', { clip: c });
    return c;
  }
  async stopClip() {
    this.requireLive();
    this.calls.push('clip:stop');
    const c = clip('c1', 'processing');
    this.setRecording({ active: false, clip: c });
    this.fire('clipStopped', { clip: c });
    return c;
  }
  clipReplay = () => Promise.reject<Clip>(new OvError('REPLAY_OFF', 'No replay buffer'));
  async captureSnapshot(o?: CaptureOptions) {
    this.requireLive();
    this.calls.push(`snapshot:${o?.source ?? ''}:${o?.format ?? ''}`);
    return this.snapshotBlob;
  }
}

export function stream(id: string, kind: 'camera' | 'screen' = 'camera', isLocal = false, mediaStream?: MediaStream): StreamInfo {
  return { streamId: id, connectionId: id, kind, isLocal, hasAudio: true, hasVideo: true, audioActive: true, videoActive: true, mediaStream };
}

export function participant(id: string, name: string, isLocal = false, streams = [stream(`${id}-cam`, 'camera', isLocal)]): ParticipantInfo {
  return { id, name, isLocal, role: 'publisher', speaking: false, streams };
}

export function clip(id: string, status: Clip['status'], over: Partial<Clip> = {}): Clip {
  return {
    id,
    sessionId: 'demo',
    name: `Clip ${id}`,
    status,
    createdAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    duration: 75,
    size: 1000,
    hasAudio: true,
    hasVideo: true,
    mediaUrl: `/api/clips/${id}/media`,
    thumbnailUrl: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=',
    ...over,
  };
}

/** `<fake-live-room>`: an OvLiveRoom whose controller is a FakeRoom (the last one is `FakeLiveRoom.last`). */
export class FakeLiveRoom extends OvLiveRoom {
  static last?: FakeRoom;
  static setup?: (room: FakeRoom) => void;
  protected override createRoom(options: LiveRoomOptions) {
    const room = new FakeRoom(options);
    FakeLiveRoom.setup?.(room);
    FakeLiveRoom.last = room;
    return room;
  }
}
FakeLiveRoom.define('fake-live-room');

export class FakeFeed implements ClipFeed {
  clips: Clip[] = [];
  fail?: unknown;
  removed: string[] = [];
  closed = false;
  /** The edits asked for, in order: `rename:<id>:<name>`, `trim:<id>:<start>:<end>`, `restore:<id>`, `share:<id>:<expiresIn>`. */
  edits: string[] = [];
  /** Set: the edits (and shares) fail; their answers wait for `editGate`; `clock` is the last answer's `updatedAt`. */
  editError?: unknown;
  editGate?: Promise<void>;
  clock = Date.UTC(2026, 0, 5);
  private clipFns = new Set<(c: Clip) => void>();
  private delFns = new Set<(id: string) => void>();
  private updFns = new Set<(c: Clip) => void>();
  async list() {
    if (this.fail) throw this.fail;
    return this.clips;
  }
  async remove(id: string) {
    this.removed.push(id);
  }
  /** Like the server: the clip with the edit applied, and a newer `updatedAt`. */
  private async edit(what: string, id: string, change: (c: Clip) => Partial<Clip>): Promise<Clip> {
    this.edits.push(what);
    if (this.editGate) await this.editGate;
    if (this.editError) throw this.editError;
    const known = this.clips.find((c) => c.id === id) ?? clip(id, 'ready');
    const next: Clip = { ...known, ...change(known), updatedAt: (this.clock += 1000) };
    for (const k of ['trim', 'originalDuration'] as const) if (next[k] === undefined) delete next[k];
    this.clips = this.clips.map((c) => (c.id === id ? next : c));
    return next;
  }
  rename(id: string, name: string) {
    return this.edit(`rename:${id}:${name}`, id, () => ({ name }));
  }
  trim(id: string, start: number, end: number) {
    return this.edit(`trim:${id}:${start}:${end}`, id, (c) => ({
      trim: { start, end },
      originalDuration: c.originalDuration ?? c.duration,
      duration: end - start,
    }));
  }
  restore(id: string) {
    return this.edit(`restore:${id}`, id, (c) => ({ trim: undefined, originalDuration: undefined, duration: c.originalDuration ?? c.duration }));
  }
  async share(id: string, expiresIn?: number): Promise<ClipShare> {
    this.edits.push(`share:${id}:${expiresIn}`);
    if (this.editError) throw this.editError;
    return { clipId: id, url: `https://live.example/watch/${id}?exp=1767916800&sig=abc`, expiresAt: Date.UTC(2026, 0, 9, 12) };
  }
  onClip(fn: (c: Clip) => void) {
    this.clipFns.add(fn);
    return () => void this.clipFns.delete(fn);
  }
  onDeleted(fn: (id: string) => void) {
    this.delFns.add(fn);
    return () => void this.delFns.delete(fn);
  }
  onUpdated(fn: (c: Clip) => void) {
    this.updFns.add(fn);
    return () => void this.updFns.delete(fn);
  }
  push(c: Clip) {
    this.clipFns.forEach((fn) => fn(c));
  }
  /** A live `clipUpdated`. */
  pushUpdate(c: Clip) {
    this.updFns.forEach((fn) => fn(c));
  }
  close() {
    this.closed = true;
  }
}

/** `<fake-clip-list>`: an OvClipList on `FakeClipList.feed`. */
export class FakeClipList extends OvClipList {
  static feed = new FakeFeed();
  static requests: { api: string; session: string }[] = [];
  protected override createFeed(api: string, session: string) {
    FakeClipList.requests.push({ api, session });
    return FakeClipList.feed;
  }
}
FakeClipList.define('fake-clip-list');

/** `<fake-snapshot-button>`: an OvSnapshotButton whose upload is recorded (and fails when `fail` is set). */
export class FakeSnapshotButton extends OvSnapshotButton {
  static uploads: UploadRequest[] = [];
  static fail?: unknown;
  protected override async upload(r: UploadRequest): Promise<Snapshot> {
    FakeSnapshotButton.uploads.push(r);
    if (FakeSnapshotButton.fail) throw FakeSnapshotButton.fail;
    return {
      id: 's1',
      sessionId: r.session,
      name: 'snap',
      streamId: r.streamId ?? '',
      contentType: 'image/jpeg',
      size: r.blob.size,
      width: 640,
      height: 480,
      createdAt: 0,
      url: '/api/snapshots/s1',
    };
  }
}
FakeSnapshotButton.define('fake-snapshot-button');
export const $ = (el: Element, sel: string) => el.shadowRoot!.querySelector(sel) as HTMLElement | null;
export const $$ = (el: Element, sel: string) => [...el.shadowRoot!.querySelectorAll(sel)] as HTMLElement[];
/** A `<fake-clip-list>` (or `tpl`) on a new FakeFeed holding `clips`, loaded. */
export async function mountList(clips: Clip[], tpl?: TemplateResult): Promise<OvClipList> {
  FakeClipList.feed = new FakeFeed();
  FakeClipList.feed.clips = clips;
  const el = await fixture<OvClipList>(tpl ?? html`<fake-clip-list session="demo" api="/api"></fake-clip-list>`);
  await waitUntil(() => $(el, '[part~="base"]')!.getAttribute('aria-busy') === 'false', 'the list loads');
  await elementUpdated(el);
  return el;
}
