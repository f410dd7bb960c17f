import { OpenVidu } from 'openvidu-browser';
import { Emitter } from '../emitter.js';
import type { BrowserSupport } from '../browser-support.js';
import { OvError, toOvError } from '../errors.js';
import { captureFrame } from '../snapshot/snapshot.js';
import { requestToken } from '../token/token-provider.js';
import type { CaptureOptions, Clip, ParticipantInfo, Replay, Role, RoomState, StreamInfo, TokenProvider } from '../types.js';
import { checkBrowser, closeConnection, connect, openVidu, publishCamera, wire } from './openvidu-adapter.js';
import type { OvConnection, OvConstructor, OvPublisher, OvSession, OvStream } from './openvidu-adapter.js';
import { parseConnectionData, Participants, streamInfo } from './participants.js';
import { RoomClips, type Recording } from './room-clips.js';
import type { JoinOptions, LiveRoomApi, LiveRoomEvents, LiveRoomOptions } from './room-api.js';
import { ScreenShare } from './screen-share.js';

export { parseConnectionData } from './participants.js';

/**
 * The room controller around openvidu-browser. Publishes camera + microphone, subscribes to everyone, shares
 * the screen through a second connection, follows clips and the replay buffer through `ov-clip*` and `ov-replay`
 * signals, and cleans up every track and connection on `leave()`.
 */
