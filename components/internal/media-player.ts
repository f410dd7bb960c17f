import { adoptStyles, html, LitElement, nothing, type ReactiveElement } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import type { Clip, ClipShare } from '../../src/types.js';
import { OvErrorEvent } from '../events/ov-error.js';
import { playerStyles, renameStyles } from '../clip-list/clip-list.styles.js';
import { componentStyles } from '../styles/component.styles.js';
import { errorDetail, format, resolveStrings, type OvStrings } from './core.js';
import type { ClipTrim } from './clip-trim.js';
import { closeIcon, editIcon } from './icons.js';

/** What the player asks of its list (`<ov-clip-list>` is one). */
export interface ClipActions {
  renameClip(id: string, name: string): Promise<Clip>;
  trimClip(id: string, start: number, end: number): Promise<Clip>;
  restoreClip(id: string): Promise<Clip>;
  shareClip(id: string): Promise<ClipShare>;
}

/** The player's parts, as `<ov-clip-list>` exports them: `player`, `player-title`, `player-video`… */
export const PLAYER_PARTS =
  'dialog:player,' +
  'title video close rename-button rename-input rename-save rename-cancel download copy-link link trim-button restore-button timeline in-handle out-handle trim-save trim-cancel'
    .split(' ')
    .map((p) => `${p}:player-${p}`)
    .join();

/**
 * The inline rename of a clip (per clip in the list, the title in the player): Enter or Save saves, Esc or Cancel
 * cancels, and so does focus leaving it: a name is seen by everyone at once, so only an explicit save publishes it.
 * Save and Cancel keep the focus on a click (mousedown), so that clicking them is not a blur first.
 */
export class InlineRename {
  /** The clip being renamed, or ''. */
  id = '';

  constructor(
    private readonly host: ReactiveElement,
    private readonly save: (id: string, name: string) => void,
  ) {}

  start(id: string) {
    this.id = id;
    this.host.requestUpdate();
    focusPart(this.host, '[part~="rename-input"]');
  }

  /** Leaves the rename (saving `name` when given and changed); focus goes back to the clip's Rename button. */
  stop(clip: Clip, name?: string) {
    if (this.id !== clip.id) return;
    this.id = '';
    this.host.requestUpdate();
    if (name && name !== clip.name) this.save(clip.id, name);
    focusPart(this.host, `[data-rename="${CSS.escape(clip.id)}"]`);
  }

  /** The Rename (pencil) button. */
  button(clip: Clip, name: string, t: OvStrings) {
    return html`<button part="rename-button" data-rename=${clip.id} aria-label="${t.rename}: ${name}" @click=${() => this.start(clip.id)}>${editIcon}</button>`;
  }

  /** The name field with Save and Cancel. */
  form(clip: Clip, t: OvStrings) {
    const done = (el: EventTarget | null) => this.stop(clip, (el as Element).closest('.rename')!.querySelector('input')!.value.trim());
    const keep = (e: Event) => e.preventDefault();
    return html`<span
      class="rename"
      role="group"
      aria-label=${t.rename}
      @focusout=${(e: FocusEvent) => !(e.currentTarget as Node).contains(e.relatedTarget as Node) && this.stop(clip)}
      @keydown=${(e: KeyboardEvent) => {
        if (e.key === 'Escape' || (e.key === 'Enter' && (e.target as Element).localName === 'input')) {
          e.preventDefault();
          e.stopPropagation();
          if (e.key === 'Escape') this.stop(clip);
          else done(e.target);
        }
      }}
    >
      <input part="rename-input" maxlength="100" autocomplete="off" aria-label=${t.clipName} value=${clip.name} />
      <button part="rename-save" class="primary" @mousedown=${keep} @click=${(e: Event) => done(e.currentTarget)}>${t.save}</button>
      <button part="rename-cancel" @mousedown=${keep} @click=${() => this.stop(clip)}>${t.cancel}</button>
    </span>`;
  }
}

/**
 * @summary The clip player: a modal `<dialog>` with a `<video controls>`, the clip's name (editable), Download, Copy
 * link, Trim and Restore original. Focus stays inside, Esc closes (or leaves the rename or the trim editor first),
 * focus returns to the opener. Internal to `<ov-clip-list>` (its parts are re-exported there as `player-*`).
 * @tag ov-media-player
 * @cssprop --ov-player-width - Width of the dialog (default `min(960px, 96vw)`).
 */
export class OvMediaPlayer extends LitElement {
  static override styles = [componentStyles, renameStyles, playerStyles];

  private opener?: HTMLElement | null;
  private readonly renamer = new InlineRename(this, (id, name) => this.run(() => this.actions!.renameClip(id, name)));

  @query('dialog') private dialog!: HTMLDialogElement;
  @query('video') private video!: HTMLVideoElement;
  @state() private trim?: ClipTrim;
  @state() private message = '';
  @state() private link?: { url: string; label: string };

  /** The clip shown (kept current by the list). */
  @property({ attribute: false }) clip?: Clip;
  /** Media URL. */
  @property() src = '';
  /** Download URL; empty hides Download. */
  @property() download = '';
  @property({ attribute: false }) texts: OvStrings = resolveStrings();
  @property({ attribute: false }) actions?: ClipActions;
  /** Hides rename, Trim and Restore original. */
  @property({ type: Boolean, attribute: 'no-edit' }) noEdit = false;
  /** Hides Copy link. */
  @property({ type: Boolean, attribute: 'no-share' }) noShare = false;

  /** Whether the dialog is open. */
  get open(): boolean {
    return !!this.dialog?.open;
  }

