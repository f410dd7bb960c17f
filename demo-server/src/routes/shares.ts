import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** POST/DELETE /api/clips/:clipId/share (skeleton). */
export const shareRoutes: FastifyPluginAsyncTypebox = async () => {};
