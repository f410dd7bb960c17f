import type { Clip } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvClipTrimmedDetail = { clip: Clip };
/** `ov-clip-trimmed` */
export class OvClipTrimmedEvent extends OvEvent<OvClipTrimmedDetail> {
  constructor(detail: OvClipTrimmedDetail) {
    super('ov-clip-trimmed', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-clip-trimmed': OvClipTrimmedEvent;
  }
}
