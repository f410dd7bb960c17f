// Defines every tag (guarded: loading twice does not throw) and re-exports the classes and event types.
export { OvLiveRoom } from './live-room/live-room.js';
export { OvClipList } from './clip-list/clip-list.js';
export { OvSnapshotButton, type SnapshotSource } from './snapshot-button/snapshot-button.js';
export { OvElement } from './internal/ov-element.js';
export * from './events/index.js';
// The clip-editing events (the event types' barrel is components/events/index.ts).
export * from './events/ov-clip-renamed.js';
export * from './events/ov-clip-shared.js';
export * from './events/ov-clip-trimmed.js';
export * from './events/ov-clip-updated.js';
