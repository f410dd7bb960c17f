import type { OvErrorCode } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvErrorDetail = { code: OvErrorCode | string; message: string; status?: number };
/** `ov-error` */
export class OvErrorEvent extends OvEvent<OvErrorDetail> {
  constructor(detail: OvErrorDetail) {
    super('ov-error', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-error': OvErrorEvent;
  }
}
