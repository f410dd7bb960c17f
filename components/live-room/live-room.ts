import { OvLiveRoom } from './live-room.component.js';

export * from './live-room.component.js';
export default OvLiveRoom;

OvLiveRoom.define('ov-live-room');

declare global {
  interface HTMLElementTagNameMap {
    'ov-live-room': OvLiveRoom;
  }
}
