import type { Clip } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvClipRenamedDetail = { clip: Clip };
/** `ov-clip-renamed` */
export class OvClipRenamedEvent extends OvEvent<OvClipRenamedDetail> {
  constructor(detail: OvClipRenamedDetail) {
    super('ov-clip-renamed', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-clip-renamed': OvClipRenamedEvent;
  }
}
