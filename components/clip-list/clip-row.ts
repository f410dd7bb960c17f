// A clip's row in <ov-clip-list>: its summary (thumbnail, name, duration and time, status), the inline rename once
// the editing tools are there, the Rename button and the delete button with its inline confirmation.
import { html, nothing, type LitElement } from 'lit';
import type { Clip } from '../../src/types.js';
import { OvErrorEvent } from '../events/ov-error.js';
import type { ListTools } from '../internal/clip-tools.js';
import { clipStatusLabel, errorDetail, type OvStrings } from '../internal/core.js';
import { playIcon } from '../internal/icons.js';
import { renameButton } from '../internal/media-player.js';
import { clipUrl } from './clip-feed.js';

/** What a row reads from its list (`this` of `clipRow`): the list's own state and handlers, private to it. */
export interface ClipRowHost extends LitElement {
  readonly effectiveLang: string;
  readonly texts: OvStrings;
  readonly apiBase: string;
  readonly editor?: ListTools;
  readonly confirming: string;
  readonly noEdit: boolean;
  readonly noDelete: boolean;
  t(key: keyof OvStrings, vars?: Record<string, string | number>): string;
  emit(event: Event): boolean;
  edits(): Promise<ListTools>;
  handleOpen(clip: Clip, e: Event): void;
  handleDelete(clip: Clip): void;
  askDelete(clip: Clip): void;
  cancelDelete(clip: Clip): void;
}

/** A clip's `<li>`. */
export function clipRow(this: ClipRowHost, clip: Clip) {
  const when = new Intl.DateTimeFormat(this.effectiveLang, { dateStyle: 'medium', timeStyle: 'short' }).format(clip.createdAt);
  const d = Math.round(clip.duration || 0);
  const duration = `${Math.floor(d / 60)}:${String(d % 60).padStart(2, '0')}`;
  const ready = clip.status === 'ready';
  const name = clip.name || this.t('clipUntitled');
  const thumb = ready
    ? html`<span class="thumb"><img part="thumbnail" loading="lazy" alt="" src=${clipUrl(clip.thumbnailUrl, this.apiBase, clip)} />${playIcon}</span>`
    : html`<span class="thumb" aria-hidden="true"></span>`;
  const body = html`${thumb}
    <span class="text">
      <span part="name" class="name">${name}</span>
      <span part="meta" class="meta"
        >${ready ? html`${duration} · ` : nothing}${clip.trim ? html`<span part="trimmed">${this.t('trimmed')}</span> · ` : nothing}<time
          datetime=${new Date(clip.createdAt).toISOString()}
          >${when}</time
        ></span
      >
    </span>
    <span part="status status-${clip.status}" class="badge ${clip.status}">${clipStatusLabel(this.texts, clip.status)}</span>`;
  const renaming = this.editor?.renamer.id === clip.id;
  return html`<li part="item" data-id=${clip.id}>
    ${
      renaming
        ? html`<div part="clip" class="clip">${thumb}${this.editor!.renamer.form(clip, this.texts)}</div>`
        : ready
          ? html`<button part="clip" class="clip" @click=${(e: Event) => this.handleOpen(clip, e)}>
              <span class="sr-only">${this.t('play')}:</span>${body}
            </button>`
          : html`<div part="clip" class="clip">${body}</div>`
    }
    ${
      this.noEdit || renaming
        ? nothing
        : renameButton(clip, name, this.texts, () =>
            this.edits().then(
              (e) => e.renamer.start(clip.id),
              (err) => this.emit(new OvErrorEvent(errorDetail(err, 'NETWORK'))),
            ),
          )
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
          : html`<button part="delete-button" class="del" data-delete=${clip.id} aria-label="${this.t('delete')}: ${name}" @click=${() => this.askDelete(clip)}>
              ${this.t('delete')}
            </button>`
    }
  </li>`;
}
