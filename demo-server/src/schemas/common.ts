import { Type, type Static } from 'typebox';

/** Room names: what OpenVidu accepts as customSessionId, bounded. */
export const SESSION_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
/**
 * Clip ids: OpenVidu recording ids (the session id, then `~N` for later recordings of the same session), or the
 * server's own clips cut from a replay buffer (the session id, then `~r` and 8 characters [a-z0-9]).
 */
export const CLIP_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}(~[0-9]{1,6}|~r[a-z0-9]{8})?$';
/** The server's own clips (local clips). */
export const LOCAL_CLIP_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}~r[a-z0-9]{8}$';

/** The room of a clip id (either kind): the id without its suffix. */
export const clipSessionId = (clipId: string): string => clipId.replace(/~(?:[0-9]{1,6}|r[a-z0-9]{8})$/, '');
/** Server-generated snapshot ids. */
export const SNAPSHOT_ID_PATTERN = '^snap_[A-Za-z0-9]{16}$';

export const ErrorReply = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String(),
    code: Type.String(),
  },
  { $id: 'ErrorReply', description: 'Every error the server answers' },
);
export type ErrorReply = Static<typeof ErrorReply>;

export const SessionParams = Type.Object(
  { sessionId: Type.String({ pattern: SESSION_ID_PATTERN, description: 'Room (OpenVidu session) id' }) },
  { additionalProperties: false },
);
export const ClipParams = Type.Object({ clipId: Type.String({ pattern: CLIP_ID_PATTERN }) }, { additionalProperties: false });
export const SnapshotParams = Type.Object({ snapshotId: Type.String({ pattern: SNAPSHOT_ID_PATTERN }) }, { additionalProperties: false });

/** Error responses a route may give, by status, for its schema. */
export function errorResponses(...codes: number[]) {
  return Object.fromEntries(codes.map((c) => [c, Type.Ref('ErrorReply')]));
}

/** The body is optional: a request without one is treated as `{}` (route `preValidation`). */
export async function emptyBodyIsObject(request: { body: unknown }) {
  if (request.body === undefined || request.body === null) request.body = {};
}
