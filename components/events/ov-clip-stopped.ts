import type { Clip } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvClipStoppedDetail = { clip: Clip };
/** `ov-clip-stopped` */
export class OvClipStoppedEvent extends OvEvent<OvClipStoppedDetail> {
  constructor(detail: OvClipStoppedDetail) {
    super('ov-clip-stopped', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-clip-stopped': OvClipStoppedEvent;
  }
}
