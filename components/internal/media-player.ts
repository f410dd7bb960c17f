import { css, html, LitElement, nothing } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { componentStyles } from '../styles/component.styles.js';
import { closeIcon } from './icons.js';

/**
 * @summary A modal `<dialog>` with a `<video controls>`: focus stays inside, Esc closes, focus returns to the opener.
 * Internal to `<ov-clip-list>` (its parts are re-exported there as `player-*`).
 * @tag ov-media-player
 * @csspart dialog - The `<dialog>`.
 * @csspart title - The heading.
 * @csspart video - The `<video>`.
 * @csspart close - The close button.
 * @cssprop --ov-player-width - Width of the dialog (default `min(960px, 96vw)`).
 */
export class OvMediaPlayer extends LitElement {
  static override styles = [
    componentStyles,
    css`
      dialog {
        width: var(--ov-player-width, min(960px, 96vw));
        max-width: 96vw;
        padding: 12px;
        border: none;
        border-radius: var(--_radius);
        background: var(--_bg);
        color: var(--_text);
      }
      dialog::backdrop {
        background: rgb(0 0 0 / 0.6);
      }
      header {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: var(--_gap);
        margin-bottom: 8px;
      }
      h2 {
        margin: 0;
        font-size: 1.1em;
        overflow-wrap: anywhere;
      }
      video {
        width: 100%;
        max-height: 75vh;
        background: #000;
        display: block;
      }
    `,
  ];

  private opener?: HTMLElement | null;

  @query('dialog') private dialog!: HTMLDialogElement;
  @query('video') private video!: HTMLVideoElement;
  @state() private src = '';
  @state() private heading = '';

  /** Accessible name of the close button. */
  @property({ attribute: 'close-label' }) closeLabel = 'Close';

  /** Whether the dialog is open. */
  get open(): boolean {
    return !!this.dialog?.open;
  }

  /** Opens the player on `src`; focus returns to `opener` (default: the focused element) on close. */
  async show(src: string, heading: string, opener?: HTMLElement | null) {
    this.opener = opener ?? deepActiveElement();
    this.src = src;
    this.heading = heading;
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
    (this.renderRoot.querySelector('.close') as HTMLElement).focus();
    this.video.play().catch(() => undefined);
  }

  /** Closes the player and stops the media. */
  close() {
    if (this.dialog?.open) this.dialog.close();
  }

  private handleClose() {
    this.video.pause();
    this.src = '';
    const o = this.opener;
    this.opener = undefined;
    o?.focus();
    this.dispatchEvent(new Event('close'));
  }

  /** Keeps Tab / Shift+Tab inside the dialog (the native modal lets focus escape to the browser UI). */
  private handleKeydown(e: KeyboardEvent) {
    if (e.key !== 'Tab') return;
    const items = [this.renderRoot.querySelector('.close'), this.video] as HTMLElement[];
    const active = this.shadowRoot!.activeElement;
    const i = items.indexOf(active as HTMLElement);
    const next = e.shiftKey ? (i <= 0 ? items.length - 1 : i - 1) : i === -1 || i === items.length - 1 ? 0 : i + 1;
    e.preventDefault();
    items[next].focus();
  }

  protected override render() {
    return html`<dialog part="dialog" aria-labelledby="t" @close=${this.handleClose} @keydown=${this.handleKeydown}>
      <header>
        <h2 id="t" part="title">${this.heading}</h2>
        <button part="close" class="close" aria-label=${this.closeLabel} @click=${this.close}>${closeIcon}</button>
      </header>
      <video part="video" controls playsinline preload="metadata" tabindex="0" src=${this.src || nothing} aria-label=${this.heading}></video>
    </dialog>`;
  }
}

function deepActiveElement(): HTMLElement | null {
  let a = document.activeElement;
  while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
  return a as HTMLElement | null;
}
