export * from './snapshot-button.js';
