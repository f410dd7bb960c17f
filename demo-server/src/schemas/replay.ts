import { Type, type Static } from 'typebox';

/** A room's instant-replay buffer, as the routes answer it and as the `replay` event and `ov-replay` signal carry it. */
export const Replay = Type.Object(
  {
    sessionId: Type.String({ description: 'Room (OpenVidu session) id' }),
    state: Type.Union([Type.Literal('off'), Type.Literal('starting'), Type.Literal('on')], {
      description: '`on`: a buffer recording runs or media is held and can be clipped; `starting`: asked for, waiting for a publisher or for a clip to end',
    }),
    seconds: Type.Number({ description: 'The longest replay the server gives (REPLAY_SECONDS; 0 when the feature is off)' }),
    held: Type.Number({ description: 'Content seconds that can be clipped right now (0 to `seconds`), one decimal' }),
  },
  { $id: 'Replay' },
);
export type Replay = Static<typeof Replay>;

/** Longest replay a request may ask for, seconds (the server gives at most REPLAY_SECONDS). */
export const REPLAY_SECONDS_MAX = 600;

/** `POST /api/sessions/:id/replay`: no body, or `{}`. */
export const StartReplayBody = Type.Object({}, { additionalProperties: false });
