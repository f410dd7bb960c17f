import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import sjson from 'secure-json-parse';
import type { Config } from './config.js';
import { ApiError, errors } from './errors.js';
import { authorizePlugin, type Authorize } from './plugins/authorize.js';
import { referenceServerHeaders, securityHeadersPlugin } from './plugins/security-headers.js';
import { backendAuthorize } from './plugins/backend-authorize.js';
import { sameOriginPlugin } from './plugins/same-origin.js';
import { ErrorReply } from './schemas/common.js';
import { Clip, ClipList, ClipShare } from './schemas/clips.js';
import { Snapshot, SnapshotList } from './schemas/snapshots.js';
import { Replay } from './schemas/replay.js';
import { OpenViduGateway } from './services/openvidu-gateway.js';
import { EventBus } from './services/event-bus.js';
import { ClipEvents } from './services/clip-events.js';
import { SnapshotStore } from './services/snapshot-store.js';
import { ClipMetaStore } from './services/clip-meta-store.js';
import { ClipCutter } from './services/clip-cutter.js';
import { LocalClips } from './services/local-clips.js';
import { ReplayService } from './services/replay-service.js';
import { TurnCredentials } from './services/turn-credentials.js';
import { AccessPasses } from './services/access-pass.js';
import { sessionRoutes } from './routes/sessions.js';
import { clipRoutes } from './routes/clips.js';
import { shareRoutes } from './routes/shares.js';
import { watchRoutes } from './routes/watch.js';
import { snapshotRoutes } from './routes/snapshots.js';
import { eventRoutes } from './routes/events.js';
import { webhookRoutes } from './routes/webhooks.js';
import { replayRoutes } from './routes/replay.js';
import { healthRoutes } from './routes/health.js';
import { pageRoutes } from './routes/pages.js';

export interface BuildAppOptions {
  config: Config;
  /**
   * The host's access check for every route; default: allow, or `backendAuthorize` when BACKEND_SECRET is set (a
   * host hook replaces it; compose the two to keep it).
   */
  authorize?: Authorize;
  /** pino options or `false`; default: the config's level. */
  logger?: FastifyServerOptions['logger'];
  /** `embedded` when the server started the embedded OpenVidu itself (shown by /api/health). */
  openviduKind?: 'embedded' | 'remote';
  /** Extra Fastify options (e.g. https). */
  fastify?: Partial<FastifyServerOptions> & { https?: unknown; http2?: boolean };
}

