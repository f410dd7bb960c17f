import type { ParticipantInfo } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvParticipantJoinedDetail = { participant: ParticipantInfo };
/** `ov-participant-joined` */
export class OvParticipantJoinedEvent extends OvEvent<OvParticipantJoinedDetail> {
  constructor(detail: OvParticipantJoinedDetail) {
    super('ov-participant-joined', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-participant-joined': OvParticipantJoinedEvent;
  }
}
