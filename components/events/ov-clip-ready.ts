import type { Clip } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvClipReadyDetail = { clip: Clip };
/** `ov-clip-ready` */
export class OvClipReadyEvent extends OvEvent<OvClipReadyDetail> {
  constructor(detail: OvClipReadyDetail) {
    super('ov-clip-ready', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-clip-ready': OvClipReadyEvent;
  }
}
