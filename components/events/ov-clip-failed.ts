import type { Clip } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvClipFailedDetail = { clip: Clip };
/** `ov-clip-failed` */
export class OvClipFailedEvent extends OvEvent<OvClipFailedDetail> {
  constructor(detail: OvClipFailedDetail) {
    super('ov-clip-failed', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-clip-failed': OvClipFailedEvent;
  }
}
