import { OvEvent } from './ov-event.js';

export type OvLeftDetail = { reason: string };
/** `ov-left` */
export class OvLeftEvent extends OvEvent<OvLeftDetail> {
  constructor(detail: OvLeftDetail) {
    super('ov-left', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-left': OvLeftEvent;
  }
}
