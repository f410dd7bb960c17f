export * from './live-room.js';
