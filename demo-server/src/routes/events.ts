import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SessionParams, errorResponses } from '../schemas/common.js';
import type { BusEvent } from '../services/event-bus.js';

const HEARTBEAT_MS = 15_000;
/** How long a browser waits before reconnecting (SSE `retry`). */
const RETRY_MS = 2000;

export const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { bus } = app.services;
  const open = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const close of open) close();
  });

  app.get('/api/sessions/:sessionId/events', {
    schema: {
      summary: "Live events of a room (Server-Sent Events)",
      description:
        'Events: `clip` (a Clip, on every status change), `clip-deleted` ({id, sessionId}), `snapshot` (a Snapshot), ' +
        '`snapshot-deleted` ({id, sessionId}), and `resync` when events were missed and lists must be fetched again. ' +
        'Reconnect with `Last-Event-ID` (or `?lastEventId=`) to get what was missed.',
      tags: ['events'],
      params: SessionParams,
      querystring: Type.Object({ lastEventId: Type.Optional(Type.String({ pattern: '^[0-9]{1,20}$' })) }, { additionalProperties: false }),
      headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 40 })) }),
      response: { ...errorResponses(400, 403) },
    },
    exposeHeadRoute: false, // a HEAD answered with a never-ending stream would hang the client (and keep a subscription open)
    config: { action: 'events:read', resource: (req) => ({ type: 'session', id: (req.params as { sessionId: string }).sessionId }) },
    handler: async (request, reply) => {
      const { sessionId } = request.params;
      const rawLast = request.headers['last-event-id'] ?? request.query.lastEventId;
      const lastId = rawLast !== undefined && /^[0-9]{1,20}$/.test(rawLast) ? Number(rawLast) : undefined;

      // Headers set by hooks (CORS, helmet) are kept: the raw response is written by hand from here.
      const headers = { ...reply.getHeaders(), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no', ...(request.raw.httpVersionMajor < 2 ? { connection: 'keep-alive' } : {}) };
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, headers as Record<string, string>);
      res.write(`retry: ${RETRY_MS}\n: connected\n\n`);
      const send = (e: BusEvent) => res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);

      // Subscribe before replaying so nothing published in between is lost; replayed ids are skipped live.
      let replayedUpTo = 0;
      const unsubscribe = bus.subscribe(sessionId, (e) => {
        if (e.id > replayedUpTo) send(e);
      });
      if (lastId !== undefined) {
        const missed = bus.since(sessionId, lastId);
        if (missed === undefined) res.write(`event: resync\ndata: {}\n\n`);
        else for (const e of missed) send(e);
        replayedUpTo = missed?.at(-1)?.id ?? 0;
      }
      const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
      const close = () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(close);
        if (!res.writableEnded) res.end();
      };
      open.add(close);
      request.raw.on('close', close);
    },
  });
};
