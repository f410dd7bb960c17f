// Public API of the framework-agnostic core (no Lit). The elements live in components/.
// Clip, ClipShare, … (the types of every call and event).
export type * from './types.js';
export type { JoinOptions, LiveRoomApi, LiveRoomEvents, LiveRoomOptions } from './room/room-api.js';
export { LiveRoom, parseConnectionData } from './room/live-room.js';
export { OvError, toOvError } from './errors.js';
export { Emitter } from './emitter.js';
export { endpointTokenProvider, functionTokenProvider, literalTokenProvider } from './token/token-provider.js';
export { ClipsClient, type ClipsClientEvents, type ClipsClientOptions } from './clips/clips-client.js';
export { advanceClipStatus, applyClipUpdate, ClipStatusBook, KnownClips, withLatestEdit } from './clips/clip-status.js';
export { captureFrame, uploadSnapshot, type FrameOptions, type UploadOptions } from './snapshot/snapshot.js';
export { canShareScreen, isMobileDevice, type NavigatorLike } from './capabilities.js';
export { browserSupport, missingApi, type BrowserEnv, type BrowserSupport } from './browser-support.js';
export {
  STRINGS,
  en,
  ko,
  clipStatusLabel,
  errorMessage,
  format,
  participantCount,
  watchingCount,
  pickLang,
  resolveStrings,
  stateLabel,
  type OvLang,
  type OvStrings,
} from './i18n/strings.js';
