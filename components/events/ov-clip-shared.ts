import type { Clip, ClipShare } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvClipSharedDetail = { clip: Clip; share: ClipShare };
/** `ov-clip-shared` */
export class OvClipSharedEvent extends OvEvent<OvClipSharedDetail> {
  constructor(detail: OvClipSharedDetail) {
    super('ov-clip-shared', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-clip-shared': OvClipSharedEvent;
  }
}
