import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SessionParams, emptyBodyIsObject, errorResponses } from '../schemas/common.js';
import { NoQuery } from '../schemas/snapshots.js';

const TokenBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 100, description: 'Display name; shown to others as text' })),
    role: Type.Optional(Type.Union([Type.Literal('publisher'), Type.Literal('subscriber')], { description: 'publisher (default) or subscriber (watch only)' })),
  },
  { additionalProperties: false },
);

const TokenReply = Type.Object({
  token: Type.String({ description: 'Single-use OpenVidu token for openvidu-browser' }),
  sessionId: Type.String(),
  connectionId: Type.String(),
});

export const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { gateway, config } = app.services;

  app.post('/api/sessions/:sessionId/token', {
    schema: {
      summary: 'Get a token to join a room',
      description: 'Creates the OpenVidu session on first use. The token is single use.',
      tags: ['sessions'],
      params: SessionParams,
      querystring: NoQuery,
      body: TokenBody,
      response: { 201: TokenReply, ...errorResponses(400, 403, 413, 415, 429, 502, 503) },
    },
    config: {
      action: 'token:create',
      resource: (req) => ({ type: 'session', id: (req.params as { sessionId: string }).sessionId }),
      rateLimit: { max: config.rateLimitPerMinute, timeWindow: '1 minute' },
    },
    preValidation: emptyBodyIsObject,
    handler: async (request, reply) => {
      const { sessionId } = request.params;
      const body = request.body;
      const role = body.role ?? 'publisher';
      // Server data travels with the connection: other participants can trust it more than client data.
      const data = JSON.stringify({ name: body.name ?? '', role });
      const { token, connectionId } = await gateway.createToken(sessionId, { role, data });
      return reply.code(201).send({ token, sessionId, connectionId });
    },
  });
};
