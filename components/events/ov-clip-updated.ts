import type { Clip } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvClipUpdatedDetail = { clip: Clip };
/** `ov-clip-updated`: a clip was renamed, trimmed or restored (`clip.trim` absent after a restore). */
export class OvClipUpdatedEvent extends OvEvent<OvClipUpdatedDetail> {
  constructor(detail: OvClipUpdatedDetail) {
    super('ov-clip-updated', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-clip-updated': OvClipUpdatedEvent;
  }
}
