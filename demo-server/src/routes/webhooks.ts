import { timingSafeEqual } from 'node:crypto';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError } from '../errors.js';
import { errorResponses } from '../schemas/common.js';
import { NoQuery } from '../schemas/snapshots.js';
import { clipStatusOf } from '../services/recording-to-clip.js';
import { BUFFER_RECORDING_NAME } from '../services/local-clips.js';

/** The fields we read; OpenVidu sends more, which are accepted and ignored. */
const OpenViduEvent = Type.Object(
  {
    event: Type.String({ maxLength: 64 }),
    sessionId: Type.String({ maxLength: 256 }),
    timestamp: Type.Optional(Type.Number()),
    id: Type.Optional(Type.String({ maxLength: 256 })),
    name: Type.Optional(Type.String({ maxLength: 512 })),
    status: Type.Optional(Type.String({ maxLength: 32 })),
    startTime: Type.Optional(Type.Number()),
    duration: Type.Optional(Type.Number()),
    size: Type.Optional(Type.Number()),
    hasAudio: Type.Optional(Type.Boolean()),
    hasVideo: Type.Optional(Type.Boolean()),
    recovered: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, clips, gateway, bus, replay } = app.services;
  const expected = config.webhookToken ? Buffer.from(`Bearer ${config.webhookToken}`) : undefined;

  app.post('/api/webhooks/openvidu', {
    schema: {
      summary: "OpenVidu's webhook receiver",
      description:
        'Point OPENVIDU_WEBHOOK_ENDPOINT here, with OPENVIDU_WEBHOOK_HEADERS=["Authorization: Bearer <WEBHOOK_TOKEN>"] when WEBHOOK_TOKEN is set. ' +
        '`recordingStatusChanged` events become live clip events (a replay buffer recording is no clip: its readiness is noted); `sessionDestroyed` ' +
        'makes the server forget the room (its cached session and event history) and ends its replay buffer.',
      tags: ['webhooks'],
      body: OpenViduEvent,
      querystring: NoQuery,
      response: { 200: Type.Object({ ok: Type.Boolean() }), ...errorResponses(400, 401, 403, 413, 415) },
    },
    config: { action: 'webhook:receive' },
    // onRequest: before the body is read, so a caller without the token gets 401 whatever it sends, and cannot
    // make the server read or parse anything.
    onRequest: async (request) => {
      if (!expected) return;
      const got = Buffer.from(request.headers.authorization ?? '');
      if (got.length !== expected.length || !timingSafeEqual(got, expected))
        throw new ApiError(401, 'OV_WEBHOOK_UNAUTHORIZED', 'Missing or wrong webhook token');
    },
    handler: async (request) => {
      const e = request.body;
      if (e.event === 'sessionDestroyed') {
        // The room ended: nothing cached for it is of use any more (a clip still processing publishes anew).
        gateway.sessionEnded(e.sessionId, e.startTime);
        bus.forget(e.sessionId);
        replay.roomEnded(e.sessionId);
      }
      if (e.event === 'recordingStatusChanged' && e.id && e.status && e.name === BUFFER_RECORDING_NAME) replay.recordingChanged(e.id, e.status);
      else if (e.event === 'recordingStatusChanged' && e.id && e.status && clipStatusOf(e.status)) {
        // The same clip as the REST API gives for this state: one mapping, under the gateway's API base.
        clips.publish(
          gateway.toClip({
            id: e.id,
            sessionId: e.sessionId,
            name: e.name,
            status: e.status,
            createdAt: e.startTime ?? e.timestamp ?? Date.now(),
            duration: e.duration,
            size: e.size,
            hasAudio: e.hasAudio,
            hasVideo: e.hasVideo,
            recovered: e.recovered,
          }),
        );
      }
      return { ok: true };
    },
  });
};
