import type { Clip } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvClipStartedDetail = { clip: Clip };
/** `ov-clip-started` */
export class OvClipStartedEvent extends OvEvent<OvClipStartedDetail> {
  constructor(detail: OvClipStartedDetail) {
    super('ov-clip-started', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-clip-started': OvClipStartedEvent;
  }
}
