import { OpenVidu } from 'openvidu-browser';
import { Emitter } from '../emitter.js';
import { missingApi, type BrowserSupport } from '../browser-support.js';
import { OvError, toOvError } from '../errors.js';
import { captureFrame } from '../snapshot/snapshot.js';
import { readAnswer } from '../token/token-provider.js';
import type { CaptureOptions, Clip, ParticipantInfo, Role, RoomState, StreamInfo, TokenProvider, TokenRequest } from '../types.js';
import type { JoinOptions, LiveRoomApi, LiveRoomEvents, LiveRoomOptions } from './room-api.js';

// The slice of openvidu-browser this controller uses: structural, so tests can inject a fake `OpenVidu`.
type Handler = (event: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
interface OvConnection {
  connectionId: string;
  data: string;
}
interface OvStream {
  streamId: string;
  connection: OvConnection;
  hasAudio: boolean;
  hasVideo: boolean;
  audioActive: boolean;
  videoActive: boolean;
  typeOfVideo?: string;
  getMediaStream(): MediaStream | undefined;
}
interface OvStreamManager {
  stream: OvStream;
  on(event: string, fn: Handler): unknown;
}
interface OvPublisher extends OvStreamManager {
  publishAudio(on: boolean): void;
  publishVideo(on: boolean): void;
}
interface OvSession {
  connection?: OvConnection;
  on(event: string, fn: Handler): unknown;
  off?(event: string, fn?: Handler): unknown;
  connect(token: string, metadata?: unknown): Promise<void>;
  disconnect(): void;
  publish(publisher: OvPublisher): Promise<void>;
  /** openvidu-browser 2.32 returns a promise, rejected when the server says no (not publishing, timed out). */
  unpublish(publisher: OvPublisher): void | Promise<void>;
  subscribe(stream: OvStream, target: undefined): OvStreamManager;
  unsubscribe?(subscriber: OvStreamManager): void;
}
interface OvInstance {
  initSession(): OvSession;
  initPublisherAsync(target: undefined, properties: Record<string, unknown>): Promise<OvPublisher>;
  enableProdMode?(): void;
  checkSystemRequirements?(): boolean;
}

interface ScreenShare {
  session: OvSession;
  publisher?: OvPublisher;
  media: MediaStream;
  connectionId?: string;
}

interface ParticipantEntry {
  id: string;
  name: string;
  role: Role;
  isLocal: boolean;
  speaking: boolean;
  /** Its own (camera) connection is in the room; false while only its screen connection is. */
  connected: boolean;
  /** streamId → stream; camera first when listed. */
  streams: Map<string, StreamInfo>;
}

const SEPARATOR = '%/%';
const MEDIA_POLL_MS = 50;
const MEDIA_POLL_LIMIT_MS = 30_000;

/**
 * OpenVidu's `client%/%server` connection data → name, role and the screen-share link, from the server part only:
 * a participant writes its client data itself. The server part follows the last separator (a client may put `%/%`
 * in its own data; the reference server escapes `%` in its JSON). Data without a separator is client data as far as
 * we can tell (OpenVidu drops the separator when one side is empty): its name and role are shown, as from a backend
 * that sets no server data at all, and it never links a screen. Our own connections always send client data.
 */
export function parseConnectionData(data: string | undefined): { name: string; role?: Role; screenOf?: string } {
  const d = data ?? '';
  const i = d.lastIndexOf(SEPARATOR);
  const parse = (s: string): Record<string, unknown> => {
    try {
      const v = JSON.parse(s) as unknown;
      return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const server = i < 0 ? undefined : parse(d.slice(i + SEPARATOR.length));
  const client = server ? {} : parse(d);
  const role = str((server ?? client).role);
  return {
    name: (server ? str(server.name) : str(client.clientData) || str(client.name)) || '',
    role: role === 'subscriber' || role === 'publisher' ? role : undefined,
    screenOf: str(server?.screenOf) || undefined,
  };
}

/**
 * The room controller around openvidu-browser. Publishes camera + microphone, subscribes to everyone, shares
 * the screen through a second connection, follows clips through `ov-clip` signals, and cleans up every track
 * and connection on `leave()`.
 */
export class LiveRoom implements LiveRoomApi {
  readonly api: string;
  #tokenProvider: TokenProvider;
  #OV: new () => OvInstance;
  #getDisplayMedia: () => Promise<MediaStream>;
  #browserSupport?: () => BrowserSupport;
  #events = new Emitter<LiveRoomEvents>();
  #state: RoomState = 'idle';
  #session?: string;
  #name = '';
  #role: Role = 'publisher';
  /** Bumped by join/leave: a join that finds it changed after an await was cancelled. */
  #generation = 0;
  #ovSession?: OvSession;
  #publisher?: OvPublisher;
  #screen?: ScreenShare;
  #participants = new Map<string, ParticipantEntry>();
  /** Screen connection id → owner's camera connection id (from server data, or our own screen connection). */
  #screenOwners = new Map<string, string>();
  /** The server's grant for our screen token, from the camera token's answer. */
  #screenGrant?: string;
  #subscribers = new Map<string, OvStreamManager>();
  #pollTimers = new Set<ReturnType<typeof setTimeout>>();
  #recording: { active: boolean; startedAt?: number; clip?: Clip } = { active: false };
  #clipStatus = new Map<string, string>();
  #localTracks = new Set<MediaStreamTrack>();
  #leaving = false;

  constructor(options: LiveRoomOptions & { getDisplayMedia?: () => Promise<MediaStream>; browserSupport?: () => BrowserSupport }) {
    this.#tokenProvider = options.tokenProvider;
    this.api = (options.api ?? '/api').replace(/\/$/, '');
    this.#OV = (options.OpenVidu ?? OpenVidu) as new () => OvInstance;
    this.#getDisplayMedia =
      options.getDisplayMedia ?? (() => navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 }, audio: false }));
    this.#browserSupport = options.browserSupport;
  }

  // ---- read-only state -------------------------------------------------------------------------------------

  get state(): RoomState {
    return this.#state;
  }
  get session(): string | undefined {
    return this.#session;
  }
  get participants(): readonly ParticipantInfo[] {
    return [...this.#participants.values()].map((p) => this.#snapshot(p));
  }
  get local(): ParticipantInfo | undefined {
    const p = [...this.#participants.values()].find((x) => x.isLocal);
    return p && this.#snapshot(p);
  }
  get recording(): { active: boolean; startedAt?: number; clip?: Clip } {
    return { ...this.#recording };
  }
  get screenSharing(): boolean {
    return !!this.#screen;
  }
  /** Watch-only participants (role `subscriber`, no stream), this one included. They are in `participants` too. */
  get watching(): number {
    return [...this.#participants.values()].filter((p) => p.role === 'subscriber' && !p.streams.size).length;
  }

  on<K extends keyof LiveRoomEvents>(event: K, fn: (e: LiveRoomEvents[K]) => void): () => void {
    return this.#events.on(event, fn);
  }

  #snapshot(p: ParticipantEntry): ParticipantInfo {
    const streams = [...p.streams.values()].map((s) => ({ ...s }));
    streams.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'camera' ? -1 : 1));
    return { id: p.id, name: p.name, isLocal: p.isLocal, role: p.role, speaking: p.speaking, streams };
  }

  #setState(state: RoomState) {
    if (state === this.#state) return;
    const previous = this.#state;
    this.#state = state;
    this.#events.emit('stateChange', { state, previous });
  }

  #changed() {
    this.#events.emit('participantsChanged', { participants: this.participants as ParticipantInfo[] });
  }

  #fail(error: OvError) {
    this.#events.emit('error', { error });
  }

  // ---- join / leave ----------------------------------------------------------------------------------------

  async join(options: JoinOptions): Promise<void> {
    if (this.#state === 'joining' || this.#state === 'live' || this.#state === 'reconnecting') {
      throw new OvError('UNKNOWN', `Already ${this.#state}: leave() before joining again`);
    }
    const generation = ++this.#generation;
    const cancelled = () => generation !== this.#generation;
    // leave() during a join is the caller's choice, not a failure: join() rejects with JOIN_CANCELLED, and no
    // `error` event or state follows.
    const cancel = () => new OvError('JOIN_CANCELLED', 'leave() was called while joining');
    this.#session = options.session;
    this.#name = options.name ?? '';
    this.#role = options.role ?? 'publisher';
    this.#leaving = false;
    this.#resetModel();
    this.#setState('joining');
    try {
      // Before any token: openvidu-browser checks the user agent only inside connect(), and WebRTC not at all.
      const ov = new this.#OV();
      ov.enableProdMode?.();
      const missing = this.#browserSupport ? this.#browserSupport().reason : ov.checkSystemRequirements?.() === false ? 'browser' : missingApi();
      if (missing === 'secureContext' && this.#role === 'publisher') {
        throw new OvError('INSECURE_CONTEXT', 'Camera and microphone need a page served over HTTPS (or localhost)');
      }
      if (missing && missing !== 'getUserMedia' && missing !== 'secureContext') {
        throw new OvError('BROWSER_NOT_SUPPORTED', `This browser cannot join: ${missing === 'browser' ? 'openvidu-browser does not support it' : `no ${missing}`}`);
      }
      if (missing === 'getUserMedia' && this.#role === 'publisher') throw new OvError('BROWSER_NOT_SUPPORTED', 'This browser cannot join: no getUserMedia');
      const token = await this.#token('camera');
      if (cancelled()) throw cancel();

      const session = ov.initSession();
      this.#ovSession = session;
      this.#wireSession(session);
      try {
        await session.connect(token, { clientData: this.#name });
      } catch (err) {
        throw toOvError(err, 'CONNECT_FAILED');
      }
      if (cancelled()) throw cancel();
      const me = session.connection!;
      const data = parseConnectionData(me.data);
      this.#participants.set(me.connectionId, {
        id: me.connectionId,
        name: data.name || this.#name,
        role: data.role ?? this.#role,
        isLocal: true,
        speaking: false,
        connected: true,
        streams: new Map(),
      });

      if (this.#role === 'publisher') {
        const publisher = await ov
          .initPublisherAsync(undefined, {
            audioSource: undefined,
            videoSource: undefined,
            publishAudio: options.audio !== false,
            publishVideo: options.video !== false,
            resolution: '640x480',
            frameRate: 30,
            mirror: false,
          })
          .catch((err: unknown) => {
            throw toOvError(err, 'DEVICE_ACCESS_DENIED');
          });
        if (cancelled()) {
          // leave() ran while the camera was opening: its tracks were never ours to keep.
          publisher.stream.getMediaStream()?.getTracks().forEach((t) => t.stop());
          throw cancel();
        }
        this.#publisher = publisher;
        this.#trackLocal(publisher.stream.getMediaStream());
        await session.publish(publisher).catch((err: unknown) => {
          throw toOvError(err, 'CONNECT_FAILED');
        });
        if (cancelled()) throw cancel();
        this.#addLocalStream(me.connectionId, publisher, 'camera');
      }

      this.#setState('live');
      this.#events.emit('joined', { connectionId: me.connectionId, session: options.session });
      this.#changed();
      void this.#syncRecording(generation);
    } catch (err) {
      if (cancelled()) throw err instanceof OvError && err.code === 'JOIN_CANCELLED' ? err : cancel();
      const error = toOvError(err, 'CONNECT_FAILED');
      this.#teardown();
      this.#setState('error');
      this.#fail(error);
      throw error;
    }
  }

  /** A token; the camera token's screen grant is kept for the screen token (the server links the two with it). */
  async #token(kind: 'camera' | 'screen'): Promise<string> {
    const request: TokenRequest = { session: this.#session!, name: this.#name, role: this.#role, kind };
    if (kind === 'screen' && this.#screenGrant) request.screenGrant = this.#screenGrant;
    let answer;
    try {
      answer = readAnswer(await this.#tokenProvider(request));
    } catch (err) {
      const e = toOvError(err, 'TOKEN_FAILED');
      throw e.code === 'TOKEN_FAILED' ? e : new OvError('TOKEN_FAILED', e.message, { status: e.status, cause: err });
    }
    if (!answer) throw new OvError('TOKEN_FAILED', 'The token provider returned no token');
    if (kind === 'camera') this.#screenGrant = answer.screenGrant;
    return answer.token;
  }

  async leave(): Promise<void> {
    if (this.#state === 'idle' || this.#state === 'left') {
      this.#teardown();
      return;
    }
    this.#generation++;
    this.#leaving = true;
    this.#teardown();
    this.#setState('left');
    this.#events.emit('left', { reason: 'leave' });
  }

  #resetModel() {
    this.#screenGrant = undefined;
    this.#participants.clear();
    this.#screenOwners.clear();
    this.#subscribers.clear();
    this.#clipStatus.clear();
    this.#recording = { active: false };
  }

  /** Unpublish, disconnect both connections, stop every local track. Safe to call any time, twice. */
  #teardown() {
    for (const t of this.#pollTimers) clearTimeout(t);
    this.#pollTimers.clear();
    const screen = this.#screen;
    this.#screen = undefined;
    if (screen) closeConnection(screen.session, screen.publisher, screen.media);
    const session = this.#ovSession;
    this.#ovSession = undefined;
    if (session) {
      this.#leaving = true;
      closeConnection(session, this.#publisher);
    }
    const ms = this.#publisher?.stream.getMediaStream();
    ms?.getTracks().forEach((t) => t.stop());
    this.#publisher = undefined;
    for (const t of this.#localTracks) t.stop();
    this.#localTracks.clear();
    this.#participants.clear();
    this.#screenOwners.clear();
    this.#subscribers.clear();
    this.#recording = { active: false };
  }

  #trackLocal(ms: MediaStream | undefined) {
    ms?.getTracks().forEach((t) => this.#localTracks.add(t));
  }

  #addLocalStream(ownerId: string, publisher: OvPublisher, kind: 'camera' | 'screen', media?: MediaStream, connectionId = ownerId) {
    const p = this.#participants.get(ownerId);
    if (!p) return;
    const s = publisher.stream;
    const info: StreamInfo = {
      streamId: s.streamId,
      connectionId,
      kind,
      isLocal: true,
      hasAudio: s.hasAudio,
      hasVideo: s.hasVideo,
      audioActive: s.audioActive,
      videoActive: s.videoActive,
      mediaStream: media ?? s.getMediaStream(),
    };
    p.streams.set(info.streamId, info);
  }

  // ---- the camera session's events -------------------------------------------------------------------------

  #isMine(session: OvSession) {
    return () => session === this.#ovSession;
  }

  #wireSession(session: OvSession) {
    const current = this.#isMine(session);
    session.on('connectionCreated', (e: { connection: OvConnection }) => current() && this.#onConnectionCreated(e.connection));
    session.on('connectionDestroyed', (e: { connection: OvConnection; reason: string }) => current() && this.#onConnectionDestroyed(e.connection, e.reason));
    session.on('streamCreated', (e: { stream: OvStream }) => current() && this.#onStreamCreated(session, e.stream));
    session.on('streamDestroyed', (e: { stream: OvStream }) => current() && this.#onStreamDestroyed(e.stream));
    session.on('streamPropertyChanged', (e: { stream: OvStream; changedProperty: string; newValue: unknown }) => {
      if (!current()) return;
      if (e.changedProperty !== 'audioActive' && e.changedProperty !== 'videoActive') return;
      const info = this.#findStream(e.stream.streamId);
      if (!info) return;
      info[e.changedProperty] = Boolean(e.newValue);
      this.#changed();
    });
    const speaking = (on: boolean) => (e: { connection: OvConnection }) => {
      if (!current()) return;
      const p = this.#participants.get(this.#ownerOf(e.connection.connectionId));
      if (!p || p.speaking === on) return;
      p.speaking = on;
      this.#changed();
    };
    session.on('publisherStartSpeaking', speaking(true));
    session.on('publisherStopSpeaking', speaking(false));
    // Clip signals count only when the server sent them (no `from`): any participant may send a signal, and a forged
    // one must not put a clip into everyone's list.
    session.on('signal:ov-clip', (e: { data: string; from?: unknown }) => {
      if (!current() || e.from) return;
      try {
        this.#onClip(JSON.parse(e.data) as Clip);
      } catch {
        /* not a clip */
      }
    });
    session.on('signal:ov-clip-deleted', (e: { data: string; from?: unknown }) => {
      if (!current() || e.from) return;
      try {
        const d = JSON.parse(e.data) as { id: string; sessionId: string };
        this.#clipStatus.set(d.id, 'deleted');
        this.#events.emit('clipDeleted', { id: d.id, sessionId: d.sessionId });
      } catch {
        /* malformed */
      }
    });
    session.on('reconnecting', () => current() && this.#state === 'live' && this.#setState('reconnecting'));
    session.on('reconnected', () => {
      // Only a room that was reconnecting goes back to live: during `joining`, join() alone decides.
      if (!current() || this.#state !== 'reconnecting') return;
      this.#setState('live');
      void this.#syncRecording(this.#generation);
    });
    session.on('sessionDisconnected', (e: { reason: string }) => {
      if (!current() || this.#leaving) return;
      const reason = e.reason;
      this.#generation++;
      this.#teardown();
      if (reason === 'networkDisconnect') {
        this.#setState('error');
        this.#fail(new OvError('NETWORK', 'The connection to the room was lost'));
      } else {
        this.#setState('left');
        this.#events.emit('left', { reason });
      }
    });
    session.on('exception', (e: { name: string; message: string }) => {
      if (!current()) return;
      this.#fail(toOvError(e, 'NETWORK'));
    });
  }

  #ownerOf(connectionId: string): string {
    return this.#screenOwners.get(connectionId) ?? connectionId;
  }

  #findStream(streamId: string): StreamInfo | undefined {
    for (const p of this.#participants.values()) {
      const s = p.streams.get(streamId);
      if (s) return s;
    }
    return undefined;
  }

  #localId(): string | undefined {
    return this.#ovSession?.connection?.connectionId;
  }

  /**
   * A connection is a participant of its own unless the server linked it to its owner's (server data `screenOf`):
   * then it is folded into the owner, who is listed even before (or after) the owner's own connection is there, so
   * no connection that receives media goes unlisted.
   */
  #onConnectionCreated(c: OvConnection) {
    const id = c.connectionId;
    const local = this.#localId();
    if (id === local || this.#screenOwners.get(id) === local) return; // ours
    const data = parseConnectionData(c.data);
    const ownerId = data.screenOf ?? id;
    let p = this.#participants.get(ownerId);
    if (data.screenOf) {
      this.#screenOwners.set(id, ownerId);
      if (p || ownerId === local) return;
    } else if (p) {
      p.connected = true;
      return;
    }
    p = { id: ownerId, name: data.name, role: data.role ?? 'publisher', isLocal: false, speaking: false, connected: !data.screenOf, streams: new Map() };
    this.#participants.set(ownerId, p);
    if (this.#state === 'live' || this.#state === 'joining' || this.#state === 'reconnecting') {
      this.#events.emit('participantJoined', { participant: this.#snapshot(p) });
      this.#changed();
    }
  }

  #onConnectionDestroyed(c: OvConnection, reason: string) {
    const id = c.connectionId;
    const owner = this.#screenOwners.get(id);
    this.#screenOwners.delete(id);
    const p = this.#participants.get(owner ?? id);
    if (!p || (p.isLocal && !owner)) return;
    for (const [sid, s] of p.streams) if (s.connectionId === id) p.streams.delete(sid);
    if (!owner) p.connected = false;
    // Listed while any of its connections is in the room.
    if (p.isLocal || p.connected || [...this.#screenOwners.values()].includes(p.id)) return this.#changed();
    this.#participants.delete(p.id);
    this.#events.emit('participantLeft', { participant: this.#snapshot(p), reason });
    this.#changed();
  }

  #onStreamCreated(session: OvSession, stream: OvStream) {
    const cid = stream.connection.connectionId;
    // streamCreated can come with a connection we have not seen (it carries the data too).
    if (!this.#screenOwners.has(cid) && !this.#participants.has(cid)) this.#onConnectionCreated(stream.connection);
    const ownerId = this.#ownerOf(cid);
    const owner = this.#participants.get(ownerId);
    if (ownerId === this.#localId() || !owner) return; // our own screen, seen from our camera connection: never subscribe to it
    const kind: 'camera' | 'screen' = cid !== ownerId || stream.typeOfVideo === 'SCREEN' ? 'screen' : 'camera';
    const info: StreamInfo = {
      streamId: stream.streamId,
      connectionId: cid,
      kind,
      isLocal: false,
      hasAudio: stream.hasAudio,
      hasVideo: stream.hasVideo,
      audioActive: stream.audioActive,
      videoActive: stream.videoActive,
    };
    owner.streams.set(stream.streamId, info);
    let subscriber: OvStreamManager;
    try {
      subscriber = session.subscribe(stream, undefined);
    } catch (err) {
      this.#fail(toOvError(err, 'CONNECT_FAILED'));
      return;
    }
    this.#subscribers.set(stream.streamId, subscriber);
    this.#changed();
    this.#awaitMedia(stream, info);
  }

  /** Subscribers without a <video> fire no `streamPlaying`: poll until the remote MediaStream has its tracks. */
  #awaitMedia(stream: OvStream, info: StreamInfo) {
    const started = Date.now();
    const want = (stream.hasAudio ? 1 : 0) + (stream.hasVideo ? 1 : 0);
    const check = () => {
      if (this.#findStream(info.streamId) !== info) return;
      const ms = stream.getMediaStream();
      const n = ms?.getTracks().length ?? 0;
      if (ms && n >= Math.max(1, want)) {
        info.mediaStream = ms;
        this.#changed();
        return;
      }
      if (Date.now() - started > MEDIA_POLL_LIMIT_MS) {
        if (ms && n > 0) {
          info.mediaStream = ms;
          this.#changed();
        }
        return;
      }
      const t = setTimeout(() => {
        this.#pollTimers.delete(t);
        check();
      }, MEDIA_POLL_MS);
      this.#pollTimers.add(t);
    };
    check();
  }

  #onStreamDestroyed(stream: OvStream) {
    this.#subscribers.delete(stream.streamId);
    const owner = this.#participants.get(this.#ownerOf(stream.connection.connectionId));
    if (owner?.streams.delete(stream.streamId)) this.#changed();
  }

  // ---- devices ---------------------------------------------------------------------------------------------

  #requireLive(): OvSession {
    if (!this.#ovSession || (this.#state !== 'live' && this.#state !== 'reconnecting')) {
      throw new OvError('NOT_CONNECTED', 'Join the room first');
    }
    return this.#ovSession;
  }

  setAudio(on: boolean): void {
    this.#requireLive();
    if (!this.#publisher) throw new OvError('PERMISSION_DENIED', 'A subscriber has no microphone to toggle');
    this.#publisher.publishAudio(on);
    const info = this.#findStream(this.#publisher.stream.streamId);
    if (info && info.audioActive !== on) {
      info.audioActive = on;
      this.#changed();
    }
  }

  setVideo(on: boolean): void {
    this.#requireLive();
    if (!this.#publisher) throw new OvError('PERMISSION_DENIED', 'A subscriber has no camera to toggle');
    this.#publisher.publishVideo(on);
    const info = this.#findStream(this.#publisher.stream.streamId);
    if (info && info.videoActive !== on) {
      info.videoActive = on;
      this.#changed();
    }
  }

  // ---- screen share: a second connection ------------------------------------------------------------------

  async startScreenShare(): Promise<void> {
    this.#requireLive();
    if (this.#role !== 'publisher') throw new OvError('PERMISSION_DENIED', 'A subscriber cannot share the screen');
    if (this.#screen) return;
    const generation = this.#generation;
    const ownerId = this.#localId()!;
    let media: MediaStream;
    try {
      media = await this.#getDisplayMedia();
    } catch (err) {
      // Only a refusal or a closed picker (NotAllowedError, AbortError) is SCREEN_SHARE_CANCELLED.
      throw toOvError(err, 'SCREEN_SHARE_FAILED');
    }
    const track = media.getVideoTracks()[0];
    if (!track) {
      media.getTracks().forEach((t) => t.stop());
      throw new OvError('SCREEN_SHARE_FAILED', 'The screen capture has no video');
    }
    if ('contentHint' in track && !track.contentHint) track.contentHint = 'detail'; // text stays sharp
    const ov = new this.#OV();
    ov.enableProdMode?.();
    const session = ov.initSession();
    const screen: ScreenShare = { session, media };
    this.#screen = screen;
    // The browser's own "Stop sharing" button ends the track.
    track.addEventListener('ended', () => {
      if (this.#screen === screen) void this.stopScreenShare();
    });
    try {
      const token = await this.#token('screen');
      if (this.#screen !== screen || generation !== this.#generation) throw new OvError('SCREEN_SHARE_CANCELLED', 'Screen share stopped while starting');
      // No screen marker of ours: the server links the connection to its owner (from the grant), or nothing does.
      await session.connect(token, { clientData: this.#name }).catch((err: unknown) => {
        throw toOvError(err, 'SCREEN_SHARE_FAILED');
      });
      const cid = (screen.connectionId = session.connection?.connectionId);
      if (cid) {
        // Without a grant, our camera connection may already have listed the screen connection as someone.
        this.#screenOwners.set(cid, ownerId);
        if (this.#participants.delete(cid)) this.#changed();
      }
      const publisher = await ov
        .initPublisherAsync(undefined, { audioSource: false, videoSource: track, publishAudio: false, publishVideo: true, mirror: false })
        .catch((err: unknown) => {
          throw toOvError(err, 'SCREEN_SHARE_FAILED');
        });
      screen.publisher = publisher;
      if (this.#screen !== screen) throw new OvError('SCREEN_SHARE_CANCELLED', 'Screen share stopped while starting');
      await session.publish(publisher).catch((err: unknown) => {
        throw toOvError(err, 'SCREEN_SHARE_FAILED');
      });
      if (this.#screen !== screen) throw new OvError('SCREEN_SHARE_CANCELLED', 'Screen share stopped while starting');
      this.#addLocalStream(ownerId, publisher, 'screen', media, screen.connectionId);
      const info = this.#findStream(publisher.stream.streamId)!;
      this.#events.emit('screenShareStarted', { stream: { ...info } });
      this.#changed();
    } catch (err) {
      if (this.#screen === screen) this.#stopScreen(screen);
      throw toOvError(err, 'SCREEN_SHARE_FAILED');
    }
  }

  #stopScreen(screen: ScreenShare): boolean {
    if (this.#screen !== screen) return false;
    this.#screen = undefined;
    closeConnection(screen.session, screen.publisher, screen.media);
    const local = this.#participants.get(this.#localId() ?? '');
    if (local) for (const [id, s] of local.streams) if (s.kind === 'screen') local.streams.delete(id);
    return true;
  }

  async stopScreenShare(): Promise<void> {
    const screen = this.#screen;
    if (!screen) return;
    const wasPublished = !!screen.publisher;
    if (this.#stopScreen(screen) && wasPublished) {
      this.#events.emit('screenShareStopped', {});
      this.#changed();
    }
  }

  // ---- clips -----------------------------------------------------------------------------------------------

  async #api<T>(path: string, init: RequestInit = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.api}${path}`, init);
    } catch (err) {
      throw new OvError('NETWORK', `Could not reach ${this.api}${path}: ${(err as Error)?.message ?? err}`, { cause: err });
    }
    const body = (await res.json().catch(() => undefined)) as (T & { message?: string }) | undefined;
    if (!res.ok) {
      throw new OvError(res.status === 403 ? 'PERMISSION_DENIED' : 'CLIP_FAILED', `${init.method ?? 'GET'} ${path} answered ${res.status}${body?.message ? `: ${body.message}` : ''}`, { status: res.status });
    }
    if (body === undefined) throw new OvError('CLIP_FAILED', `${init.method ?? 'GET'} ${path} answered malformed JSON`, { status: res.status });
    return body;
  }

  async startClip(name?: string): Promise<Clip> {
    this.#requireLive();
    const clip = await this.#api<Clip>(`/sessions/${encodeURIComponent(this.#session!)}/clips`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(name ? { name } : {}),
    });
    this.#onClip(clip);
    return clip;
  }

  async stopClip(): Promise<Clip> {
    this.#requireLive();
    let id = this.#recording.clip?.id;
    if (!id) {
      const { clips } = await this.#api<{ clips: Clip[] }>(`/sessions/${encodeURIComponent(this.#session!)}/clips`);
      id = clips.find((c) => c.status === 'recording')?.id;
    }
    if (!id) throw new OvError('CLIP_FAILED', 'No clip is recording');
    const clip = await this.#api<Clip>(`/clips/${encodeURIComponent(id)}/stop`, { method: 'POST' });
    this.#onClip(clip);
    return clip;
  }

  /** Someone may have started a clip before we joined (or while we reconnected): ask the server. */
  async #syncRecording(generation: number) {
    try {
      const { clips } = await this.#api<{ clips: Clip[] }>(`/sessions/${encodeURIComponent(this.#session!)}/clips`);
      if (generation !== this.#generation) return;
      const rec = clips.find((c) => c.status === 'recording');
      if (rec) this.#onClip(rec);
      else if (this.#recording.active && this.#recording.clip) {
        const now = clips.find((c) => c.id === this.#recording.clip!.id);
        if (now) this.#onClip(now);
      }
    } catch {
      /* the indicator is a nicety: signals still arrive */
    }
  }

  /** Every clip change, from our own calls, signals or the server's list; each id+status is reported once. */
  #onClip(clip: Clip) {
    if (!clip?.id || !clip.status) return;
    const prev = this.#clipStatus.get(clip.id);
    if (prev === clip.status || prev === 'deleted') return;
    // Late news never moves a clip backwards (a `recording` signal after our own `processing`).
    const order = ['recording', 'processing', 'ready', 'failed'];
    if (prev && order.indexOf(prev) > order.indexOf(clip.status)) return;
    this.#clipStatus.set(clip.id, clip.status);
    const wasRecordingThis = this.#recording.active && this.#recording.clip?.id === clip.id;
    if (clip.status === 'recording') {
      this.#recording = { active: true, startedAt: clip.createdAt, clip };
      this.#events.emit('clipStarted', { clip });
      this.#events.emit('recordingChange', { recording: true, startedAt: clip.createdAt, clip });
      return;
    }
    if (wasRecordingThis || prev === 'recording' || !prev) {
      if (wasRecordingThis) {
        this.#recording = { active: false };
        this.#events.emit('recordingChange', { recording: false, clip });
      }
      if (prev !== 'processing' && clip.status !== 'failed') this.#events.emit('clipStopped', { clip });
    }
    if (clip.status === 'ready') this.#events.emit('clipReady', { clip });
    if (clip.status === 'failed') this.#events.emit('clipFailed', { clip });
  }

  // ---- snapshot --------------------------------------------------------------------------------------------

  /** The MediaStream a capture source names: `local` (default), `active` (current speaker) or a stream id. */
  streamFor(source: CaptureOptions['source'] = 'local'): StreamInfo | undefined {
    const all = [...this.#participants.values()];
    const camera = (p?: ParticipantEntry) => (p ? [...p.streams.values()].find((s) => s.kind === 'camera' && s.mediaStream) : undefined);
    if (source === 'local') return camera(all.find((p) => p.isLocal));
    if (source === 'active') {
      return camera(all.find((p) => p.speaking && !p.isLocal)) ?? camera(all.find((p) => p.speaking)) ?? camera(all.find((p) => !p.isLocal && camera(p))) ?? camera(all.find((p) => p.isLocal));
    }
    return this.#findStream(source);
  }

  async captureSnapshot(options: CaptureOptions = {}): Promise<Blob> {
    this.#requireLive();
    const stream = this.streamFor(options.source);
    if (!stream?.mediaStream) throw new OvError('SNAPSHOT_FAILED', `No video to capture for source "${options.source ?? 'local'}"`);
    return captureFrame(stream.mediaStream, { format: options.format, quality: options.quality });
  }
}

/** Unpublish and disconnect one openvidu-browser connection, then stop its tracks; anything already gone is fine. */
function closeConnection(session: { unpublish(p: never): void | Promise<void>; disconnect(): void }, publisher?: unknown, media?: MediaStream) {
  try {
    // A throw or a rejection alike ("not publishing", "Request has timed out"): the connection is closed next anyway.
    if (publisher) session.unpublish(publisher as never)?.catch(() => undefined);
  } catch {
    /* not published */
  }
  try {
    session.disconnect();
  } catch {
    /* already disconnected */
  }
  media?.getTracks().forEach((t) => t.stop());
}
