// helmet's security headers, computed once. @fastify/helmet builds every helmet middleware again on each request
// (the CSP directives parsed anew): on the token route a quarter of what a request allocates and ~5 % of its CPU.
// With static options (no nonces, no per-request directives) the headers are the same on every answer, so this
// plugin asks @fastify/helmet for them once, at start, and sets them where it would (a global onRequest hook).
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';

/** The headers @fastify/helmet sets on an answer with these options (names lower-case), asked of it once. */
export async function helmetHeaders(options: FastifyHelmetOptions): Promise<Array<[string, string]>> {
  const csp = options.contentSecurityPolicy;
  const directives = csp && typeof csp === 'object' ? Object.values(csp.directives ?? {}) : [];
  const perRequest = directives.some((d) => typeof d === 'function' || (Array.isArray(d) && d.some((e) => typeof e === 'function')));
  if (options.enableCSPNonces || perRequest) throw new Error('security headers: per-request values (nonces, directive functions) need @fastify/helmet itself');
  const probe = async (withHelmet: boolean) => {
    const app = Fastify({ logger: false });
    if (withHelmet) await app.register(helmet, options);
    app.get('/', async () => '');
    const res = await app.inject({ url: '/' });
    await app.close();
    return res.headers;
  };
  const [plain, helmeted] = [await probe(false), await probe(true)];
  // Helmet's own: those an answer without it lacks (Fastify's date, length and type are not helmet's).
  return Object.entries(helmeted)
    .filter(([name, value]) => !(name in plain) && value !== undefined)
    .map(([name, value]) => [name, String(value)]);
}

/** A drop-in for `app.register(helmet, options)` with static options: the same headers, computed once. */
export const securityHeadersPlugin = fp(
  async (app: FastifyInstance, options: FastifyHelmetOptions) => {
    const headers = await helmetHeaders(options);
    app.addHook('onRequest', (_request, reply, done) => {
      for (const [name, value] of headers) reply.raw.setHeader(name, value);
      done();
    });
  },
  { name: 'security-headers' },
);

/** The reference server's helmet options; `corsOpen`: CORS_ORIGINS lists other sites. */
export function referenceServerHeaders(corsOpen: boolean): FastifyHelmetOptions {
  return {
    // The demo page loads the element bundle from this origin and connects to OpenVidu's WebSocket, which may
    // live on another origin; media streams come from blob: URLs.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'", 'ws:', 'wss:', 'http:', 'https:'],
        mediaSrc: ["'self'", 'blob:'],
        imgSrc: ["'self'", 'data:', 'blob:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        // Not upgraded: the demo runs over plain HTTP on 127.0.0.1, and OpenVidu's ws:// URL must stay ws://.
        upgradeInsecureRequests: null,
      },
    },
    crossOriginEmbedderPolicy: false,
    // Pages on the origins allowed by CORS_ORIGINS also show thumbnails, clips and snapshots in <img>/<video>.
    crossOriginResourcePolicy: { policy: corsOpen ? 'cross-origin' : 'same-origin' },
  };
}
