import { OvEvent } from './ov-event.js';

export type OvClipDeletedDetail = { id: string };
/** `ov-clip-deleted` */
export class OvClipDeletedEvent extends OvEvent<OvClipDeletedDetail> {
  constructor(detail: OvClipDeletedDetail) {
    super('ov-clip-deleted', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-clip-deleted': OvClipDeletedEvent;
  }
}
