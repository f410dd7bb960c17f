import { OvEvent } from './ov-event.js';

export type OvScreenShareStoppedDetail = Record<string, never>;
/** `ov-screen-share-stopped` */
export class OvScreenShareStoppedEvent extends OvEvent<OvScreenShareStoppedDetail> {
  constructor(detail: OvScreenShareStoppedDetail) {
    super('ov-screen-share-stopped', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-screen-share-stopped': OvScreenShareStoppedEvent;
  }
}
