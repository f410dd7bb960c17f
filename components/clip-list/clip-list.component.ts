import { html, nothing } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { Clip } from '../../src/types.js';
import { OvClipDeletedEvent } from '../events/ov-clip-deleted.js';
import { OvClipSelectEvent } from '../events/ov-clip-select.js';
import { OvErrorEvent } from '../events/ov-error.js';
import { clipStatusLabel, errorDetail } from '../internal/core.js';
import { playIcon } from '../internal/icons.js';
import { OvMediaPlayer } from '../internal/media-player.js';
import { defineTag, OvElement } from '../internal/ov-element.js';
import { componentStyles } from '../styles/component.styles.js';
import { createClipFeed, type ClipFeed } from './clip-feed.js';
import { styles } from './clip-list.styles.js';

const ROOM_EVENTS = ['ov-clip-started', 'ov-clip-stopped', 'ov-clip-ready', 'ov-clip-failed'] as const;
const PLAYER_PARTS = 'dialog:player,title:player-title,video:player-video,close:player-close';

/**
 * @summary The session's clips, newest first, updated live; a ready clip opens a player dialog.
 * @tag ov-clip-list
 *
 * @fires ov-clip-select - A ready clip was activated (the player opens). detail: `{clip}`
 * @fires ov-clip-deleted - A clip was deleted from this list. detail: `{id}`
 * @fires ov-error - Loading or deleting failed. detail: `{code, message, status?}`
 *
 * @csspart base - The list's container.
 * @csspart list - The `<ul>`.
 * @csspart item - A clip's `<li>`.
 * @csspart clip - The clip's button (ready) or box (other statuses).
 * @csspart thumbnail - The thumbnail `<img>` (ready clips).
 * @csspart name - The clip's name.
 * @csspart meta - Duration and time.
 * @csspart status - The status badge (also `status-recording`, `status-processing`, `status-ready`, `status-failed`).
 * @csspart delete-button - The delete button.
 * @csspart confirm - The inline delete confirmation (with `confirm-button`, `cancel-button`).
 * @csspart empty - The empty state.
 * @csspart error - The error state (with `retry-button`).
 * @csspart player - The player `<dialog>` (also `player-title`, `player-video`, `player-close`).
 *
 * @cssprop --ov-thumbnail-width - Thumbnail width (default 96px).
 * @cssprop --ov-status-recording - Badge colour while recording.
 * @cssprop --ov-status-processing - Badge colour while processing.
 * @cssprop --ov-status-ready - Badge colour when ready.
 * @cssprop --ov-status-failed - Badge colour when failed.
 */
export class OvClipList extends OvElement {
  static override styles = [componentStyles, styles];

  /** Registers the element (and its internal player) unless already registered. */
  static override define(tag = 'ov-clip-list') {
    defineTag('ov-media-player', OvMediaPlayer);
    super.define(tag);
  }

  private feed?: ClipFeed;
  private feedKey = '';
  private offs: (() => void)[] = [];
  private loadId = 0;

  @query('ov-media-player') private player!: OvMediaPlayer;
  @state() private clips: Clip[] = [];
  @state() private status: 'loading' | 'ready' | 'error' = 'loading';
  @state() private errorMessage = '';
  @state() private confirming = '';
  @state() private announcement = '';

  /** Session id; defaults to the linked room's. */
  @property() session = '';
  /** Base URL of the host backend; defaults to the linked room's, else `/api`. */
  @property() api = '';
  /**
   * Id of an `<ov-live-room>` whose clip events also update the list: looked up in the list's own root (the document,
   * or the shadow root it is in), then in the document.
   */
  @property() for = '';
  /** Hides the delete buttons. */
  @property({ type: Boolean, attribute: 'no-delete' }) noDelete = false;

