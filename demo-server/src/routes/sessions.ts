import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ApiError, errors } from '../errors.js';
import { presentsSecret } from '../plugins/backend-authorize.js';
import { SessionParams, emptyBodyIsObject, errorResponses } from '../schemas/common.js';
import { NoQuery } from '../schemas/snapshots.js';
import type { Permission } from '../services/access-pass.js';
import { SCREEN_GRANT_MAX_LENGTH, ScreenGrants, serverData } from '../services/screen-grant.js';

const Name = Type.Optional(Type.String({ maxLength: 100, description: 'Display name; shown to others as text' }));
const Role = Type.Optional(
  Type.Union([Type.Literal('publisher'), Type.Literal('subscriber')], { description: 'publisher (default) or subscriber (watch only)' }),
);
const CameraBody = Type.Object({ name: Name, role: Role }, { additionalProperties: false, title: 'Camera token' });
// With BACKEND_SECRET: the backend also says what the participant may do (only it can call this route then).
const BackendCameraBody = Type.Object(
  {
    name: Name,
    role: Role,
    permissions: Type.Optional(
      Type.Array(Type.Union([Type.Literal('clip'), Type.Literal('snapshot')]), {
        uniqueItems: true,
        maxItems: 2,
        description: "What the access pass allows: 'clip' (record, stop, edit, share, delete clips; the replay buffer), 'snapshot' (upload, delete)",
      }),
    ),
  },
  { additionalProperties: false, title: 'Camera token (backend)' },
);
const ScreenBody = Type.Object(
  {
    screenGrant: Type.String({ minLength: 1, maxLength: SCREEN_GRANT_MAX_LENGTH, description: 'The `screenGrant` of a camera token of this room' }),
  },
  { additionalProperties: false, title: 'Screen-share token' },
);
// Either body, never a mix: a screen token's name and role come from its grant, not from the request.
const TokenBody = Type.Union([CameraBody, ScreenBody]);
const BackendTokenBody = Type.Union([BackendCameraBody, ScreenBody]);

const replyFields = {
  token: Type.String({ description: 'Single-use OpenVidu token for openvidu-browser' }),
  sessionId: Type.String(),
  connectionId: Type.String(),
  screenGrant: Type.Optional(
    Type.String({ description: "Publishers' camera tokens only: send it back as `{screenGrant}` for a screen-share token linked to this connection" }),
  ),
};
const TokenReply = Type.Object(replyFields);
const BackendTokenReply = Type.Object({
  ...replyFields,
  access: Type.Optional(
    Type.String({ description: 'Camera tokens asked by the backend: the access pass to send as `Authorization: Bearer <access>` on writes' }),
  ),
});

export const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { gateway, config, accessPasses } = app.services;
  const grants = new ScreenGrants({ secret: config.openviduSecret });
  const secret = config.backendSecret;
  // Asked by the backend that holds BACKEND_SECRET (whatever hook allowed the request).
  const fromBackend = (request: FastifyRequest) => secret !== undefined && presentsSecret(request, secret);

  app.post('/api/sessions/:sessionId/token', {
    schema: {
      summary: 'Get a token to join a room, or to share the screen in it',
      description:
        "Creates the OpenVidu session on first use. The token is single use. `{name, role}` asks for a camera token; a publisher's comes with a " +
        "`screenGrant`. `{screenGrant}` asks for a screen-share token, whose server data links it to the grant's connection (which must be connected)." +
        (secret
          ? ' This server trusts a backend: it sends `Authorization: Bearer <BACKEND_SECRET>`, may add `permissions`, and its camera tokens come ' +
            'with `access`, the pass for writes.'
          : ''),
      tags: ['sessions'],
      params: SessionParams,
      querystring: NoQuery,
      body: secret ? BackendTokenBody : TokenBody,
      response: { 201: secret ? BackendTokenReply : TokenReply, ...errorResponses(400, 403, 413, 415, 429, 502, 503) },
    },
    config: {
      action: 'token:create',
      resource: (req) => ({ type: 'session', id: (req.params as { sessionId: string }).sessionId }),
      // The backend asks on behalf of all its visitors, from one address: it limits them itself.
      rateLimit: { max: config.rateLimitPerMinute, timeWindow: '1 minute', ...(secret && { allowList: fromBackend }) },
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
        // No access pass: the elements write with their camera connection's.
        const data = serverData({ name: owner.name, role: 'publisher', screenOf: owner.connectionId });
        const { token, connectionId } = await gateway.createToken(sessionId, { role: 'publisher', data });
        return reply.code(201).send({ token, sessionId, connectionId });
      }
      const backend = fromBackend(request);
      const permissions = (body as { permissions?: Permission[] }).permissions;
      // A host hook may let others ask for tokens too; only the backend grants permissions.
      if (permissions !== undefined && !backend) throw errors.forbidden();
      const role = body.role ?? 'publisher';
      const name = body.name ?? '';
      // Server data travels with the connection: the elements read names, roles and screen links from it only.
      const { token, connectionId } = await gateway.createToken(sessionId, { role, data: serverData({ name, role }) });
      const screenGrant = role === 'publisher' ? grants.issue({ sessionId, connectionId, name }) : undefined;
      const access = backend && accessPasses ? accessPasses.issue({ room: sessionId, connectionId, permissions: permissions ?? [] }) : undefined;
      return reply.code(201).send({ token, sessionId, connectionId, ...(screenGrant && { screenGrant }), ...(access && { access }) });
    },
  });
};
