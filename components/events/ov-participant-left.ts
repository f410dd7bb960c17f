import type { ParticipantInfo } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvParticipantLeftDetail = { participant: ParticipantInfo; reason: string };
/** `ov-participant-left` */
export class OvParticipantLeftEvent extends OvEvent<OvParticipantLeftDetail> {
  constructor(detail: OvParticipantLeftDetail) {
    super('ov-participant-left', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-participant-left': OvParticipantLeftEvent;
  }
}
