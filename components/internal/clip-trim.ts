// The trim editor of the player's tools (./clip-tools.ts), loaded with them.
import { html, type ReactiveElement } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import type { Clip } from '../../src/types.js';
import type { OvStrings } from './core.js';

/** The shortest cut the server accepts, seconds. */
const MIN = 0.5;
const STEPS: Record<string, number> = { ArrowRight: 0.1, ArrowUp: 0.1, ArrowLeft: -0.1, ArrowDown: -0.1, PageUp: 1, PageDown: -1 };
type Handle = 'start' | 'end';
/** To the millisecond, inward: without float noise (0.6 - 0.5 is 0.09999999999999998), never past the bound. */
const up = (s: number) => Math.ceil(s * 1000 - 1e-6) / 1000;
const down = (s: number) => Math.floor(s * 1000 + 1e-6) / 1000;

/** m:ss.d (tenths: a keyboard step is 0.1 s, and each step must read differently). */
export function clock(s: number): string {
  const r = Math.round(s * 10) / 10;
  const m = Math.floor(r / 60);
  return `${m}:${(r - m * 60).toFixed(1).padStart(4, '0')}`;
}

/**
 * In and out handles on a timeline of the clip's ORIGINAL recording (mouse, touch, keyboard), in the player. The
 * preview is the player's video, which plays the media as the server serves it: the current cut when the clip is
 * trimmed, starting at `trim.start` of the original. So a handle at `t` seeks the video to `t - trim.start`; beyond
 * the current cut the video shows its first or last frame, and Save still sends times of the original.
 */
export class ClipTrim {
  /** In and out points, seconds of the original. */
  start: number;
  end: number;
  private readonly offset: number;
  private drag?: { k: Handle; d: number };

  constructor(
    private readonly host: ReactiveElement,
    private readonly video: HTMLVideoElement,
    clip: Clip,
    /** The original recording's length, seconds. */
    private readonly duration = (clip.originalDuration ?? clip.duration) || video.duration || 0,
  ) {
    this.offset = this.start = clip.trim?.start ?? 0;
    this.end = clip.trim?.end ?? duration;
  }

  /** Where a handle may go: the in point at least MIN before the out point, both inside the recording. */
  private range(k: Handle): [number, number] {
    return k === 'start' ? [0, down(Math.max(0, this.end - MIN))] : [up(Math.min(this.duration, this.start + MIN)), this.duration];
  }

  private set(k: Handle, v: number) {
    const [lo, hi] = this.range(k);
    this[k] = Math.min(hi, Math.max(lo, Math.round(v * 10) / 10));
    this.video.currentTime = this[k] - this.offset;
    this.host.requestUpdate();
  }

  private key(k: Handle, e: KeyboardEvent) {
    const [lo, hi] = this.range(k);
    const v = e.key === 'Home' ? lo : e.key === 'End' ? hi : this[k] + STEPS[e.key];
    if (Number.isNaN(v)) return;
    e.preventDefault();
    this.set(k, v);
  }

  /** The time under the pointer. */
  private at(e: PointerEvent) {
    const r = (e.currentTarget as Element).getBoundingClientRect();
    return ((e.clientX - r.left) / r.width) * this.duration;
  }

  /** A handle follows the pointer from where it was grabbed; a press on the track brings the nearest handle there. */
  private down(e: PointerEvent) {
    const track = e.currentTarget as HTMLElement;
    const t = this.at(e);
    const grabbed = (e.target as HTMLElement).dataset.k as Handle | undefined;
    const k = grabbed ?? (Math.abs(t - this.start) <= Math.abs(t - this.end) ? 'start' : 'end');
    e.preventDefault();
    track.setPointerCapture(e.pointerId);
    this.drag = { k, d: grabbed ? t - this[k] : 0 };
    (track.querySelector(`[data-k=${k}]`) as HTMLElement).focus();
    this.set(k, t - this.drag.d);
  }

  private handle(k: Handle, label: string) {
    const [lo, hi] = this.range(k);
    return html`<div
      part="${k === 'start' ? 'in' : 'out'}-handle"
      role="slider"
      tabindex="0"
      data-k=${k}
      aria-label=${label}
      aria-valuemin=${lo}
      aria-valuemax=${hi}
      aria-valuenow=${this[k]}
      aria-valuetext=${clock(this[k])}
      style=${styleMap({ left: `${(this[k] / this.duration) * 100}%` })}
      @keydown=${(e: KeyboardEvent) => this.key(k, e)}
    ></div>`;
  }

  render(t: OvStrings, save: () => void, cancel: () => void) {
    const pc = (s: number) => `${(s / this.duration) * 100}%`;
    const end = () => (this.drag = undefined);
    return html`<div role="group" aria-label=${t.trim}>
      <div
        part="timeline"
        class="track"
        @pointerdown=${(e: PointerEvent) => this.down(e)}
        @pointermove=${(e: PointerEvent) => this.drag && this.set(this.drag.k, this.at(e) - this.drag.d)}
        @pointerup=${end}
        @pointercancel=${end}
      >
        <div class="range" style=${styleMap({ left: pc(this.start), width: pc(this.end - this.start) })}></div>
        ${this.handle('start', t.inPoint)}${this.handle('end', t.outPoint)}
      </div>
      <div class="actions">
        <span aria-hidden="true">${clock(this.start)} – ${clock(this.end)}</span>
        <button part="trim-save" class="primary" @click=${save}>${t.save}</button>
        <button part="trim-cancel" @click=${cancel}>${t.cancel}</button>
      </div>
    </div>`;
  }
}
