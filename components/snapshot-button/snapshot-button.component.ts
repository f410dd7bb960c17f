import { css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { CaptureOptions, Snapshot, SnapshotFormat } from '../../src/types.js';
import { OvErrorEvent } from '../events/ov-error.js';
import { OvSnapshotEvent } from '../events/ov-snapshot.js';
import { errorDetail, upload, type UploadRequest } from '../internal/core.js';
import { cameraShotIcon } from '../internal/icons.js';
import { OvElement } from '../internal/ov-element.js';
import { componentStyles } from '../styles/component.styles.js';

/** What the button needs from a room: `<ov-live-room>` is one. */
export interface SnapshotSource {
  captureSnapshot(options?: CaptureOptions): Promise<Blob>;
  session?: string;
  api?: string;
  /** The room's access pass, sent with the upload. */
  access?: string;
}

/**
 * @summary Captures the current frame of a room's video at its native resolution, uploads it and confirms.
 * @tag ov-snapshot-button
 *
 * @slot - The button's label (default: the `snapshot` string).
 *
 * @fires ov-snapshot - A frame was captured (and uploaded unless `no-upload`). detail: `{blob, snapshot?}`
 * @fires ov-error - Capture or upload failed; the button stays usable. detail: `{code, message, status?}`
 *
 * @csspart button - The native button.
 * @csspart confirmation - The short "Saved" confirmation.
 *
 * @cssprop --ov-color-accent - Button background.
 * @cssprop --ov-color-on-accent - Button text.
 */
export class OvSnapshotButton extends OvElement {
  static override styles = [
    componentStyles,
    css`
      :host {
        display: inline-flex;
        align-items: center;
        gap: var(--_gap);
      }
      .ok {
        color: var(--_muted);
      }
    `,
  ];

  private savedTimer?: ReturnType<typeof setTimeout>;

  @state() private phase: 'idle' | 'saving' | 'saved' = 'idle';

  /** The room to capture from; wins over `for` and the nearest ancestor `<ov-live-room>`. */
  @property({ attribute: false }) room?: SnapshotSource;
  /** Id of the `<ov-live-room>` to capture from; default: the nearest ancestor room. */
  @property() for = '';
  /** Base URL of the host backend; default: the room's, else `/api`. */
  @property() api = '';
  /** Session to upload to; default: the room's. */
  @property() session = '';
  /** `local` (default), `active` (current speaker) or a stream id. */
  @property() source = 'local';
  /** `image/jpeg` (default), `image/png` or `image/webp`. */
  @property() format: SnapshotFormat = 'image/jpeg';
  /** 0–1 for JPEG/WebP. */
  @property({ type: Number }) quality?: number;
  /** Capture only: no upload (`ov-snapshot` carries the blob alone). */
  @property({ type: Boolean, attribute: 'no-upload' }) noUpload = false;

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this.savedTimer);
  }

  /** Uploads a captured frame; tests override it to inject a fake. */
  protected upload(request: UploadRequest): Promise<Snapshot> {
    return upload(request);
  }

  private findRoom(): SnapshotSource | undefined {
    if (this.room) return this.room;
    return (this.byId(this.for) ?? this.closest('ov-live-room') ?? undefined) as SnapshotSource | undefined;
  }

  private async handleClick() {
    if (this.phase === 'saving') return;
    clearTimeout(this.savedTimer);
    this.phase = 'saving';
    try {
      const room = this.findRoom();
      if (!room?.captureSnapshot) throw Object.assign(new Error('No <ov-live-room> to capture from.'), { name: 'OvNoRoom' });
      const blob = await room.captureSnapshot({ source: this.source, format: this.format, quality: this.quality });
      let snapshot: Snapshot | undefined;
      if (!this.noUpload) {
        const streamId = this.source !== 'local' && this.source !== 'active' ? this.source : undefined;
        snapshot = await this.upload({
          api: this.api || room.api || '/api',
          session: this.session || room.session || '',
          blob,
          streamId,
          access: room.access,
        });
      }
      this.phase = 'saved';
      this.emit(new OvSnapshotEvent({ blob, snapshot }));
      this.savedTimer = setTimeout(() => (this.phase = 'idle'), 2000);
    } catch (err) {
      this.phase = 'idle';
      this.emit(new OvErrorEvent(errorDetail(err, 'SNAPSHOT_FAILED')));
    }
  }

  protected override render() {
    const saving = this.phase === 'saving';
    return html`<button
        part="button"
        class="primary"
        aria-busy=${saving ? 'true' : 'false'}
        aria-disabled=${saving ? 'true' : 'false'}
        @click=${this.handleClick}
      >
        ${saving ? html`<span class="spinner" style="width:16px;height:16px;border-width:2px" aria-hidden="true"></span>` : cameraShotIcon}
        <slot>${this.t('snapshot')}</slot>
      </button>
      <span part="confirmation" class="ok" role="status" aria-live="polite">${this.phase === 'saved' ? this.t('snapshotSaved') : nothing}</span>`;
  }
}
