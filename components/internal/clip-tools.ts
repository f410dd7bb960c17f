// The clip editing tools: the inline rename, the list's edits (its public methods land here), and the player's
// Download, Copy link, Trim (the editor, ./clip-trim.ts) and Restore original. Loaded with `import()` on first use
// (the player opening, a Rename click, an edit method): in the script-tag build it is a part of its own, with the trim
// editor, so a page that only lists clips never loads it.
import { adoptStyles, css, html, nothing, type LitElement, type ReactiveElement } from 'lit';
import type { Clip, ClipShare } from '../../src/types.js';
import type { ClipFeed } from '../clip-list/clip-feed.js';
import { OvClipRenamedEvent } from '../events/ov-clip-renamed.js';
import { OvClipSharedEvent } from '../events/ov-clip-shared.js';
import { OvClipTrimmedEvent } from '../events/ov-clip-trimmed.js';
import { OvErrorEvent } from '../events/ov-error.js';
import { ClipTrim } from './clip-trim.js';
import { errorDetail, format, type OvStrings } from './core.js';
import { focusPart, renameButton, type OvMediaPlayer } from './media-player.js';

/** The tools' styles, the trim editor's included. */
const styles = css`
  .actions {
    display: flex;
    align-items: center;
    gap: var(--_gap);
    flex-wrap: wrap;
    margin-top: 8px;
  }
  .rename {
    flex: 1 1 200px;
    display: flex;
    gap: 6px;
  }
  input {
    font: inherit;
    flex: 1;
    min-width: 0;
    padding: 6px 8px;
    border: 1px solid var(--_muted);
    border-radius: var(--_radius);
  }
  a {
    padding: 8px 12px;
    border-radius: var(--_radius);
    background: var(--_surface);
    color: inherit;
    text-decoration: none;
  }
  .track {
    position: relative;
    height: 44px;
    margin: 8px 22px;
    touch-action: none;
    background: linear-gradient(var(--_muted), var(--_muted)) 0 50% / 100% 4px no-repeat;
  }
  .range {
    position: absolute;
    top: 16px;
    height: 12px;
    background: var(--_accent);
  }
  [role='slider'] {
    position: absolute;
    width: 44px;
    height: 44px;
    margin-left: -22px;
    cursor: ew-resize;
    background: linear-gradient(var(--_text), var(--_text)) 50% / 8px 36px no-repeat;
  }
`;

/** Adds the tools' styles to an element's own (once: the tools are made once per element). */
export function adopt(host: LitElement) {
  adoptStyles(host.renderRoot as ShadowRoot, [...(host.constructor as typeof LitElement).elementStyles, styles]);
}

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

  /** The name field with Save and Cancel. */
  form(clip: Clip, t: OvStrings) {
    const keep = (e: Event) => e.preventDefault();
    return html`<form
      class="rename"
      @submit=${(e: SubmitEvent) => (keep(e), this.stop(clip, (e.target as HTMLFormElement).querySelector('input')!.value.trim()))}
      @focusout=${(e: FocusEvent) => !(e.currentTarget as Node).contains(e.relatedTarget as Node) && this.stop(clip)}
      @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && (keep(e), e.stopPropagation(), this.stop(clip))}
    >
      <input part="rename-input" maxlength="100" autocomplete="off" aria-label=${t.rename} value=${clip.name} />
      <button part="rename-save" class="primary" @mousedown=${keep}>${t.save}</button>
      <button part="rename-cancel" type="button" @mousedown=${keep} @click=${() => this.stop(clip)}>${t.cancel}</button>
    </form>`;
  }
}

/** What the list's editing code works on: the list's own state, handed over with the list. */
interface ListState extends LitElement {
  clips: Clip[];
  feed?: ClipFeed;
  announcement: string;
  texts: OvStrings;
  applyUpdate(clip: Clip): void;
}

/** The list's edits (its public methods land here) and its inline rename. */
export class ListTools {
  readonly renamer: InlineRename;
  private readonly l: ListState;

  constructor(list: LitElement) {
    adopt(list);
    const l = (this.l = list as ListState);
    this.renamer = new InlineRename(list, (id, name) =>
      this.rename(id, name).catch((err) => {
        l.announcement = l.texts.editFailed;
        l.dispatchEvent(new OvErrorEvent(errorDetail(err, 'CLIP_FAILED')));
      }),
    );
  }

  rename(id: string, name: string) {
    return this.edit(id, (f) => f.rename(id, name), OvClipRenamedEvent, name);
  }

  trim(id: string, start: number, end: number) {
    return this.edit(id, (f) => f.trim(id, start, end), OvClipTrimmedEvent);
  }

  restore(id: string) {
    return this.edit(id, (f) => f.restore(id), OvClipTrimmedEvent);
  }

