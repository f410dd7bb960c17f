import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError } from '../errors.js';
import { SessionParams, emptyBodyIsObject, errorResponses } from '../schemas/common.js';
import { NoQuery } from '../schemas/snapshots.js';
import { SCREEN_GRANT_MAX_LENGTH, ScreenGrants, serverData } from '../services/screen-grant.js';

const CameraBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 100, description: 'Display name; shown to others as text' })),
    role: Type.Optional(Type.Union([Type.Literal('publisher'), Type.Literal('subscriber')], { description: 'publisher (default) or subscriber (watch only)' })),
  },
  { additionalProperties: false, title: 'Camera token' },
);
const ScreenBody = Type.Object(
  {
    screenGrant: Type.String({ minLength: 1, maxLength: SCREEN_GRANT_MAX_LENGTH, description: 'The `screenGrant` of a camera token of this room' }),
  },
  { additionalProperties: false, title: 'Screen-share token' },
);
// Either body, never a mix: a screen token's name and role come from its grant, not from the request.
const TokenBody = Type.Union([CameraBody, ScreenBody]);

const TokenReply = Type.Object({
  token: Type.String({ description: 'Single-use OpenVidu token for openvidu-browser' }),
  sessionId: Type.String(),
  connectionId: Type.String(),
  screenGrant: Type.Optional(
    Type.String({ description: "Publishers' camera tokens only: send it back as `{screenGrant}` for a screen-share token linked to this connection" }),
  ),
});

export const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { gateway, config } = app.services;
  const grants = new ScreenGrants({ secret: config.openviduSecret });

  app.post('/api/sessions/:sessionId/token', {
    schema: {
      summary: 'Get a token to join a room, or to share the screen in it',
      description:
        "Creates the OpenVidu session on first use. The token is single use. `{name, role}` asks for a camera token; a publisher's comes with a " +
        "`screenGrant`. `{screenGrant}` asks for a screen-share token, whose server data links it to the grant's connection (which must be connected).",
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
      if ('screenGrant' in body) {
        const owner = grants.verify(body.screenGrant, sessionId);
        // The grant outlives a connection that left: its owner must still be in the room.
        if (!(await gateway.connectionActive(sessionId, owner.connectionId))) {
          throw new ApiError(403, 'OV_SCREEN_GRANT_INVALID', 'The screen grant is not valid: its participant is not connected to the room');
        }
        const data = serverData({ name: owner.name, role: 'publisher', screenOf: owner.connectionId });
        const { token, connectionId } = await gateway.createToken(sessionId, { role: 'publisher', data });
        return reply.code(201).send({ token, sessionId, connectionId });
      }
      const role = body.role ?? 'publisher';
      const name = body.name ?? '';
      // Server data travels with the connection: the elements read names, roles and screen links from it only.
      const { token, connectionId } = await gateway.createToken(sessionId, { role, data: serverData({ name, role }) });
      const screenGrant = role === 'publisher' ? grants.issue({ sessionId, connectionId, name }) : undefined;
      return reply.code(201).send({ token, sessionId, connectionId, ...(screenGrant && { screenGrant }) });
    },
  });
};
