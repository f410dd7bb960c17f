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
  },
  { $id: 'Clip' },
);
export type Clip = Static<typeof Clip>;

export const ClipList = Type.Object({ clips: Type.Array(Type.Ref('Clip')) }, { $id: 'ClipList' });

export const StartClipBody = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Display name, any language' })) },
  { additionalProperties: false },
);