  async share(id: string, expiresIn: number): Promise<ClipShare> {
    const l = this.l;
    const share = await l.feed!.share(id, expiresIn);
    const clip = l.clips.find((c) => c.id === id);
    if (clip) l.dispatchEvent(new OvClipSharedEvent({ clip, share }));
    return share;
  }

  /** An edit through the feed; with `name`, shown at once and undone if it fails (unless newer news came since). */
  private async edit(id: string, call: (f: ClipFeed) => Promise<Clip>, event: typeof OvClipRenamedEvent, name?: string) {
    const l = this.l;
    const old = l.clips.find((c) => c.id === id);
    const shown = old && name !== undefined ? { ...old, name } : old;
    l.clips = l.clips.map((c) => (c === old ? shown! : c));
    try {
      const clip = await call(l.feed!);
      l.applyUpdate(clip);
      l.dispatchEvent(new event({ clip }));
      return clip;
    } catch (err) {
      l.clips = l.clips.map((c) => (c === shown ? old! : c));
      throw err;
    }
  }
}

/** The player's editing tools: its title's rename, Download, Copy link, Trim (the editor), Restore original. */
export class PlayerTools {
  readonly renamer: InlineRename;
  private editor?: ClipTrim;
  private link?: string;

  constructor(private readonly p: OvMediaPlayer) {
    adopt(p);
    this.renamer = new InlineRename(p, (id, name) => this.run(() => p.actions!.renameClip(id, name)));
  }

  /** Runs an action of the list; a failure is said in the dialog (it is modal) and fired as `ov-error`. */
  private async run<T>(action: () => Promise<T>, failed: keyof OvStrings = 'editFailed'): Promise<T | undefined> {
    const p = this.p;
    p.message = '';
    try {
      return await action();
    } catch (err) {
      p.message = p.texts[failed];
      p.dispatchEvent(new OvErrorEvent(errorDetail(err, 'CLIP_FAILED')));
    }
  }

  /** Leaves the trim editor, if open (Esc). */
  escape(): boolean {
    const open = !!this.editor;
    if (open) this.closeTrim();
    return open;
  }

  reset() {
    this.renamer.id = '';
    this.editor = this.link = undefined;
  }

  private async copyLink(c: Clip) {
    const p = this.p;
    this.link = undefined;
    const share = await this.run(() => p.actions!.shareClip(c.id), 'shareFailed');
    if (!share) return;
    const date = new Intl.DateTimeFormat(p.lang || undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(share.expiresAt);
    try {
      await navigator.clipboard.writeText(share.url);
      p.message = format(p.texts.linkCopied, { date });
    } catch {
      // No clipboard (an http:// page, a refused permission): the link in a field, selected, to copy by hand.
      this.link = share.url;
      p.requestUpdate();
      focusPart(p, '[part~="link"]');
    }
  }

  private closeTrim() {
    this.editor = undefined;
    this.p.requestUpdate();
    focusPart(this.p, '[part~="trim-button"]');
  }

  private async edited(action: () => Promise<Clip>, message: keyof OvStrings) {
    if (!(await this.run(action))) return;
    this.closeTrim();
    this.p.message = this.p.texts[message];
  }

  /** The title's Rename button, or its field. */
  title(c: Clip, name: string) {
    return this.renamer.id ? this.renamer.form(c, this.p.texts) : renameButton(c, name, this.p.texts, () => this.renamer.start(c.id));
  }

  render(c: Clip) {
    const { p, editor: e } = this;
    const t = p.texts;
    const edit = !p.actions!.noEdit;
    // The media as a file: the server names it after the clip (Content-Disposition).
    const file = new URL(p.src);
    file.searchParams.set('download', '1');
    return html`${
      e
        ? e.render(
            t,
            () => this.edited(() => p.actions!.trimClip(c.id, e.start, e.end), 'trimmed'),
            () => this.closeTrim(),
          )
        : html`<div class="actions">
            ${p.actions!.noDownload ? nothing : html`<a part="download" href=${file.href} download>${t.download}</a>`}
            ${p.actions!.noShare ? nothing : html`<button part="copy-link" @click=${() => this.copyLink(c)}>${t.copyLink}</button>`}
            ${edit ? html`<button part="trim-button" @click=${() => this.openTrim(c)}>${t.trim}</button>` : nothing}
            ${
              edit && c.trim
                ? html`<button part="restore-button" @click=${() => this.edited(() => p.actions!.restoreClip(c.id), 'restored')}>${t.restoreOriginal}</button>`
                : nothing
            }
          </div>`
    }
    ${this.link ? html`<label>${t.copyLink} <input part="link" readonly .value=${this.link} /></label>` : nothing}`;
  }

  private openTrim(c: Clip) {
    this.p.video.pause();
    this.editor = new ClipTrim(this.p, this.p.video, c);
    this.p.requestUpdate();
    focusPart(this.p, '[part~="in-handle"]');
  }
}