export class LiveRoom implements LiveRoomApi {
  readonly api: string;
  #tokenProvider: TokenProvider;
  #OV: OvConstructor;
  #browserSupport?: () => BrowserSupport;
  #events = new Emitter<LiveRoomEvents>();
  #state: RoomState = 'idle';
  #session?: string;
  #name = '';
  #role: Role = 'publisher';
  /** One per join: leave() (or the server ending the connection) aborts what that join started. */
  #abort = new AbortController();
  #ovSession?: OvSession;
  #publisher?: OvPublisher;
  #screen: ScreenShare;
  #participants = new Participants(
    this.#events,
    () => this.#ovSession?.connection?.connectionId,
    () => this.#state === 'live' || this.#state === 'joining' || this.#state === 'reconnecting',
  );
  /** The server's grant for our screen token, from the camera token's answer. */
  #screenGrant?: string;
  #clips: RoomClips;
  #localTracks = new Set<MediaStreamTrack>();

  constructor(options: LiveRoomOptions & { getDisplayMedia?: () => Promise<MediaStream>; browserSupport?: () => BrowserSupport }) {
    this.#tokenProvider = options.tokenProvider;
    this.api = (options.api ?? '/api').replace(/\/$/, '');
    this.#OV = (options.OpenVidu ?? OpenVidu) as OvConstructor;
    this.#browserSupport = options.browserSupport;
    this.#clips = new RoomClips(this.api, this.#events);
    this.#screen = new ScreenShare({
      OV: this.#OV,
      getDisplayMedia: options.getDisplayMedia ?? (() => navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 }, audio: false })),
      name: () => this.#name,
      token: (signal) => this.#token('screen', signal),
      // Without a grant, our camera connection may already have listed the screen connection as someone.
      connected: (cid) => this.#participants.linkScreen(cid),
      ended: () => void this.stopScreenShare(),
    });
  }

  get state(): RoomState {
    return this.#state;
  }
  get session(): string | undefined {
    return this.#session;
  }
  get participants(): readonly ParticipantInfo[] {
    return this.#participants.list;
  }
  get local(): ParticipantInfo | undefined {
    return this.#participants.local;
  }
  get recording(): Recording {
    return this.#clips.recording;
  }
  /** The room's replay buffer, as the server last told; null when it has none to tell of. */
  get replay(): Replay | null {
    return this.#clips.replay;
  }
  get screenSharing(): boolean {
    return this.#screen.active;
  }
  /** The access pass the camera token came with (sent on the room's writes); none before joining and after leaving. */
  get access(): string | undefined {
    return this.#clips.access;
  }
  /** Watch-only participants (role `subscriber`, no stream), this one included. They are in `participants` too. */
  get watching(): number {
    return this.#participants.watching;
  }

  on<K extends keyof LiveRoomEvents>(event: K, fn: (e: LiveRoomEvents[K]) => void): () => void {
    return this.#events.on(event, fn);
  }

  #setState(state: RoomState) {
    if (state === this.#state) return;
    const previous = this.#state;
    this.#state = state;
    this.#events.emit('stateChange', { state, previous });
  }

  #fail(error: OvError) {
    this.#events.emit('error', { error });
  }

  async join(options: JoinOptions): Promise<void> {
    if (this.#state === 'joining' || this.#state === 'live' || this.#state === 'reconnecting') {
      throw new OvError('UNKNOWN', `Already ${this.#state}: leave() before joining again`);
    }
    const { signal } = (this.#abort = new AbortController());
    // leave() during a join is the caller's choice, not a failure: join() rejects with JOIN_CANCELLED, and no
    // `error` event or state follows.
    const cancel = () => new OvError('JOIN_CANCELLED', 'leave() was called while joining');
    const check = () => {
      if (signal.aborted) throw cancel();
    };
    this.#session = options.session;
    this.#name = options.name ?? '';
    this.#role = options.role ?? 'publisher';
    this.#screenGrant = undefined;
    this.#participants.clear();
    this.#clips.reset(options.session, options.replay);
    this.#setState('joining');
    try {
      const ov = openVidu(this.#OV);
      checkBrowser(ov, this.#browserSupport, this.#role);
      const token = await this.#token('camera', signal);
      check();
      const session = (this.#ovSession = ov.initSession());
      this.#wireSession(session);
      const me = await connect(session, token, this.#name, 'CONNECT_FAILED');
      check();
      const data = parseConnectionData(me.data);
      this.#participants.addLocal(me.connectionId, data.name || this.#name, data.role ?? this.#role);
      if (this.#role === 'publisher') {
        const opened = (p: OvPublisher) => {
          const tracks = p.stream.getMediaStream()?.getTracks() ?? [];
          // leave() ran while the camera was opening: its tracks were never ours to keep.
          if (signal.aborted) tracks.forEach((t) => t.stop());
          check();
          this.#publisher = p;
          tracks.forEach((t) => this.#localTracks.add(t));
        };
        const publisher = await publishCamera(ov, session, options.audio !== false, options.video !== false, opened);
        check();
        this.#participants.addLocalStream(streamInfo(publisher.stream, 'camera', true, me.connectionId, publisher.stream.getMediaStream()));
      }
      this.#setState('live');
      this.#events.emit('joined', { connectionId: me.connectionId, session: options.session });
      this.#participants.changed();
      void this.#clips.sync(signal);
    } catch (err) {
      if (signal.aborted) throw err instanceof OvError && err.code === 'JOIN_CANCELLED' ? err : cancel();
      const error = toOvError(err, 'CONNECT_FAILED');
      this.#teardown();
      this.#setState('error');
      this.#fail(error);
      throw error;
    }
  }

  /**
   * A token; the camera token's screen grant is kept for the screen token (the server links the two with it), and
   * its access pass for the room's writes.
   */
  async #token(kind: 'camera' | 'screen', signal: AbortSignal): Promise<string> {
    const grant = kind === 'screen' && this.#screenGrant ? { screenGrant: this.#screenGrant } : {};
    const answer = await requestToken(this.#tokenProvider, { session: this.#session!, name: this.#name, role: this.#role, kind, ...grant, signal });
    // A token that arrives after leave() (a provider that ignores the signal) gives the room nothing.
    if (kind === 'camera' && !signal.aborted) ({ screenGrant: this.#screenGrant, access: this.#clips.access } = answer);
    return answer.token;
  }

  async leave(): Promise<void> {
    const joined = this.#state !== 'idle' && this.#state !== 'left';
    this.#teardown();
    if (!joined) return;
    this.#setState('left');
    this.#events.emit('left', { reason: 'leave' });
  }

  /** Cancels what the join started, closes both connections, stops every local track. Safe to call any time, twice. */
  #teardown() {
    this.#abort.abort();
    this.#screen.stop();
    const session = this.#ovSession;
    this.#ovSession = undefined;
    if (session) closeConnection(session, this.#publisher);
    for (const t of [...(this.#publisher?.stream.getMediaStream()?.getTracks() ?? []), ...this.#localTracks]) t.stop();
    this.#publisher = undefined;
    this.#localTracks.clear();
    this.#participants.clear();
    this.#clips.reset();
  }

  #wireSession(session: OvSession) {
    const p = this.#participants;
    wire(session, () => session === this.#ovSession, {
      connectionCreated: (e: { connection: OvConnection }) => p.connectionCreated(e.connection),
      connectionDestroyed: (e: { connection: OvConnection; reason: string }) => p.connectionDestroyed(e.connection, e.reason),
      streamCreated: (e: { stream: OvStream }) => p.subscribe(session, e.stream, this.#abort.signal, (err) => this.#fail(toOvError(err, 'CONNECT_FAILED'))),
      streamDestroyed: (e: { stream: OvStream }) => p.streamDestroyed(e.stream),
      streamPropertyChanged: (e: { stream: OvStream; changedProperty: string; newValue: unknown }) =>
        p.setActive(e.stream.streamId, e.changedProperty, e.newValue),
      publisherStartSpeaking: (e: { connection: OvConnection }) => p.speaking(e.connection.connectionId, true),
      publisherStopSpeaking: (e: { connection: OvConnection }) => p.speaking(e.connection.connectionId, false),
      ...this.#clips.signals(),
      reconnecting: () => this.#state === 'live' && this.#setState('reconnecting'),
      reconnected: () => {
        // Only a room that was reconnecting goes back to live: during `joining`, join() alone decides.
        if (this.#state !== 'reconnecting') return;
        this.#setState('live');
        void this.#clips.sync(this.#abort.signal);
      },
      sessionDisconnected: (e: { reason: string }) => {
        this.#teardown();
        if (e.reason === 'networkDisconnect') {
          this.#setState('error');
          this.#fail(new OvError('NETWORK', 'The connection to the room was lost'));
        } else {
          this.#setState('left');
          this.#events.emit('left', { reason: e.reason });
        }
      },
      exception: (e: { name: string; message: string }) => this.#fail(toOvError(e, 'NETWORK')),
    });
  }

  #requireLive() {
    if (!this.#ovSession || (this.#state !== 'live' && this.#state !== 'reconnecting')) {
      throw new OvError('NOT_CONNECTED', 'Join the room first');
    }
  }

  setAudio(on: boolean): void {
    this.#setDevice('audioActive', on);
  }

  setVideo(on: boolean): void {
    this.#setDevice('videoActive', on);
  }

  #setDevice(what: 'audioActive' | 'videoActive', on: boolean) {
    this.#requireLive();
    const audio = what === 'audioActive';
    if (!this.#publisher) throw new OvError('PERMISSION_DENIED', `A subscriber has no ${audio ? 'microphone' : 'camera'} to toggle`);
    if (audio) this.#publisher.publishAudio(on);
    else this.#publisher.publishVideo(on);
    this.#participants.setActive(this.#publisher.stream.streamId, what, on);
  }

  async startScreenShare(): Promise<void> {
    this.#requireLive();
    if (this.#role !== 'publisher') throw new OvError('PERMISSION_DENIED', 'A subscriber cannot share the screen');
    const info = await this.#screen.start(this.#abort.signal);
    if (!info) return;
    this.#participants.addLocalStream(info);
    this.#events.emit('screenShareStarted', { stream: { ...info } });
    this.#participants.changed();
  }

  async stopScreenShare(): Promise<void> {
    if (!this.#screen.stop()) return;
    this.#participants.dropLocalScreen();
    this.#events.emit('screenShareStopped', {});
    this.#participants.changed();
  }

  async startClip(name?: string): Promise<Clip> {
    this.#requireLive();
    return this.#clips.start(name, this.#abort.signal);
  }

  async stopClip(): Promise<Clip> {
    this.#requireLive();
    return this.#clips.stop(this.#abort.signal);
  }

  /** A clip of the room's last `seconds` (default: all the server gives), cut from its replay buffer. */
  async clipReplay(seconds?: number, name?: string): Promise<Clip> {
    this.#requireLive();
    return this.#clips.replayClip(seconds, name, this.#abort.signal);
  }

  /** The MediaStream a capture source names: `local` (default), `active` (current speaker) or a stream id. */
  streamFor(source: CaptureOptions['source'] = 'local'): StreamInfo | undefined {
    return this.#participants.streamFor(source);
  }

  async captureSnapshot(options: CaptureOptions = {}): Promise<Blob> {
    this.#requireLive();
    const stream = this.streamFor(options.source);
    if (!stream?.mediaStream) throw new OvError('SNAPSHOT_FAILED', `No video to capture for source "${options.source ?? 'local'}"`);
    return captureFrame(stream.mediaStream, { format: options.format, quality: options.quality });
  }
}
