import { LitElement } from 'lit';
import { property } from 'lit/decorators.js';
import { format, pickLang, resolveStrings, type OvStrings } from './core.js';

/** Base of the `ov-*` elements: guarded registration, event helper, language and string overrides. */
export class OvElement extends LitElement {
  /**
   * Registers the class under `tag` unless the tag is already taken (the script may be loaded twice on a page):
   * never throws.
   */
  static define(tag: string) {
    defineTag(tag, this);
  }

  private tableKey?: string;
  private tableStrings?: Partial<OvStrings>;
  private table?: OvStrings;

  /** Language of the UI (`en`, `ko`); defaults to the nearest `lang` attribute, then the browser's. */
  @property() override lang = '';
  /** Overrides of UI strings, by key (see the string keys in the docs). */
  @property({ attribute: false }) strings?: Partial<OvStrings>;

  /** The language in effect. */
  protected get effectiveLang(): string {
    const own = this.lang || (this.parentElement?.closest('[lang]') as HTMLElement | null)?.lang;
    return pickLang(own, document.documentElement.lang || navigator.language);
  }

  /** The string table in effect (language + overrides). */
  protected get texts(): OvStrings {
    const lang = this.effectiveLang;
    if (!this.table || this.tableKey !== lang || this.tableStrings !== this.strings) {
      this.table = resolveStrings(lang, this.strings);
      this.tableKey = lang;
      this.tableStrings = this.strings;
    }
    return this.table;
  }

  /** A UI string with `{placeholder}`s filled. */
  protected t(key: keyof OvStrings, vars?: Record<string, string | number>): string {
    const s = this.texts[key];
    return vars ? format(s, vars) : s;
  }

  /** The element with this id in this element's own root (the document or a shadow root), else in the document. */
  protected byId(id: string): HTMLElement | null {
    return id ? ((this.getRootNode() as Document).getElementById?.(id) ?? document.getElementById(id)) : null;
  }

  /** Dispatches an `ov-*` event (they bubble and are composed). */
  protected emit(event: Event): boolean {
    return this.dispatchEvent(event);
  }
}

/** mm:ss (minutes not capped at 59). */
export function formatClock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** `customElements.define` that never throws: a taken tag (or a class registered under another tag) is left alone. */
export function defineTag(tag: string, cls: CustomElementConstructor) {
  if (customElements.get(tag)) return;
  try {
    customElements.define(tag, cls);
  } catch {
    // the class is already registered under another tag
  }
}