export interface Services {
  config: Config;
  gateway: OpenViduGateway;
  bus: EventBus;
  clips: ClipEvents;
  snapshots: SnapshotStore;
  /** Names, trims and share salts of clips, beside OpenVidu's recordings. */
  clipMeta: ClipMetaStore;
  /** Trims clips (ffmpeg stream copy), bounded in time, number and size. */
  cutter: ClipCutter;
  /** The server's own clips (cut from replay buffers), served by the gateway as clips. */
  localClips: LocalClips;
  /** Rooms' instant-replay buffers and the clips cut from them. */
  replay: ReplayService;
  /** Signs and checks the access passes that come with tokens; only with BACKEND_SECRET. */
  accessPasses?: AccessPasses;
  openviduKind: 'embedded' | 'remote';
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

/** The reference server as a Fastify instance, ready to `listen` or `inject`. */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = opts;
  if (!config.openviduUrl || !config.openviduSecret)
    throw new Error('buildApp needs config.openviduUrl and config.openviduSecret (server.ts fills them in for the embedded server)');
  const app = Fastify({
    logger: opts.logger ?? { level: config.logLevel },
    bodyLimit: 64 * 1024,
    // close() ends keep-alive connections too, so Ctrl-C (and a host's shutdown) does not wait for idle clients.
    forceCloseConnections: true,
    // Ids are validated by pattern; unknown query and body fields are refused, not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    // A request too broken to route (raw control bytes in the request line…) still gets our JSON error.
    clientErrorHandler: (_err, socket) => {
      const body = JSON.stringify(new ApiError(400, 'OV_BAD_REQUEST', 'Malformed request').toJSON());
      if (socket.writable)
        socket.end(
          `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      else socket.destroy();
    },
    frameworkErrors: (_err, _request, reply: FastifyReply) =>
      void reply
        .code(400)
        .type('application/json')
        .send(new ApiError(400, 'OV_BAD_REQUEST', 'Malformed URL').toJSON()), // e.g. a bad %-escape
    ...(opts.fastify as object),
  }).withTypeProvider<TypeBoxTypeProvider>();

  const clipMeta = new ClipMetaStore({ dir: `${config.dataDir}/clips` });
  await clipMeta.load();
  const apiBase = '/api';
  const localClips = new LocalClips({ dir: path.join(config.dataDir, 'replay-clips'), apiBase });
  await localClips.load();
  // Each token's connection gets its own TURN credentials (TURN_URLS + TURN_SECRET); the secret stays here.
  const turnCredentials =
    config.turnUrls.length && config.turnSecret
      ? new TurnCredentials({ urls: config.turnUrls, secret: config.turnSecret, seconds: config.turnCredentialSeconds })
      : undefined;
  const gateway = new OpenViduGateway({
    url: config.openviduUrl,
    secret: config.openviduSecret,
    timeoutMs: config.openviduTimeoutMs,
    clip: config.clip,
    apiBase,
    // Every clip the server answers or publishes carries its name and trim; a clip OpenVidu no longer has loses them.
    decorate: (clip) => clipMeta.apply(clip),
    onClipGone: (clipId) => void clipMeta.delete(clipId).catch((err) => app.log.warn({ err, clipId }, 'clip metadata removal failed')),
    local: localClips,
    iceServers: turnCredentials && (() => turnCredentials.forConnection()),
  });
  const bus = new EventBus();
  const snapshots = new SnapshotStore({
    dir: `${config.dataDir}/snapshots`,
    maxBytes: config.snapshotMaxBytes,
    maxImage: { width: config.snapshotMaxWidth, height: config.snapshotMaxHeight, pixels: config.snapshotMaxPixels },
  });
  await snapshots.load();
  const cutter = new ClipCutter({ gateway, store: clipMeta, ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath, log: app.log });
  const clips = new ClipEvents(gateway, bus, app.log);
  const replay = new ReplayService({ config, gateway, bus, clips, local: localClips, log: app.log });
  // Nothing of a room's buffer outlives the room: what a stop of the server left is cleaned up now.
  await replay.recover();
  const services: Services = {
    config,
    gateway,
    bus,
    clips,
    snapshots,
    clipMeta,
    cutter,
    localClips,
    replay,
    accessPasses: config.backendSecret ? new AccessPasses({ secret: config.backendSecret, seconds: config.accessSeconds }) : undefined,
    openviduKind: opts.openviduKind ?? 'remote',
  };
  app.decorate('services', services);

  // An empty JSON body (e.g. a DELETE sent with a JSON Content-Type) is no body, not an error.
  app.removeContentTypeParser('application/json');
  app.removeContentTypeParser('text/plain'); // JSON routes take application/json only: text/plain → 415, not 400
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, sjson.parse(body as string, { protoAction: 'error', constructorAction: 'error' }));
    } catch {
      done(errors.validation('The body is not valid JSON'), undefined);
    }
  });

  for (const schema of [ErrorReply, Clip, ClipList, ClipShare, Snapshot, SnapshotList, Replay]) app.addSchema(schema);

  // Before any plugin, so errors from plugins' own routes (CORS preflight, docs) get the same JSON shape.
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, request, reply) => {
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if (err.validation) e = errors.validation(err.message);
    else if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new ApiError(413, 'OV_BODY_TOO_LARGE', 'The request body is too large');
    else if (err.statusCode === 415 || err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      e = new ApiError(415, 'OV_UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type');
    else if (err.statusCode === 429) e = new ApiError(429, 'OV_RATE_LIMITED', 'Too many requests; slow down');
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) e = new ApiError(err.statusCode, 'OV_BAD_REQUEST', err.message);
    else {
      request.log.error({ err }, 'request failed');
      e = errors.internal(); // never the internal message
    }
    if (e.statusCode >= 500 && err instanceof ApiError) request.log.warn({ code: e.code }, e.message);
    void reply.code(e.statusCode).type('application/json').send(e.toJSON());
  });
  app.setNotFoundHandler((_request, reply) => {
    const e = errors.routeNotFound();
    void reply.code(404).send(e.toJSON());
  });

  // @fastify/helmet's headers, computed once at start (helmet itself rebuilds them on every request).
  await app.register(securityHeadersPlugin, referenceServerHeaders(config.corsOrigins.length > 0));
  await app.register(cors, {
    origin: config.corsOrigins.length === 0 ? false : config.corsOrigins.includes('*') ? true : config.corsOrigins,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
  });
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'ov-live-elements reference server',
        version: '0.1.0',
        description: 'Tokens, clips, snapshots and live events for <ov-live-room>, <ov-clip-list> and <ov-snapshot-button>.',
      },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  // swagger-ui's own routes: their access check is the docs action, like /api/openapi.json.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/docs')) route.config = { ...(route.config as object), action: 'docs:read' };
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
  });
  // Before authorize: a forged cross-site request is refused on its headers, before the host's hook reads its cookies.
  await app.register(sameOriginPlugin, { corsOrigins: config.corsOrigins });
  const builtIn: Authorize = config.backendSecret ? backendAuthorize({ secret: config.backendSecret, passes: services.accessPasses }) : () => true;
  await app.register(authorizePlugin, { authorize: opts.authorize ?? builtIn });

  await app.register(sessionRoutes);
  await app.register(clipRoutes);
  await app.register(shareRoutes);
  await app.register(watchRoutes);
  await app.register(snapshotRoutes);
  await app.register(eventRoutes);
  await app.register(replayRoutes);
  await app.register(webhookRoutes);
  await app.register(healthRoutes);
  await app.register(pageRoutes, { embedOrigins: config.embedOrigins });

  app.addHook('onClose', async () => {
    // First, while OpenVidu still answers: buffers end (their recordings deleted, running clips cut, folders removed).
    await replay.close();
    services.clips.close();
    services.cutter.close();
  });
  return app;
}
