import { html, LitElement, nothing, type ReactiveElement } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import type { Clip, ClipShare } from '../../src/types.js';
import { OvErrorEvent } from '../events/ov-error.js';
import { playerStyles } from '../clip-list/clip-list.styles.js';
import { componentStyles } from '../styles/component.styles.js';
import type { PlayerTools } from './clip-tools.js';
import { errorDetail, resolveStrings, type OvStrings } from './core.js';
import { closeIcon, editIcon } from './icons.js';

/** What the player asks of its list (`<ov-clip-list>` is one): its edits, and which of them it shows. */
export interface ClipActions {
  readonly noEdit: boolean;
  readonly noShare: boolean;
  readonly noDownload: boolean;
  renameClip(id: string, name: string): Promise<Clip>;
  trimClip(id: string, start: number, end: number): Promise<Clip>;
  restoreClip(id: string): Promise<Clip>;
  shareClip(id: string): Promise<ClipShare>;
}

/** The player's parts that `<ov-clip-list>` exports (its editing tools' are found inside it, by their own names). */
export const PLAYER_PARTS = 'dialog:player,title:player-title,video:player-video,close:player-close';

let tools: Promise<typeof import('./clip-tools.js')> | undefined;

/** The clip editing tools' code (components/internal/clip-tools.ts), loaded once (a failed load is tried again). */
export function loadTools() {
  return (tools ??= import('./clip-tools.js').catch((err) => {
    tools = undefined;
    throw err;
  }));
}

/** A clip's Rename (pencil) button. */
export function renameButton(clip: Clip, name: string, t: OvStrings, start: () => void) {
  return html`<button part="rename-button" data-rename=${clip.id} aria-label="${t.rename}: ${name}" @click=${start}>${editIcon}</button>`;
}

/** Focuses (and selects, in a field) the first element matching `selector` in `host`, once it has rendered. */
export async function focusPart(host: ReactiveElement, selector: string) {
  await host.updateComplete;
  const el = host.renderRoot.querySelector<HTMLInputElement>(selector);
  el?.focus();
  el?.select?.();
}

/**
 * @summary The clip player: a modal `<dialog>` with a `<video controls>`, and once the editing tools have loaded
 * (components/internal/clip-tools.ts, asked for when it opens), the clip's name editable, Download, Copy link, Trim and
 * Restore original. Focus stays inside, Esc closes (or leaves the rename or the trim editor first), focus returns
 * to the opener. Internal to `<ov-clip-list>` (its parts are re-exported there as `player-*`).
 * @tag ov-media-player
 * @cssprop --ov-player-width - Width of the dialog (default `min(960px, 96vw)`).
 */
export class OvMediaPlayer extends LitElement {
  static override styles = [componentStyles, playerStyles];

  private opener?: HTMLElement | null;

  @query('dialog') private dialog!: HTMLDialogElement;
  @query('video') video!: HTMLVideoElement;
  @state() private tools?: PlayerTools;
  /** Said in the dialog's live region. */
  @state() message = '';

  /** The clip shown (kept current by the list). */
  @property({ attribute: false }) clip?: Clip;
  /** Media URL. */
  @property() src = '';
  @property({ attribute: false }) texts: OvStrings = resolveStrings();
  @property({ attribute: false }) actions?: ClipActions;

  /** Whether the dialog is open. */
  get open(): boolean {
    return !!this.dialog?.open;
  }

  /** Opens the player on `src`; focus returns to `opener` on close. */
  async show(opener: HTMLElement) {
    this.opener = opener;
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
    await focusPart(this, '[part~="close"]');
    this.video.play().catch(() => undefined);
    // The title, the video and Close work at once; the editing tools join them when their code is there.
    this.tools ??= await loadTools().then(
      (m) => new m.PlayerTools(this),
      (err) => void this.dispatchEvent(new OvErrorEvent(errorDetail(err, 'NETWORK'))),
    );
  }

  /** Closes the player and stops the media. */
  close() {
    this.dialog?.close(); // a closed dialog ignores it
  }

  private handleClose() {
    this.video.pause();
    this.tools?.reset();
    this.message = '';
    const o = this.opener;
    this.opener = undefined;
    o?.focus();
    this.dispatchEvent(new Event('close'));
  }

  /** Keeps Tab / Shift+Tab inside the dialog (the native modal lets focus escape to the browser UI); Esc leaves the trim editor first. */
  private handleKeydown(e: KeyboardEvent) {
    if (e.key === 'Escape' && this.tools?.escape()) e.preventDefault();
    if (e.key !== 'Tab') return;
    const items = [...this.renderRoot.querySelectorAll<HTMLElement>('button,a[href],input,video,[tabindex]')].filter((el) => el.getClientRects().length);
    const i = items.indexOf(this.shadowRoot!.activeElement as HTMLElement);
    e.preventDefault();
    // the one before (from the first, or from outside: the last), or after (from the last, or from outside: the first)
    items[e.shiftKey ? (i > 0 ? i : items.length) - 1 : (i + 1) % items.length].focus();
  }

  protected override render() {
    const t = this.texts;
    const c = this.clip;
    const name = c?.name || t.clipUntitled;
    const tools = c && this.tools;
    return html`<dialog part="dialog" aria-labelledby="t" @close=${this.handleClose} @keydown=${this.handleKeydown}>
      <header>
        <h2 id="t" part="title" ?hidden=${!!this.tools?.renamer.id}>${name}</h2>
        ${tools && !this.actions!.noEdit ? tools.title(c, name) : nothing}
        <button part="close" aria-label=${t.close} @click=${this.close}>${closeIcon}</button>
      </header>
      <video part="video" controls playsinline preload="metadata" tabindex="0" src=${this.src || nothing} aria-label=${name}></video>
      ${tools ? tools.render(c) : nothing}
      <p class="sr-only" role="status">${this.message}</p>
    </dialog>`;
  }
}
