import type { StreamInfo } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvScreenShareStartedDetail = { stream: StreamInfo };
/** `ov-screen-share-started` */
export class OvScreenShareStartedEvent extends OvEvent<OvScreenShareStartedDetail> {
  constructor(detail: OvScreenShareStartedDetail) {
    super('ov-screen-share-started', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-screen-share-started': OvScreenShareStartedEvent;
  }
}
