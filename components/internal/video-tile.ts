import { css, html, LitElement, nothing } from 'lit';
import { property, query } from 'lit/decorators.js';
import type { StreamInfo } from '../../src/types.js';
import { componentStyles } from '../styles/component.styles.js';
import { camOffIcon, micOffIcon } from './icons.js';

/**
 * @summary One participant's camera or screen: a `<video>` bound to a MediaStream, the name as text, mic/camera
 * state and a speaking ring. Internal to `<ov-live-room>` (its parts are re-exported there as `tile-*`).
 * @tag ov-video-tile
 * @csspart base - The tile.
 * @csspart video - The `<video>`.
 * @csspart name - The name label.
 * @csspart state - The mic/camera state icons.
 * @csspart placeholder - Shown instead of the video when the camera is off (initial).
 * @cssprop --ov-tile-background - Tile background.
 * @cssprop --ov-speaking-color - Colour of the speaking ring.
 */
export class OvVideoTile extends LitElement {
  static override styles = [
    componentStyles,
    css`
      :host {
        display: block;
        position: relative;
        min-width: 0;
      }
      .tile {
        position: relative;
        aspect-ratio: var(--ov-tile-aspect-ratio, 16 / 9);
        background: var(--ov-tile-background, #1f2937);
        border-radius: var(--_radius);
        overflow: hidden;
        color: #fff;
        outline: 3px solid transparent;
        outline-offset: -3px;
        transition: outline-color 0.15s;
      }
      .speaking {
        outline-color: var(--ov-speaking-color, #22c55e);
      }
      video {
        width: 100%;
        height: 100%;
        object-fit: var(--ov-video-fit, cover);
        display: block;
      }
      .screen video {
        object-fit: contain;
      }
      .placeholder {
        position: absolute;
        inset: 0;
        display: grid;
        place-items: center;
        font-size: 2.2em;
        font-weight: 600;
      }
      .label {
        position: absolute;
        left: 6px;
        bottom: 6px;
        max-width: calc(100% - 12px);
        display: flex;
        align-items: center;
        gap: 4px;
        padding: 2px 8px;
        border-radius: 6px;
        background: rgb(0 0 0 / 0.65);
      }
      .name {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .state {
        display: inline-flex;
      }
      svg {
        width: 16px;
        height: 16px;
      }
    `,
  ];

  @query('video') private video?: HTMLVideoElement;

  /** The stream to show (camera or screen); none for a watch-only participant. */
  @property({ attribute: false }) stream?: StreamInfo;
  /** Display name, rendered as text. */
  @property() name = '';
  /** Shows the speaking ring. */
  @property({ type: Boolean }) speaking = false;
  /** Labels for the state icons and the tile (from the room's strings). */
  @property({ attribute: false }) labels: { micOff?: string; cameraOff?: string; label?: string } = {};

  protected override updated() {
    const v = this.video;
    const ms = this.stream?.mediaStream ?? null;
    if (v && v.srcObject !== ms) {
      v.srcObject = ms;
      if (ms) v.play().catch(() => undefined);
    }
  }

  protected override render() {
    const s = this.stream;
    const screen = s?.kind === 'screen';
    const showVideo = !!s?.hasVideo && (s.videoActive || screen);
    const micOff = !screen && !(s?.hasAudio && s.audioActive);
    const camOff = !screen && !showVideo;
    return html`<div
      part="base"
      class="tile ${this.speaking ? 'speaking' : ''} ${screen ? 'screen' : ''}"
      role="group"
      aria-label=${this.labels.label || this.name}
      data-stream-id=${s?.streamId ?? nothing}
    >
      <video part="video" autoplay playsinline ?hidden=${!showVideo} .muted=${!!s?.isLocal || screen}></video>
      ${showVideo ? nothing : html`<div part="placeholder" class="placeholder" aria-hidden="true">${[...this.name][0]?.toUpperCase() ?? ''}</div>`}
      <div class="label">
        <span part="name" class="name">${this.name}</span>
        <span part="state" class="state">
          ${micOff ? html`<span role="img" aria-label=${this.labels.micOff ?? ''} data-state="mic-off">${micOffIcon}</span>` : nothing}
          ${camOff ? html`<span role="img" aria-label=${this.labels.cameraOff ?? ''} data-state="camera-off">${camOffIcon}</span>` : nothing}
        </span>
      </div>
    </div>`;
  }
}
