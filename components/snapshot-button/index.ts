export * from './snapshot-button.js';
// The ov-* event types (and their GlobalEventHandlersEventMap entries) for users of this entry alone.
export type * from '../events/index.js';
