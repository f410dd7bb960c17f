import { Type, type Static } from 'typebox';

export const ClipStatus = Type.Union([Type.Literal('recording'), Type.Literal('processing'), Type.Literal('ready'), Type.Literal('failed')]);

export const Clip = Type.Object(
  {
    id: Type.String({ description: 'Clip id (the OpenVidu recording id)' }),
    sessionId: Type.String(),
    name: Type.String({ description: 'Display name' }),
    status: ClipStatus,
    createdAt: Type.Integer({ description: 'Start time, ms since the epoch' }),
    duration: Type.Number({ description: 'Seconds; 0 until ready' }),
    size: Type.Integer({ description: 'Bytes; 0 until ready' }),
    hasAudio: Type.Boolean(),
    hasVideo: Type.Boolean(),
    mediaUrl: Type.String({ description: 'Where the video streams from (Range supported)' }),
    thumbnailUrl: Type.String(),
    error: Type.Optional(Type.String()),
    recovered: Type.Optional(
      Type.Literal(true, { description: 'Rebuilt after the server stopped abruptly while recording: it ends where the recording was lost' }),
    ),
    trim: Type.Optional(
      Type.Object(
        { start: Type.Number({ minimum: 0 }), end: Type.Number({ minimum: 0 }) },
        {
          additionalProperties: false,
          description: 'While trimmed: the range of the original (seconds) the media serves; `start` is the keyframe at or before the requested in point',
        },
      ),
    ),
    originalDuration: Type.Optional(Type.Number({ description: "The untrimmed recording's duration, seconds (only while trimmed)" })),
    updatedAt: Type.Optional(Type.Integer({ description: 'Last rename, trim or restore, ms since the epoch; absent if never edited' })),
  },
  { $id: 'Clip' },
);
export type Clip = Static<typeof Clip>;

export const ClipList = Type.Object({ clips: Type.Array(Type.Ref('Clip')) }, { $id: 'ClipList' });

/** Longest clip name, in characters (code points). */
export const CLIP_NAME_MAX = 100;

export const StartClipBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Display name, any language' })),
    replaySeconds: Type.Optional(
      Type.Number({
        minimum: 1,
        maximum: 600,
        description: "Instant replay: the clip is the room's last `replaySeconds` (what its replay buffer holds, when less), ready when answered",
      }),
    ),
  },
  { additionalProperties: false },
);

export const RenameClipBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 400, // UTF-16 units; the handler counts characters (CLIP_NAME_MAX) and refuses control and bidi characters
      description: `Display name, any language: 1 to ${CLIP_NAME_MAX} characters, no control or bidirectional-override characters`,
    }),
  },
  { additionalProperties: false },
);

export const TrimClipBody = Type.Object(
  {
    start: Type.Number({ minimum: 0, description: 'In point, seconds from the start of the original recording' }),
    end: Type.Number({ exclusiveMinimum: 0, description: 'Out point, seconds from the start of the original; at most its duration' }),
  },
  { additionalProperties: false },
);

export const ShareClipBody = Type.Object(
  {
    expiresIn: Type.Optional(
      Type.Integer({ minimum: 60, description: 'Seconds until the link stops working (default 7 days; at most SHARE_MAX_SECONDS, 30 days by default)' }),
    ),
  },
  { additionalProperties: false },
);

export const ClipShare = Type.Object(
  {
    clipId: Type.String(),
    url: Type.String({ description: 'Absolute URL of the public watch page: /watch/:clipId?exp=…&sig=…' }),
    expiresAt: Type.Integer({ description: 'When the link stops working, ms since the epoch' }),
  },
  { $id: 'ClipShare' },
);
export type ClipShare = Static<typeof ClipShare>;

/** `?v=<updatedAt>`: a version the elements add to a trimmed clip's URLs so that a new cut is a new URL for caches and `<video>`. */
const Version = Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$', description: "Cache buster (the clip's `updatedAt`); ignored by the server" }));

export const MediaQuery = Type.Object(
  {
    download: Type.Optional(
      Type.Union([Type.Literal('1'), Type.Literal('0'), Type.Literal('true'), Type.Literal('false')], {
        description: '`1`: answer with `Content-Disposition: attachment` and a file name from the clip name',
      }),
    ),
    v: Version,
  },
  { additionalProperties: false },
);

export const ThumbnailQuery = Type.Object({ v: Version }, { additionalProperties: false });
