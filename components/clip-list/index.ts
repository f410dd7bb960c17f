export * from './clip-list.js';
