import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError } from '../errors.js';
import { SessionParams, errorResponses } from '../schemas/common.js';
import type { BusEvent } from '../services/event-bus.js';
import { readDescriptorLimits, sseBudget } from '../services/descriptor-limit.js';

const HEARTBEAT_MS = 15_000;
/** Unsent bytes a stream may hold for a client that does not read; beyond, the stream is ended (it resumes with Last-Event-ID). */
export const MAX_UNSENT_BYTES = 1024 * 1024;
/** How long a browser waits before reconnecting (SSE `retry`). */
const RETRY_MS = 2000;
/** Retry-After of a refused stream, seconds. */
const BUSY_RETRY_S = 30;

/**
 * Whose budget a stream counts against: the IPv4 address, or the IPv6 /64 prefix (one household or office: its
 * devices, and anyone holding a /64, pick any address inside it).
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!ip.includes(':')) return ip;
  const [head, tail] = ip.replace(/%.*$/, '').toLowerCase().split('::');
  const groups = (part: string | undefined) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${all
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** Open streams, per client address and in total. Each stream holds a socket, so this bounds descriptors too. */
class StreamSlots {
  private total = 0;
  private readonly byClient = new Map<string, number>();

  constructor(
    readonly perClient: number,
    readonly max: number,
  ) {}

  /** Takes a slot; returns why not when the client or the server is at its limit. */
  take(client: string): 'client' | 'total' | undefined {
    const mine = this.byClient.get(client) ?? 0;
    if (mine >= this.perClient) return 'client';
    if (this.total >= this.max) return 'total';
    this.byClient.set(client, mine + 1);
    this.total++;
    return undefined;
  }

  release(client: string): void {
    const mine = this.byClient.get(client) ?? 0;
    if (mine <= 1) this.byClient.delete(client);
    else this.byClient.set(client, mine - 1);
    this.total--;
  }
}

export const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { bus, config } = app.services;
  const open = new Set<() => void>();
  // Streams get what the descriptor limit leaves after a reserve for uploads, OpenVidu and the recorder.
  const limits = readDescriptorLimits();
  const budget = sseBudget(config.sseMaxTotal, limits);
  const slots = new StreamSlots(config.sseMaxPerClient, budget.total);
  app.log.info(
    { sseMaxPerClient: slots.perClient, sseMaxTotal: slots.max, configuredTotal: config.sseMaxTotal, descriptors: limits, descriptorReserve: budget.reserve },
    `event streams: at most ${slots.perClient} per client address, ${slots.max} in total` +
      (limits ? ` (descriptor limit ${limits.soft}, ${budget.reserve} kept for everything else)` : ''),
  );
  app.addHook('onClose', async () => {
    for (const close of open) close();
  });

  app.get('/api/sessions/:sessionId/events', {
    schema: {
      summary: 'Live events of a room (Server-Sent Events)',
      description:
        'Events: `clip` (a Clip, on every status change), `clip-updated` (a Clip, after a rename, trim or restore), `clip-deleted` ({id, sessionId}), `snapshot` (a Snapshot), ' +
        "`snapshot-deleted` ({id, sessionId}), `replay` (a Replay, when the room's buffer turns on, starts or stops), and `resync` when events were missed and lists must be fetched again. " +
        'Reconnect with `Last-Event-ID` (or `?lastEventId=`) to get what was missed. ' +
        'Open streams are limited per client address (SSE_MAX_PER_CLIENT) and in total (SSE_MAX_TOTAL): beyond, 429 `OV_TOO_MANY_STREAMS`.',
      tags: ['events'],
      params: SessionParams,
      querystring: Type.Object({ lastEventId: Type.Optional(Type.String({ pattern: '^[0-9]{1,20}$' })) }, { additionalProperties: false }),
      headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 40 })) }),
      response: { ...errorResponses(400, 403, 429) },
    },
    exposeHeadRoute: false, // a HEAD answered with a never-ending stream would hang the client (and keep a subscription open)
    config: { action: 'events:read', resource: (req) => ({ type: 'session', id: (req.params as { sessionId: string }).sessionId }) },
    handler: async (request, reply) => {
      const { sessionId } = request.params;
      const rawLast = request.headers['last-event-id'] ?? request.query.lastEventId;
      const lastId = rawLast !== undefined && /^[0-9]{1,20}$/.test(rawLast) ? Number(rawLast) : undefined;

      // Refused before hijacking, so the answer is an ordinary JSON error (with the headers of the hooks).
      const client = clientKey(request.ip);
      const full = slots.take(client);
      if (full) {
        const message =
          full === 'client'
            ? `Too many event streams from your address (at most ${slots.perClient}); close other tabs or try again later`
            : `The server has too many event streams open (at most ${slots.max}); try again later`;
        return reply
          .code(429)
          .header('retry-after', String(BUSY_RETRY_S))
          .type('application/json')
          .send(new ApiError(429, 'OV_TOO_MANY_STREAMS', message).toJSON());
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        slots.release(client);
      };

      // Headers set by hooks (CORS, helmet) are kept: the raw response is written by hand from here.
      const headers = {
        ...reply.getHeaders(),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        ...(request.raw.httpVersionMajor < 2 ? { connection: 'keep-alive' } : {}),
      };
      reply.hijack();
      const res = reply.raw;
      let heartbeat: NodeJS.Timeout | undefined;
      let unsubscribe: (() => void) | undefined;
      // Every way a stream ends comes here once: the client leaves, the socket fails, the server closes.
      const close = () => {
        clearInterval(heartbeat);
        unsubscribe?.();
        open.delete(close);
        release();
        if (!res.writableEnded) res.end();
      };
      open.add(close);
      request.raw.on('close', close);
      res.on('close', close);
      res.on('error', close);
      try {
        res.writeHead(200, headers as Record<string, string>);
        res.write(`retry: ${RETRY_MS}\n: connected\n\n`);
        // A client that stops reading would make the server keep every event for it: past the bound it is let go.
        const write = (text: string) => {
          if (res.writableLength > MAX_UNSENT_BYTES) {
            request.log.warn({ client }, 'event stream ended: the client reads nothing');
            close();
            res.destroy(); // what is queued for it is dropped, and its socket freed
            return;
          }
          res.write(text);
        };
        const send = (e: BusEvent) => write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);

        // Subscribe before replaying so nothing published in between is lost; replayed ids are skipped live.
        let replayedUpTo = 0;
        unsubscribe = bus.subscribe(sessionId, (e) => {
          if (e.id > replayedUpTo) send(e);
        });
        if (lastId !== undefined) {
          const missed = bus.since(sessionId, lastId);
          if (missed === undefined) res.write(`event: resync\ndata: {}\n\n`);
          else for (const e of missed) send(e);
          replayedUpTo = missed?.at(-1)?.id ?? 0;
        }
        heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS);
      } catch (err) {
        request.log.debug({ err }, 'event stream failed while opening');
        close();
        return;
      }
      // The client may have gone before the listeners were attached: then no close event will come.
      const raw = res as { destroyed?: boolean; stream?: { destroyed: boolean } };
      if (raw.destroyed || raw.stream?.destroyed || request.raw.socket?.destroyed) close();
    },
  });
};
