// Defines every tag (guarded: loading twice does not throw) and re-exports the classes and event types.
export { OvLiveRoom } from './live-room/live-room.js';
export { OvClipList } from './clip-list/clip-list.js';
export { OvSnapshotButton, type SnapshotSource } from './snapshot-button/snapshot-button.js';
export { OvElement } from './internal/ov-element.js';
export * from './events/index.js';
