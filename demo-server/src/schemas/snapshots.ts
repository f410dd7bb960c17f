import { Type, type Static } from 'typebox';

/** Snapshot display names: any language, no control characters (C0, DEL, C1). */
export const SNAPSHOT_NAME_PATTERN = '^[^\\u0000-\\u001F\\u007F-\\u009F]*$';
export const SNAPSHOT_NAME_MAX = 100;
/** OpenVidu stream ids (`str_CAM_AbCd_con_XyZ`), bounded. */
export const STREAM_ID_PATTERN = '^[A-Za-z0-9_~-]{1,128}$';

export const SnapshotContentType = Type.Enum(['image/jpeg', 'image/png', 'image/webp'], {
  description: 'Media type, from the image bytes (not from the declared Content-Type)',
});

export const Snapshot = Type.Object(
  {
    id: Type.String({ description: 'Server-generated id: snap_ and 16 letters or digits; never reused' }),
    sessionId: Type.String({ description: 'Room (OpenVidu session) id' }),
    name: Type.String({ description: 'Display name, any language; plain text, never HTML' }),
    streamId: Type.String({ description: 'The OpenVidu stream the frame was taken from; empty when not given' }),
    contentType: SnapshotContentType,
    size: Type.Integer({ description: 'Bytes' }),
    width: Type.Integer({ description: 'Pixels (for JPEG, as displayed after the EXIF orientation)' }),
    height: Type.Integer({ description: 'Pixels' }),
    createdAt: Type.Integer({ description: 'Upload time, ms since the epoch; unique and increasing per server' }),
    url: Type.String({ description: 'Where the image is served from (immutable, cacheable)' }),
  },
  { $id: 'Snapshot' },
);
export type Snapshot = Static<typeof Snapshot>;

export const SnapshotList = Type.Object({ snapshots: Type.Array(Type.Ref('Snapshot'), { description: 'Newest first' }) }, { $id: 'SnapshotList' });
export type SnapshotList = { snapshots: Snapshot[] };

/** Query of `POST /api/sessions/:sessionId/snapshots`. */
export const CreateSnapshotQuery = Type.Object(
  {
    name: Type.Optional(
      Type.String({ maxLength: SNAPSHOT_NAME_MAX, pattern: SNAPSHOT_NAME_PATTERN, description: 'Display name, any language (default: the upload time)' }),
    ),
    streamId: Type.Optional(Type.String({ pattern: STREAM_ID_PATTERN, description: 'The OpenVidu stream the frame was taken from' })),
  },
  { additionalProperties: false },
);
export type CreateSnapshotQuery = Static<typeof CreateSnapshotQuery>;

/** Routes without query parameters refuse any. */
export const NoQuery = Type.Object({}, { additionalProperties: false });
