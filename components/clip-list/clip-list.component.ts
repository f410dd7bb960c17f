import { html } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { Clip, ClipShare } from '../../src/types.js';
import { OvClipDeletedEvent } from '../events/ov-clip-deleted.js';
import { OvClipSelectEvent } from '../events/ov-clip-select.js';
import { OvErrorEvent } from '../events/ov-error.js';
import type { ListTools } from '../internal/clip-tools.js';
import { applyClipUpdate, errorDetail, withLatestEdit } from '../internal/core.js';
import { focusPart, loadTools, OvMediaPlayer, PLAYER_PARTS } from '../internal/media-player.js';
import { defineTag, OvElement } from '../internal/ov-element.js';
import { componentStyles } from '../styles/component.styles.js';
import { clipUrl, createClipFeed, type ClipFeed } from './clip-feed.js';
import { clipRow, type ClipRowHost } from './clip-row.js';
import { styles } from './clip-list.styles.js';

const ROOM_EVENTS = ['ov-clip-started', 'ov-clip-stopped', 'ov-clip-ready', 'ov-clip-failed', 'ov-clip-updated'] as const;

/**
 * @summary The session's clips, newest first, updated live; a ready clip opens a player dialog.
 * @tag ov-clip-list
 *
 * @fires ov-clip-select - A ready clip was activated (the player opens). detail: `{clip}`
 * @fires ov-clip-deleted - A clip was deleted from this list. detail: `{id}`
 * @fires ov-clip-renamed - A clip was renamed here (its inline rename, the player's title, or `renameClip()`). detail: `{clip}`
 * @fires ov-clip-trimmed - A clip was trimmed here, or restored (then `clip.trim` is absent). detail: `{clip}`
 * @fires ov-clip-shared - A link to a clip's watch page was made here (Copy link, or `shareClip()`). detail: `{clip, share}`
 * @fires ov-error - Loading, deleting or an edit failed (a failed rename shows the old name again). detail: `{code, message, status?}`
 *
 * @csspart base - The list's container.
 * @csspart list - The `<ul>`.
 * @csspart item - A clip's `<li>`.
 * @csspart clip - The clip's button (ready) or box (other statuses).
 * @csspart thumbnail - The thumbnail `<img>` (ready clips).
 * @csspart name - The clip's name.
 * @csspart meta - Duration and time.
 * @csspart status - The status badge (also `status-recording`, `status-processing`, `status-ready`, `status-failed`).
 * @csspart trimmed - The "Trimmed" hint of a trimmed clip.
 * @csspart rename-button - A clip's Rename (pencil) button.
 * @csspart rename-input - The name field of the inline rename (with `rename-save`, `rename-cancel`).
 * @csspart delete-button - The delete button.
 * @csspart confirm - The inline delete confirmation (with `confirm-button`, `cancel-button`).
 * @csspart empty - The empty state.
 * @csspart error - The error state (with `retry-button`).
 * @csspart player - The player `<dialog>` (also `player-title`, `player-video`, `player-close`).
 *
 * The player's editing tools are inside its own shadow root (`ov-media-player`), by these part names: `rename-button`,
 * `rename-input`, `rename-save`, `rename-cancel` (its title); `download` (an `<a download>`), `copy-link`, `link` (the
 * read-only field that shows the link when the clipboard cannot be written), `trim-button`, `restore-button`; the
 * trim editor's `timeline`, its sliders `in-handle` and `out-handle`, `trim-save` and `trim-cancel`.
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
  @state() private playing = '';

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
  /** Hides rename and trim. */
  @property({ type: Boolean, attribute: 'no-edit' }) noEdit = false;
  /** Hides Copy link. */
  @property({ type: Boolean, attribute: 'no-share' }) noShare = false;
  /** Hides Download. */
  @property({ type: Boolean, attribute: 'no-download' }) noDownload = false;
  /** How long the links that Copy link makes work, seconds (the server may cap it). */
  @property({ type: Number, attribute: 'share-expires-in' }) shareExpiresIn = 604800;

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
    this.player.requestUpdate(); // it reads no-edit, no-share and no-download from here
    const key = `${this.apiBase}\n${this.sessionId}`;
    if (key !== this.feedKey && this.isConnected) {
      this.feedKey = key;
      this.refresh();
    }
  }

  /**
   * Creates the clips client for a session; tests override it to inject a fake. Its writes carry the linked room's
   * access pass, when it has one.
   */
  protected createFeed(api: string, session: string): ClipFeed {
    return createClipFeed(api, session, () => this.linkedRoom?.access);
  }

  private get linkedRoom(): (HTMLElement & { session?: string; api?: string; access?: string }) | null {
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
    const clips = old ? this.clips.map((c) => (c === old ? { ...c, ...withLatestEdit(clip, c) } : c)) : [clip, ...this.clips];
    this.clips = clips.sort((a, b) => b.createdAt - a.createdAt);
    if (live && this.status === 'ready' && clip.status === 'ready' && old?.status !== 'ready')
      this.announcement = this.t('clipReadyAnnouncement', { name: clip.name || this.t('clipUntitled') });
  }

  private readonly handleRoomEvent = (e: Event) => {
    const clip = (e as Event & { detail?: { clip?: Clip } }).detail?.clip;
    if (!clip || e.composedPath()[0] !== this.linkedRoom) return;
    if (e.type === 'ov-clip-updated') this.applyUpdate(clip);
    else this.upsert(clip, true);
  };

  /** An edit (ours, or news of anyone's): only for the same clip, and only when newer than the one shown. */
  private applyUpdate(update: Clip) {
    const clips = this.clips.map((c) => applyClipUpdate(c, update) ?? c);
    if (clips.some((c, i) => c !== this.clips[i])) this.clips = clips;
  }

  private async handleOpen(clip: Clip, e: Event) {
    this.emit(new OvClipSelectEvent({ clip }));
    this.playing = clip.id;
    await this.player.show(e.currentTarget as HTMLElement);
  }

  private editor?: ListTools;

  /** The list's editing code (components/internal/clip-tools.ts), loaded on first use. */
  private async edits(): Promise<ListTools> {
    return (this.editor ??= new (await loadTools()).ListTools(this));
  }

  /**
   * Renames a clip: the list shows the new name at once, and the old one again if the server refuses it (the promise
   * rejects with the error).
   */
  renameClip(id: string, name: string): Promise<Clip> {
    return this.edits().then((e) => e.rename(id, name));
  }

  /** Serves only `start`–`end` (seconds of the original recording) of a ready clip; the original is kept. */
  trimClip(id: string, start: number, end: number): Promise<Clip> {
    return this.edits().then((e) => e.trim(id, start, end));
  }

  /** Undoes a trim. */
  restoreClip(id: string): Promise<Clip> {
    return this.edits().then((e) => e.restore(id));
  }

  /** Makes a link to a clip's public watch page, valid `expiresIn` seconds (default `shareExpiresIn`). */
  shareClip(id: string, expiresIn = this.shareExpiresIn): Promise<ClipShare> {
    return this.edits().then((e) => e.share(id, expiresIn));
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

  private askDelete(clip: Clip) {
    this.confirming = clip.id;
    focusPart(this, '[part~="confirm-button"]');
  }

  private cancelDelete(clip: Clip) {
    this.confirming = '';
    focusPart(this, `[data-delete="${CSS.escape(clip.id)}"]`);
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
      this.offs = [
        feed.onClip((c) => this.upsert(c, true)),
        feed.onDeleted((cid) => (this.clips = this.clips.filter((c) => c.id !== cid))),
        feed.onUpdated((c) => this.applyUpdate(c)),
      ];
      const clips = await feed.list();
      if (id !== this.loadId) return;
      this.clips = [...clips].sort((a, b) => b.createdAt - a.createdAt);
      this.status = 'ready';
    } catch (err) {
      if (id !== this.loadId) return;
      this.status = 'error';
      this.errorMessage = this.t('clipsError');
      this.emit(new OvErrorEvent(errorDetail(err, 'NETWORK')));
    }
  }

  private renderClip(clip: Clip) {
    return clipRow.call(this as unknown as ClipRowHost, clip);
  }

  protected override render() {
    const playing = this.clips.find((c) => c.id === this.playing);
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
      <ov-media-player
        exportparts=${PLAYER_PARTS}
        lang=${this.effectiveLang}
        .texts=${this.texts}
        .clip=${playing}
        .actions=${this}
        src=${playing ? clipUrl(playing.mediaUrl, this.apiBase, playing) : ''}
        @close=${() => (this.playing = '')}
      ></ov-media-player>
    </div>`;
  }
}
