import type { Clip } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvClipSelectDetail = { clip: Clip };
/** `ov-clip-select` */
export class OvClipSelectEvent extends OvEvent<OvClipSelectDetail> {
  constructor(detail: OvClipSelectDetail) {
    super('ov-clip-select', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-clip-select': OvClipSelectEvent;
  }
}
