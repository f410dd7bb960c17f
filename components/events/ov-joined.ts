import { OvEvent } from './ov-event.js';

export type OvJoinedDetail = { connectionId: string; session: string };
/** `ov-joined` */
export class OvJoinedEvent extends OvEvent<OvJoinedDetail> {
  constructor(detail: OvJoinedDetail) {
    super('ov-joined', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-joined': OvJoinedEvent;
  }
}
