// The one place where the Lit layer touches the core's implementation modules (src/). The elements use only what
// is re-exported here, so a change of a core signature is a one-file change.
import { OvError, toOvError } from '../../src/errors.js';
import { clipStatusLabel, errorMessage, format, pickLang, resolveStrings, watchingCount, type OvStrings } from '../../src/i18n/strings.js';
import { uploadSnapshot } from '../../src/snapshot/snapshot.js';
import type { OvErrorCode, Snapshot } from '../../src/types.js';
import type { LiveRoomApi, LiveRoomOptions } from '../../src/room/room-api.js';
import type { LiveRoom } from '../../src/room/live-room.js';
import { LazyRoom } from './lazy-room.js';

export { canShareScreen } from '../../src/capabilities.js';
export { applyClipUpdate, withLatestEdit } from '../../src/clips/clip-status.js';
export { endpointTokenProvider, functionTokenProvider, literalTokenProvider } from '../../src/token/token-provider.js';
export { toOvError, clipStatusLabel, errorMessage, format, pickLang, resolveStrings, watchingCount, type OvStrings, type LiveRoom };

/** A new OvError (codes beyond OvErrorCode, e.g. `INVALID_SESSION`, are the elements' own). */
export function ovError(code: OvErrorCode | 'INVALID_SESSION', message: string): OvError {
  return new OvError(code as OvErrorCode, message);
}

/** `{code, message, status?}` for an `ov-error` detail, from anything thrown. */
export function errorDetail(err: unknown, fallback: OvErrorCode = 'UNKNOWN') {
  const e = toOvError(err, fallback);
  return { code: e.code, message: e.message, status: e.status };
}

// LiveRoom (with openvidu-browser) is loaded on first use, never statically: in the script-tag bundle it is a chunk
// of its own, so that pages without a room do not load it and the room's pre-join screen does not wait for it.
let liveRoomClass: Promise<typeof LiveRoom> | undefined;

/** LiveRoom's class, loaded once (a failed load is tried again next time). */
export function loadLiveRoom(): Promise<typeof LiveRoom> {
  return (liveRoomClass ??= import('../../src/room/live-room.js').then(
    (m) => m.LiveRoom,
    (err) => {
      liveRoomClass = undefined;
      throw err;
    },
  ));
}

/** Starts loading LiveRoom ahead of `join()` (an `<ov-live-room>` is in the page); a failure shows at `join()`. */
export function preloadLiveRoom(): void {
  loadLiveRoom().catch(() => undefined);
}

/** A room controller at once: idle until `join()`, which waits for LiveRoom's code if it has not arrived yet. */
export function createLiveRoom(options: LiveRoomOptions): LiveRoomApi {
  return new LazyRoom(loadLiveRoom, options);
}

export interface UploadRequest {
  api: string;
  session: string;
  blob: Blob;
  streamId?: string;
  name?: string;
  /** The room's access pass, if any. */
  access?: string;
}

export function upload(req: UploadRequest): Promise<Snapshot> {
  return uploadSnapshot(req.api, req.session, req.blob, req);
}

// The clips client itself, for <ov-clip-list>'s feed (components/clip-list/clip-feed.ts).
export { ClipsClient } from '../../src/clips/clips-client.js';
