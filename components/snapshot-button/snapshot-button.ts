import { OvSnapshotButton } from './snapshot-button.component.js';

export * from './snapshot-button.component.js';
export default OvSnapshotButton;

OvSnapshotButton.define('ov-snapshot-button');

declare global {
  interface HTMLElementTagNameMap {
    'ov-snapshot-button': OvSnapshotButton;
  }
}