  /** Opens the player on `src`; focus returns to `opener` (default: the focused element) on close. */
  async show(opener?: HTMLElement | null) {
    this.opener = opener ?? deepActiveElement(document);
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
    await focusPart(this, '[part~="close"]');
    this.video.play().catch(() => undefined);
  }

  /** Closes the player and stops the media. */
  close() {
    if (this.dialog?.open) this.dialog.close();
  }

  private handleClose() {
    this.video.pause();
    this.renamer.id = this.message = '';
    this.trim = this.link = undefined;
    const o = this.opener;
    this.opener = undefined;
    o?.focus();
    this.dispatchEvent(new Event('close'));
  }

  /** Runs an action of the list; a failure is said here (the dialog is modal) and fired as `ov-error`. */
  private async run<T>(action: () => Promise<T>, failed: keyof OvStrings = 'editFailed'): Promise<T | undefined> {
    this.message = '';
    try {
      return await action();
    } catch (err) {
      this.message = this.texts[failed];
      this.dispatchEvent(new OvErrorEvent(errorDetail(err, 'CLIP_FAILED')));
    }
  }

  private async copyLink() {
    this.link = undefined;
    const share = await this.run(() => this.actions!.shareClip(this.clip!.id), 'shareFailed');
    if (!share) return;
    const date = new Intl.DateTimeFormat(this.lang || undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(share.expiresAt);
    try {
      await navigator.clipboard.writeText(share.url);
      this.message = format(this.texts.linkCopied, { date });
    } catch {
      // No clipboard (an http:// page, a refused permission): the link in a field, selected, to copy by hand.
      this.link = { url: share.url, label: format(this.texts.shareLink, { date }) };
      focusPart(this, '[part~="link"]');
    }
  }

  private async openTrim() {
    const m = await this.run(() => import('./clip-trim.js'));
    if (!m) return;
    adoptStyles(this.renderRoot as ShadowRoot, [...OvMediaPlayer.elementStyles, m.trimStyles]);
    this.video.pause();
    this.trim = new m.ClipTrim(this, this.video, this.clip!);
    focusPart(this, '[part~="in-handle"]');
  }

  private closeTrim() {
    this.trim = undefined;
    focusPart(this, '[part~="trim-button"]');
  }

  private async edited(action: () => Promise<Clip>, message: keyof OvStrings) {
    if (!(await this.run(action))) return;
    this.closeTrim();
    this.message = this.texts[message];
  }

  /** Keeps Tab / Shift+Tab inside the dialog (the native modal lets focus escape to the browser UI); Esc leaves the trim editor first. */
  private handleKeydown(e: KeyboardEvent) {
    if (e.key === 'Escape' && this.trim) {
      e.preventDefault();
      this.closeTrim();
    }
    if (e.key !== 'Tab') return;
    const items = [...this.renderRoot.querySelectorAll<HTMLElement>('button,a[href],input,video,[tabindex]')].filter((el) => el.getClientRects().length);
    const i = items.indexOf(this.shadowRoot!.activeElement as HTMLElement);
    const next = e.shiftKey ? (i <= 0 ? items.length - 1 : i - 1) : i === -1 || i === items.length - 1 ? 0 : i + 1;
    e.preventDefault();
    items[next].focus();
  }

  protected override render() {
    const t = this.texts;
    const c = this.clip;
    const name = c?.name || t.clipUntitled;
    const edit = !this.noEdit && c;
    const id = c?.id ?? '';
    return html`<dialog part="dialog" aria-labelledby="t" @close=${this.handleClose} @keydown=${this.handleKeydown}>
      <header>
        <h2 id="t" part="title" ?hidden=${!!this.renamer.id}>${name}</h2>
        ${edit ? (this.renamer.id ? this.renamer.form(c, t) : this.renamer.button(c, name, t)) : nothing}
        <button part="close" aria-label=${t.close} @click=${this.close}>${closeIcon}</button>
      </header>
      <video part="video" controls playsinline preload="metadata" tabindex="0" src=${this.src || nothing} aria-label=${name}></video>
      ${
        this.trim
          ? this.trim.render(
              t,
              () => this.edited(() => this.actions!.trimClip(id, this.trim!.start, this.trim!.end), 'trimmed'),
              () => this.closeTrim(),
            )
          : html`<div class="actions">
              ${this.download ? html`<a part="download" href=${this.download} download>${t.download}</a>` : nothing}
              ${this.noShare ? nothing : html`<button part="copy-link" @click=${this.copyLink}>${t.copyLink}</button>`}
              ${edit ? html`<button part="trim-button" @click=${this.openTrim}>${t.trim}</button>` : nothing}
              ${
                edit && c.trim
                  ? html`<button part="restore-button" @click=${() => this.edited(() => this.actions!.restoreClip(id), 'restored')}>
                      ${t.restoreOriginal}
                    </button>`
                  : nothing
              }
            </div>`
      }
      ${this.link ? html`<label>${this.link.label} <input part="link" readonly .value=${this.link.url} /></label>` : nothing}
      <p class="sr-only" role="status">${this.message}</p>
    </dialog>`;
  }
}

/** Focuses (and selects, in a field) the first element matching `selector` in `host`, once it has rendered. */
export async function focusPart(host: ReactiveElement, selector: string) {
  await host.updateComplete;
  const el = host.renderRoot.querySelector<HTMLInputElement>(selector);
  el?.focus();
  el?.select?.();
}

function deepActiveElement(root: DocumentOrShadowRoot): HTMLElement | null {
  let a = root.activeElement;
  while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
  return a as HTMLElement | null;
}
