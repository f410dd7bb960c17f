import type { RoomState } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvStateChangeDetail = { state: RoomState; previous: RoomState };
/** `ov-state-change` */
export class OvStateChangeEvent extends OvEvent<OvStateChangeDetail> {
  constructor(detail: OvStateChangeDetail) {
    super('ov-state-change', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-state-change': OvStateChangeEvent;
  }
}
