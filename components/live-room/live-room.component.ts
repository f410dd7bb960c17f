import { html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { LiveRoomApi, LiveRoomOptions } from '../../src/room/room-api.js';
import type { CaptureOptions, Clip, OvErrorCode, ParticipantInfo, Role, RoomState, StreamInfo, TokenProvider } from '../../src/types.js';
import { OvErrorEvent, type OvErrorDetail } from '../events/ov-error.js';
import { OvStateChangeEvent } from '../events/ov-state-change.js';
import {
  canShareScreen,
  endpointTokenProvider,
  errorDetail,
  errorMessage,
  functionTokenProvider,
  literalTokenProvider,
  createLiveRoom,
  preloadLiveRoom,
  ovError,
  toOvError,
  watchingCount,
} from '../internal/core.js';
import { camIcon, camOffIcon, leaveIcon, micIcon, micOffIcon, recIcon, screenIcon } from '../internal/icons.js';
import { defineTag, formatClock, OvElement } from '../internal/ov-element.js';
import { OvVideoTile } from '../internal/video-tile.js';
import { componentStyles } from '../styles/component.styles.js';
import { styles } from './live-room.styles.js';
import { RoomController, type RoomEvent } from './room-controller.js';

const SESSION_RE = /^[A-Za-z0-9_-]{1,64}$/;
const watches = (p: ParticipantInfo) => p.role === 'subscriber' && !p.streams.length;
const TILE_PARTS = 'base:tile,video:tile-video,name:tile-name,state:tile-state,placeholder:tile-placeholder';

/**
 * @summary A live video room on OpenVidu 2: pre-join, live grid, toolbar (mic, camera, screen share, clip, replay clip,
 * leave), recording and replay indicators, reconnecting overlay and error state with retry.
 * @tag ov-live-room
 *
 * @fires ov-joined - This participant joined. detail: `{connectionId, session}`
 * @fires ov-left - This participant left (`leave()`, removal, or the server ended the connection). A lost network
 *   is not a leave: `state` becomes `error` and `ov-error` fires with code `NETWORK`. detail: `{reason}`
 * @fires ov-participant-joined - Someone else joined. detail: `{participant}`
 * @fires ov-participant-left - Someone else left. detail: `{participant, reason}`
 * @fires ov-state-change - `state` changed. detail: `{state, previous}`
 * @fires ov-clip-started - A clip started recording (by anyone in the session). detail: `{clip}`
 * @fires ov-clip-stopped - A clip stopped. detail: `{clip}`
 * @fires ov-clip-ready - A clip is playable. detail: `{clip}`
 * @fires ov-clip-failed - A clip failed. detail: `{clip}`
 * @fires ov-clip-updated - A clip was renamed, trimmed or restored (by anyone in the session; `clip.trim` absent after
 *   a restore). Apply it only to the same clip (id and `createdAt`) and only when its `updatedAt` is newer. detail: `{clip}`
 * @fires ov-replay-changed - The room's replay buffer changed (`off`, `starting`, `on`; `null` once unknown, e.g. after
 *   leaving), as the server tells everyone in the room. detail: `{replay}` (`{sessionId, state, seconds, held}` or null)
 * @fires ov-screen-share-started - This participant's screen share started. detail: `{stream}`
 * @fires ov-screen-share-stopped - It stopped. detail: `{}`
 * @fires ov-error - Something failed. detail: `{code, message, status?}`
 *
 * @csspart base - The whole room.
 * @csspart pre-join - The pre-join panel.
 * @csspart join-button - The Join button.
 * @csspart name - The name shown before joining.
 * @csspart status - The joining / left panel.
 * @csspart spinner - The joining spinner.
 * @csspart watching - "3 watching": how many watch only (no camera or microphone; this participant included). They
 *   get no tile; hide the count with `ov-live-room::part(watching) { display: none }` if the host shows them otherwise.
 * @csspart grid - The grid of tiles.
 * @csspart tile - A participant's tile (also `tile-video`, `tile-name`, `tile-state`, `tile-placeholder`).
 * @csspart toolbar - The toolbar.
 * @csspart control - Every toolbar button (also `mic-button`, `camera-button`, `screen-button`, `clip-button`,
 *   `replay-button`, `leave-button`).
 * @csspart recording-indicator - The "Recording mm:ss" badge everyone sees while a clip records.
 * @csspart replay-indicator - "Replay on: the last 30 s can be clipped", which everyone sees while the room's replay
 *   buffer is on.
 * @csspart replay-button - "Clip last 30 s", beside the clip button while the buffer is on (hidden with `no-clips`).
 * @csspart clip-clock - The elapsed time beside the clip button while this participant's clip records.
 * @csspart reconnecting - The reconnecting overlay.
 * @csspart error - The error panel.
 * @csspart error-title - Its heading.
 * @csspart error-message - Its message.
 * @csspart retry-button - Its Retry button.
 *
 * @cssprop --ov-color-background - Page-level background of the room (default white).
 * @cssprop --ov-color-surface - Buttons and panels.
 * @cssprop --ov-color-text - Text colour.
 * @cssprop --ov-color-text-muted - Secondary text.
 * @cssprop --ov-color-accent - Primary buttons and pressed toggles.
 * @cssprop --ov-color-on-accent - Text on the accent colour.
 * @cssprop --ov-color-danger - Leave button and recording indicator.
 * @cssprop --ov-color-on-danger - Text on the danger colour.
 * @cssprop --ov-focus-ring - Focus ring (a box-shadow).
 * @cssprop --ov-radius - Corner radius.
 * @cssprop --ov-gap - Gap between tiles and controls.
 * @cssprop --ov-font-family - Font.
 * @cssprop --ov-tile-min-width - Minimum tile width in the auto-fit grid (default 240px).
 * @cssprop --ov-tile-aspect-ratio - Tile aspect ratio (default 16 / 9).
 * @cssprop --ov-tile-background - Tile background when there is no video.
 * @cssprop --ov-speaking-color - Speaking ring colour.
 */
export class OvLiveRoom extends OvElement {
  static override styles = [componentStyles, styles];

  /** Registers the element (and its internal tile) unless already registered. */
  static override define(tag = 'ov-live-room') {
    defineTag('ov-video-tile', OvVideoTile);
    super.define(tag);
  }

  /** The LiveRoom, the one source of truth for state, participants, recording and screen share. */
  private readonly rc = new RoomController(this, (e, room) => this.handleRoomEvent(e, room));
  private joinInFlight?: LiveRoomApi;
  /** The state last announced with `ov-state-change`. */
  private announced: RoomState = 'idle';
  private tokenUsed = false;

  /** Why the element is in its error state: a failed join, a lost connection, or input refused before any room. */
  @state() private error?: OvErrorDetail;
  @state() private busy = false;

  /** Session id (`[A-Za-z0-9_-]{1,64}`); required unless `token` is given. */
  @property({ reflect: true }) session = '';
  /** Base URL of the host backend. */
  @property() api = '/api';
  /**
   * Token URL, POSTed `{name, role}` → `{token, screenGrant?, access?}`; default `${api}/sessions/${session}/token`.
   * A screen share POSTs `{screenGrant}` (when the camera token came with one) for its second connection. Used as
   * given, query string included.
   */
  @property({ attribute: 'token-endpoint' }) tokenEndpoint = '';
  /** A literal OpenVidu token (single use: no automatic re-join). */
  @property() token = '';
  /** Full control over how a token is obtained; wins over `token` and `token-endpoint`. */
  @property({ attribute: false }) tokenProvider?: TokenProvider;
  /**
   * Display name, sent with the token request: others see the name the server puts in the connection's server
   * data (shown on tiles as text), never one a client sets itself.
   */
  @property() name = '';
  /** `publisher` (default) or `subscriber` (watch only). */
  @property({ attribute: 'participant-role' }) participantRole: Role | '' = '';
  /**
   * @deprecated Use `participant-role`: `role` is also the ARIA attribute, and `role="subscriber"` is not a valid
   * ARIA role. Still read when `participant-role` is not set.
   */
  @property() override role: Role = 'publisher';

  /** The role this participant joins with: `participant-role`, else the deprecated `role`. */
  private get joinRole(): Role {
    return (this.participantRole || this.role) === 'subscriber' ? 'subscriber' : 'publisher';
  }
  /** Join with the microphone off. */
  @property({ type: Boolean, attribute: 'no-audio' }) noAudio = false;
  /** Join with the camera off. */
  @property({ type: Boolean, attribute: 'no-video' }) noVideo = false;
  /** Join as soon as the element is connected. */
  @property({ type: Boolean }) autojoin = false;
  /** Screen-share control: `auto` (where the browser can), `on`, `off`. */
  @property({ attribute: 'screen-share' }) screenShare: 'auto' | 'on' | 'off' = 'auto';
  /** Hides the clip controls (Record and the replay clip). */
  @property({ type: Boolean, attribute: 'no-clips' }) noClips = false;
  /**
   * Asks the server for a replay buffer once joined (`POST …/replay`): everyone in the room then sees the replay
   * indicator, and can clip the last seconds. Without it the room still shows a buffer someone else started. A
   * server that has replay off is no error (a console hint).
   */
  @property({ type: Boolean }) replay = false;

  /** `idle`, `joining`, `live`, `reconnecting`, `left` or `error`. */
  get state(): RoomState {
    return this.error ? 'error' : this.rc.state;
  }

  /** How many participants watch only (role `subscriber`, no stream; this one included): the `watching` part. */
  get watching(): number {
    return this.rc.watching;
  }

  /**
   * The access pass the room's token came with (a server that trusts a backend gives one), while joined: the room
   * sends it on its writes, and a linked `<ov-clip-list for>` or `<ov-snapshot-button>` on theirs.
   */
  get access(): string | undefined {
    return this.rc.room?.access;
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>) {
    if (changed.has('token')) this.tokenUsed = false;
  }

  protected override updated(changed: Map<PropertyKey, unknown>) {
    // `autojoin` set as a property after the element is in the page (frameworks such as React do this).
    if (changed.has('autojoin') && this.autojoin && this.state === 'idle') this.join().catch(() => undefined);
  }

  override connectedCallback() {
    super.connectedCallback();
    // LiveRoom and openvidu-browser start loading now, in the background: the pre-join screen does not wait for them.
    preloadLiveRoom();
    // A moved room is still in its call (see RoomController): autojoin joins only a room that is not.
    if (this.autojoin && !this.isActive()) this.join().catch(() => undefined);
  }

  /** Creates the LiveRoom (the core's room controller); tests override it to inject a fake. */
  protected createRoom(options: LiveRoomOptions): LiveRoomApi {
    return createLiveRoom(options);
  }

  private isActive() {
    return !this.error && this.rc.active;
  }

  /** Fires `ov-state-change` when `state` differs from the last one announced. */
  private announce() {
    const previous = this.announced;
    const state = (this.announced = this.state);
    if (state !== previous) this.emit(new OvStateChangeEvent({ state, previous }));
  }

  private fail(detail: OvErrorDetail, enterErrorState: boolean) {
    if (enterErrorState) {
      this.error = detail;
      this.announce();
    }
    this.emit(new OvErrorEvent(detail));
  }

  private tokenSource(): TokenProvider {
    if (this.tokenProvider) return functionTokenProvider(this.tokenProvider);
    if (this.token) return literalTokenProvider(this.token);
    const url = this.tokenEndpoint || `${this.api.replace(/\/$/, '')}/sessions/${encodeURIComponent(this.session)}/token`;
    return endpointTokenProvider(url);
  }

  private handleRoomEvent(e: RoomEvent, room: LiveRoomApi) {
    if (e.name === 'stateChange') this.announce();
    // A failing join() rejects with the same error: join() reports it, once.
    else if (e.name === 'error' && this.joinInFlight !== room) this.fail(errorDetail(e.detail.error), room.state === 'error');
  }

  /** The room for a verb; whether the verb is allowed now is the room's to say. */
  private need(): LiveRoomApi {
    if (!this.rc.room) throw ovError('NOT_CONNECTED', 'Join the room first.');
    return this.rc.room;
  }

  /** Runs a verb: failures fire `ov-error` and reject. */
  private async run<T>(fn: () => Promise<T> | T, fallback: OvErrorCode): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const e = toOvError(err, fallback);
      this.fail(errorDetail(e), false);
      throw e;
    }
  }

  private readonly handleJoin = () => void this.join().catch(() => undefined);
  private readonly handleLeave = () => void this.leave().catch(() => undefined);
  private readonly handleMic = () => void this.setAudio(!this.localCamera()?.audioActive).catch(() => undefined);
  private readonly handleCamera = () => void this.setVideo(!this.localCamera()?.videoActive).catch(() => undefined);
  /** Runs a toolbar action, its buttons disabled meanwhile; failures are reported through ov-error. */
  private async busyWhile(action: () => Promise<unknown>) {
    this.busy = true;
    try {
      await action();
    } catch {
      // reported through ov-error
    } finally {
      this.busy = false;
    }
  }
  private readonly handleScreen = () => this.busyWhile(() => (this.rc.screenSharing ? this.stopScreenShare() : this.startScreenShare()));
  private readonly handleClip = () => this.busyWhile(() => (this.rc.recording.active ? this.stopClip() : this.startClip(this.clipName())));
  private readonly handleReplay = () => this.busyWhile(() => this.clipReplay());

  /** A clip from the toolbar is named after who recorded it (the list shows when). */
  private clipName() {
    return this.name ? this.t('clipBy', { name: this.name }) : undefined;
  }

  /**
   * Joins the session (token from `.tokenProvider` > `token` > `token-endpoint` > `${api}/sessions/${session}/token`).
   * Failures show the error state, fire `ov-error` and reject with the error.
   */
  async join(): Promise<void> {
    if (this.isActive()) return;
    let invalid;
    if (this.token && !this.tokenProvider && this.tokenUsed) {
      invalid = ovError('TOKEN_FAILED', 'The literal token was already used: set a new one to join again.');
    } else if (!(this.token && !this.session) && !SESSION_RE.test(this.session)) {
      invalid = ovError('INVALID_SESSION', `Invalid session id "${this.session}": use 1–64 letters, digits, _ or -.`);
    }
    if (invalid) {
      this.fail(errorDetail(invalid), true);
      throw invalid;
    }
    const room = this.createRoom({ tokenProvider: this.tokenSource(), api: this.api });
    const old = this.rc.room;
    this.rc.attach(room);
    old?.leave().catch(() => undefined);
    this.error = undefined;
    if (this.token && !this.tokenProvider) this.tokenUsed = true;
    this.joinInFlight = room;
    try {
      const joined = room.join({
        session: this.session,
        name: this.name,
        role: this.joinRole,
        audio: !this.noAudio,
        video: !this.noVideo,
        replay: this.replay,
      });
      this.announce();
      await joined;
    } catch (err) {
      const e = toOvError(err, 'CONNECT_FAILED');
      // Left or removed while joining: the caller learns it from the rejection; it is no error to show.
      if (e.code === 'JOIN_CANCELLED') throw e;
      if (this.rc.room !== room) return;
      this.fail(errorDetail(e), true);
      throw e;
    } finally {
      if (this.joinInFlight === room) this.joinInFlight = undefined;
      this.announce();
    }
  }

  /** Leaves the session and stops every track. Safe to call twice. */
  async leave(): Promise<void> {
    const room = this.rc.room;
    if (!room) return;
    this.error = undefined;
    await room.leave();
    this.announce();
  }

  /** Turns the microphone on or off. */
  async setAudio(on: boolean): Promise<void> {
    return this.run(() => this.need().setAudio(on), 'UNKNOWN');
  }

  /** Turns the camera on or off. */
  async setVideo(on: boolean): Promise<void> {
    return this.run(() => this.need().setVideo(on), 'UNKNOWN');
  }

  /** Shares the screen as a second stream (others see camera and screen). */
  startScreenShare(): Promise<void> {
    return this.run(() => this.need().startScreenShare(), 'SCREEN_SHARE_FAILED');
  }

  /** Stops sharing the screen. */
  stopScreenShare(): Promise<void> {
    return this.run(() => this.need().stopScreenShare(), 'SCREEN_SHARE_FAILED');
  }

  /** Starts recording a clip of the session. */
  startClip(name?: string): Promise<Clip> {
    return this.run(() => this.need().startClip(name), 'CLIP_FAILED');
  }

  /** Stops the clip being recorded. */
  stopClip(): Promise<Clip> {
    return this.run(() => this.need().stopClip(), 'CLIP_FAILED');
  }

  /**
   * Clips the room's last `seconds` (default: all the server gives; what the buffer holds, if less), named as a clip
   * from the toolbar. Fails with `REPLAY_OFF` unless the replay buffer is on, `REPLAY_EMPTY` when it holds nothing yet.
   */
  clipReplay(seconds?: number): Promise<Clip> {
    return this.run(() => this.need().clipReplay(seconds, this.clipName()), 'CLIP_FAILED');
  }

  /** Captures a frame (`source`: `local`, `active` or a stream id) at the video's native resolution. */
  captureSnapshot(options?: CaptureOptions): Promise<Blob> {
    return this.run(() => this.need().captureSnapshot(options), 'SNAPSHOT_FAILED');
  }

  private localCamera() {
    return this.rc.participants.find((p) => p.isLocal)?.streams.find((s) => s.kind === 'camera');
  }

  private canScreen() {
    return this.screenShare === 'on' || (this.screenShare !== 'off' && canShareScreen());
  }

  private renderTiles() {
    // A tile per stream; a publisher without one still gets its tile, watchers are counted.
    const tiles = this.rc.participants.flatMap((p): { p: ParticipantInfo; s?: StreamInfo; key: string }[] =>
      p.streams.length ? p.streams.map((s) => ({ p, s, key: s.streamId })) : watches(p) ? [] : [{ p, key: p.id }],
    );
    const watching = this.watching;
    return html`${watching ? html`<p part="watching" class="watching">${watchingCount(this.texts, watching)}</p>` : nothing}
      <div part="grid" class="grid" data-count=${tiles.length}>
        ${repeat(
          tiles,
          (x) => x.key,
          ({ p, s }) => {
            const name = p.isLocal ? `${p.name} (${this.t('you')})` : p.name;
            return html`<ov-video-tile
              exportparts=${TILE_PARTS}
              .stream=${s}
              .name=${name}
              .speaking=${p.speaking && s?.kind !== 'screen'}
              .labels=${{
                micOff: this.t('micOff'),
                cameraOff: this.t('cameraOff'),
                label: s?.kind === 'screen' ? this.t('screenOf', { name }) : name,
              }}
            ></ov-video-tile>`;
          },
        )}
      </div>`;
  }

  /** A toolbar toggle: its state in aria-pressed, what a click does in its title. */
  private toggle(name: string, label: string, title: string, on: boolean | undefined, click: () => void, icon: unknown, busy = false) {
    return html`<button
      part="control ${name}-button"
      aria-label=${label}
      title=${title}
      aria-pressed=${on ? 'true' : 'false'}
      ?disabled=${busy}
      @click=${click}
    >
      ${icon}
    </button>`;
  }

  private renderToolbar() {
    const cam = this.localCamera();
    const { active: rec, startedAt } = this.rc.recording;
    const elapsed = formatClock(Date.now() - (startedAt ?? Date.now()));
    const sharing = this.rc.screenSharing;
    const replay = this.rc.replay;
    return html`<div part="toolbar" class="toolbar" role="toolbar">
      ${
        this.joinRole !== 'subscriber'
          ? html`${this.toggle('mic', this.t('microphone'), this.t(cam?.audioActive ? 'muteMic' : 'unmuteMic'), cam?.audioActive, this.handleMic, cam?.audioActive ? micIcon : micOffIcon)}
            ${this.toggle('camera', this.t('camera'), this.t(cam?.videoActive ? 'muteCamera' : 'unmuteCamera'), cam?.videoActive, this.handleCamera, cam?.videoActive ? camIcon : camOffIcon)}
            ${this.canScreen() ? this.toggle('screen', this.t('shareScreen'), this.t(sharing ? 'stopSharing' : 'shareScreen'), sharing, this.handleScreen, screenIcon, this.busy) : nothing}`
          : nothing
      }
      ${
        this.noClips
          ? nothing
          : html`${this.toggle('clip', this.t('recordClip'), rec ? `${this.t('stopClip')} ${elapsed}` : this.t('startClip'), rec, this.handleClip, recIcon, this.busy)}
            ${rec ? html`<span part="clip-clock" class="clock" aria-hidden="true">${elapsed}</span>` : nothing}
            ${
              replay?.state === 'on'
                ? html`<button part="control replay-button" ?disabled=${this.busy} @click=${this.handleReplay}>${this.t('replayClip', { ...replay })}</button>`
                : nothing
            }`
      }
      <button part="control leave-button" class="danger" aria-label=${this.t('leave')} title=${this.t('leave')} @click=${this.handleLeave}>${leaveIcon}</button>
    </div>`;
  }

  private renderBody() {
    const s = this.state;
    if (s === 'error') {
      const code = String(this.error?.code ?? 'UNKNOWN');
      return html`<div part="error" class="panel" role="alert">
        <p part="error-title" class="title">${this.t('errorTitle')}</p>
        <p part="error-message">${errorMessage(this.texts, code as OvErrorCode)}</p>
        <p class="code">${code}</p>
        <button part="retry-button" class="primary" @click=${this.handleJoin}>${this.t('retry')}</button>
      </div>`;
    }
    if (s === 'idle' || s === 'left') {
      return html`<div part="pre-join" class="panel">
        ${s === 'left' ? html`<p>${this.t('leftTitle')}</p>` : nothing}
        ${this.name ? html`<p class="who">${this.t('nameLabel')}: <strong part="name">${this.name}</strong></p>` : nothing}
        <button part="join-button" class="primary" @click=${this.handleJoin}>${this.t(s === 'left' ? 'rejoin' : 'join')}</button>
      </div>`;
    }
    if (s === 'joining') {
      return html`<div part="status" class="panel" role="status">
        <div part="spinner" class="spinner" aria-hidden="true"></div>
        <p>${this.t('joining')}</p>
      </div>`;
    }
    const { active: rec, startedAt } = this.rc.recording;
    const replay = this.rc.replay;
    return html`${
      replay?.state === 'on'
        ? html`<div part="replay-indicator" class="rec rep" role="status">${recIcon}<span>${this.t('replayOn', { ...replay })}</span></div>`
        : nothing
    }
    ${
      rec
        ? html`<div part="recording-indicator" class="rec" role="status">
            ${recIcon}<span>${this.t('recordingElapsed', { elapsed: formatClock(Date.now() - (startedAt ?? Date.now())) })}</span>
          </div>`
        : nothing
    }
    ${this.renderTiles()}
    ${
      s === 'reconnecting'
        ? html`<div part="reconnecting" class="overlay" role="status">
            <div class="spinner" aria-hidden="true"></div>
            <p>${this.t('reconnecting')}</p>
          </div>`
        : nothing
    }
    ${this.renderToolbar()}`;
  }

  protected override render() {
    const s = this.state;
    return html`<div part="base" class="room" data-state=${s} aria-busy=${s === 'joining' || s === 'reconnecting' ? 'true' : 'false'}>
      ${this.renderBody()}
    </div>`;
  }
}
