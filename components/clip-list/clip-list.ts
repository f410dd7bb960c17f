import { OvClipList } from './clip-list.component.js';

export * from './clip-list.component.js';
export default OvClipList;

OvClipList.define('ov-clip-list');

declare global {
  interface HTMLElementTagNameMap {
    'ov-clip-list': OvClipList;
  }
}
