import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { SessionParams, emptyBodyIsObject, errorResponses } from '../schemas/common.js';
import { StartReplayBody } from '../schemas/replay.js';
import { NoQuery } from '../schemas/snapshots.js';
import type { Resource } from '../plugins/authorize.js';

const sessionResource = (req: FastifyRequest): Resource => ({ type: 'session', id: (req.params as { sessionId: string }).sessionId });

export const replayRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { replay } = app.services;

  app.get('/api/sessions/:sessionId/replay', {
    schema: {
      summary: "The room's instant-replay buffer",
      tags: ['replay'],
      params: SessionParams,
      querystring: NoQuery,
      response: { 200: Type.Ref('Replay'), ...errorResponses(400, 403) },
    },
    config: { action: 'replay:read', resource: sessionResource },
    handler: async (request) => replay.state(request.params.sessionId),
  });

  app.post('/api/sessions/:sessionId/replay', {
    schema: {
      summary: "Turn the room's instant-replay buffer on (idempotent)",
      description:
        '`starting` until someone publishes (or while a clip records), then `on`. 409 `REPLAY_OFF` when REPLAY_SECONDS is 0; 409 ' +
        '`OV_SESSION_NOT_LIVE` when the room does not exist in OpenVidu; 503 `OV_REPLAY_BUSY` past REPLAY_MAX_ROOMS rooms. Every state change is ' +
        'published: SSE `replay` and the `ov-replay` signal.',
      tags: ['replay'],
      params: SessionParams,
      querystring: NoQuery,
      body: StartReplayBody,
      response: { 200: Type.Ref('Replay'), ...errorResponses(400, 403, 409, 415, 502, 503) },
    },
    config: { action: 'replay:start', resource: sessionResource },
    preValidation: emptyBodyIsObject,
    handler: async (request) => replay.ensure(request.params.sessionId),
  });

  app.delete('/api/sessions/:sessionId/replay', {
    schema: {
      summary: "Turn the room's instant-replay buffer off",
      description: 'Its recording stops and is deleted, with everything it held. A clip recording in the room is cut from what was held. Idempotent.',
      tags: ['replay'],
      params: SessionParams,
      querystring: NoQuery,
      response: { 200: Type.Ref('Replay'), ...errorResponses(400, 403) },
    },
    config: { action: 'replay:stop', resource: sessionResource },
    handler: async (request) => replay.stop(request.params.sessionId),
  });
};