  override connectedCallback() {
    super.connectedCallback();
    for (const t of ROOM_EVENTS) document.addEventListener(t, this.handleRoomEvent);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    for (const t of ROOM_EVENTS) document.removeEventListener(t, this.handleRoomEvent);
    this.closeFeed();
  }

  protected override updated() {
    const key = `${this.apiBase}\n${this.sessionId}`;
    if (key !== this.feedKey && this.isConnected) {
      this.feedKey = key;
      this.refresh();
    }
  }

  /** Creates the clips client for a session; tests override it to inject a fake. */
  protected createFeed(api: string, session: string): ClipFeed {
    return createClipFeed(api, session);
  }

  private get linkedRoom(): (HTMLElement & { session?: string; api?: string }) | null {
    return this.byId(this.for);
  }

  private get sessionId() {
    const r = this.linkedRoom;
    return this.session || r?.session || r?.getAttribute('session') || '';
  }

  private get apiBase() {
    const r = this.linkedRoom;
    return this.api || r?.api || r?.getAttribute('api') || '/api';
  }

  private closeFeed() {
    this.offs.forEach((off) => off());
    this.offs = [];
    this.feed?.close();
    this.feed = undefined;
  }

  private upsert(clip: Clip, live: boolean) {
    if (clip.sessionId && this.sessionId && clip.sessionId !== this.sessionId) return;
    const old = this.clips.find((c) => c.id === clip.id);
    const clips = old ? this.clips.map((c) => (c.id === clip.id ? { ...c, ...clip } : c)) : [clip, ...this.clips];
    this.clips = clips.sort((a, b) => b.createdAt - a.createdAt);
    if (live && this.status === 'ready' && clip.status === 'ready' && old?.status !== 'ready')
      this.announcement = this.t('clipReadyAnnouncement', { name: clip.name || this.t('clipUntitled') });
  }

  private readonly handleRoomEvent = (e: Event) => {
    const clip = (e as Event & { detail?: { clip?: Clip } }).detail?.clip;
    if (clip && e.composedPath()[0] === this.linkedRoom) this.upsert(clip, true);
  };

  private mediaUrl(clip: Clip) {
    return new URL(clip.mediaUrl, new URL(this.apiBase, location.href)).href;
  }

  private thumbUrl(clip: Clip) {
    return new URL(clip.thumbnailUrl, new URL(this.apiBase, location.href)).href;
  }

  private handleOpen(clip: Clip, e: Event) {
    this.emit(new OvClipSelectEvent({ clip }));
    this.player.show(this.mediaUrl(clip), clip.name || this.t('clipUntitled'), e.currentTarget as HTMLElement);
  }

  private async handleDelete(clip: Clip) {
    this.confirming = '';
    try {
      await this.feed!.remove(clip.id);
      this.clips = this.clips.filter((c) => c.id !== clip.id);
      this.emit(new OvClipDeletedEvent({ id: clip.id }));
    } catch (err) {
      this.emit(new OvErrorEvent(errorDetail(err, 'NETWORK')));
    }
  }

  private async askDelete(clip: Clip) {
    this.confirming = clip.id;
    await this.updateComplete;
    (this.renderRoot.querySelector('[part~="confirm-button"]') as HTMLElement | null)?.focus();
  }

  private async cancelDelete(clip: Clip) {
    this.confirming = '';
    await this.updateComplete;
    (this.renderRoot.querySelector(`[data-delete="${CSS.escape(clip.id)}"]`) as HTMLElement | null)?.focus();
  }

  /** Reloads the list from the server and reconnects live updates. */
  async refresh(): Promise<void> {
    const id = ++this.loadId;
    this.closeFeed();
    const session = this.sessionId;
    if (!session) {
      this.clips = [];
      this.status = 'ready';
      return;
    }
    this.status = 'loading';
    try {
      const feed = this.createFeed(this.apiBase, session);
      this.feed = feed;
      this.offs = [feed.onClip((c) => this.upsert(c, true)), feed.onDeleted((cid) => (this.clips = this.clips.filter((c) => c.id !== cid)))];
      const clips = await feed.list();
      if (id !== this.loadId) return;
      this.clips = [...clips].sort((a, b) => b.createdAt - a.createdAt);
      this.status = 'ready';
    } catch (err) {
      if (id !== this.loadId) return;
      const d = errorDetail(err, 'NETWORK');
      this.status = 'error';
      this.errorMessage = this.t('clipsError');
      this.emit(new OvErrorEvent(d));
    }
  }

