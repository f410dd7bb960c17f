import type { Replay } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvReplayChangedDetail = { replay: Replay | null };
/** `ov-replay-changed` */
export class OvReplayChangedEvent extends OvEvent<OvReplayChangedDetail> {
  constructor(detail: OvReplayChangedDetail) {
    super('ov-replay-changed', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-replay-changed': OvReplayChangedEvent;
  }
}
