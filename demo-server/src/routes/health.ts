import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../schemas/common.js';
import { NoQuery } from '../schemas/snapshots.js';

const started = Date.now();

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { gateway, openviduKind } = app.services;

  app.get('/api/health', {
    schema: {
      summary: 'Health of the server and its OpenVidu',
      tags: ['server'],
      querystring: NoQuery,
      response: {
        200: Type.Object({
          status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
          openvidu: Type.Union([Type.Literal('embedded'), Type.Literal('remote')]),
          openviduReachable: Type.Boolean(),
          uptimeSeconds: Type.Integer(),
        }),
        ...errorResponses(403),
      },
    },
    config: { action: 'health:read' },
    handler: async () => {
      const reachable = await gateway.ping();
      return {
        status: reachable ? ('ok' as const) : ('degraded' as const),
        openvidu: openviduKind,
        openviduReachable: reachable,
        uptimeSeconds: Math.floor((Date.now() - started) / 1000),
      };
    },
  });

  app.get('/api/openapi.json', {
    schema: { hide: true, querystring: NoQuery },
    config: { action: 'docs:read' },
    handler: async () => app.swagger(),
  });
};
