import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** The public watch page of a share link (skeleton). */
export const watchRoutes: FastifyPluginAsyncTypebox = async () => {};