  private renderClip(clip: Clip) {
    const lang = this.effectiveLang;
    const when = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(clip.createdAt);
    const d = Math.round(clip.duration || 0);
    const duration = `${Math.floor(d / 60)}:${String(d % 60).padStart(2, '0')}`;
    const ready = clip.status === 'ready';
    const name = clip.name || this.t('clipUntitled');
    const body = html`${
        ready
          ? html`<span class="thumb"><img part="thumbnail" loading="lazy" alt="" src=${this.thumbUrl(clip)} />${playIcon}</span>`
          : html`<span class="thumb" aria-hidden="true"></span>`
      }
      <span class="text">
        <span part="name" class="name">${name}</span>
        <span part="meta" class="meta">${ready ? html`${duration} · ` : nothing}<time datetime=${new Date(clip.createdAt).toISOString()}>${when}</time></span>
      </span>
      <span part="status status-${clip.status}" class="badge ${clip.status}">${clipStatusLabel(this.texts, clip.status)}</span>`;
    return html`<li part="item" data-id=${clip.id}>
      ${
        ready
          ? html`<button part="clip" class="clip" @click=${(e: Event) => this.handleOpen(clip, e)}>
              <span class="sr-only">${this.t('play')}:</span>${body}
            </button>`
          : html`<div part="clip" class="clip">${body}</div>`
      }
      ${
        this.noDelete || clip.status === 'recording'
          ? nothing
          : this.confirming === clip.id
            ? html`<span part="confirm" class="confirm" role="group" aria-labelledby="q-${clip.id}">
                <span id="q-${clip.id}">${this.t('deleteConfirm', { name })}</span>
                <button part="confirm-button" class="danger" @click=${() => this.handleDelete(clip)}>${this.t('confirm')}</button>
                <button part="cancel-button" @click=${() => this.cancelDelete(clip)}>${this.t('cancel')}</button>
              </span>`
            : html`<button
                part="delete-button"
                class="del"
                data-delete=${clip.id}
                aria-label=${`${this.t('delete')}: ${name}`}
                @click=${() => this.askDelete(clip)}
              >
                ${this.t('delete')}
              </button>`
      }
    </li>`;
  }

  protected override render() {
    let body;
    if (this.status === 'error') {
      body = html`<div part="error" class="state" role="alert">
        <p>${this.errorMessage}</p>
        <button part="retry-button" class="primary" @click=${() => this.refresh()}>${this.t('retry')}</button>
      </div>`;
    } else if (this.status === 'loading') {
      body = html`<div class="state" role="status">
        <div class="spinner" aria-hidden="true"></div>
        <span class="sr-only">${this.t('loading')}</span>
      </div>`;
    } else if (!this.clips.length) {
      body = html`<p part="empty" class="state">${this.t('clipsEmpty')}</p>`;
    } else {
      body = html`<ul part="list" aria-label=${this.t('clipsTitle')}>
        ${repeat(
          this.clips,
          (c) => c.id,
          (c) => this.renderClip(c),
        )}
      </ul>`;
    }
    return html`<div part="base" class="base" aria-busy=${this.status === 'loading' ? 'true' : 'false'}>
      ${body}
      <div class="sr-only" role="status" aria-live="polite">${this.announcement}</div>
      <ov-media-player exportparts=${PLAYER_PARTS} close-label=${this.t('close')}></ov-media-player>
    </div>`;
  }
}
