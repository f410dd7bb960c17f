import type { Snapshot } from '../../src/types.js';
import { OvEvent } from './ov-event.js';

export type OvSnapshotDetail = { blob: Blob; snapshot?: Snapshot };
/** `ov-snapshot` */
export class OvSnapshotEvent extends OvEvent<OvSnapshotDetail> {
  constructor(detail: OvSnapshotDetail) {
    super('ov-snapshot', detail);
  }
}
declare global {
  interface GlobalEventHandlersEventMap {
    'ov-snapshot': OvSnapshotEvent;
  }
}
