import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.js';

/** Methods that change nothing; everything else is checked. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Fetch metadata that says the request came from our own pages, or from the user (address bar, bookmark). */
const OWN_SITE = new Set(['same-origin', 'none']);

const crossSite = () =>
  new ApiError(403, 'OV_CROSS_SITE', "Requests from pages on other sites are refused; list the page's origin in CORS_ORIGINS to allow it");

/** The origin in a header value, normalised (`http://a.example:80` → `http://a.example`); undefined for `null` or junk. */
function originOf(value: string): string | undefined {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** The origin this request was sent to: its scheme and Host (or HTTP/2 `:authority`; the forwarded ones with trustProxy). */
function ownOrigin(request: FastifyRequest): string | undefined {
  return request.host ? originOf(`${request.protocol}://${request.host}`) : undefined;
}

/**
 * Cross-site request forgery guard. A page on another site can send a POST without a CORS preflight (a form, or
 * `fetch` with `mode: 'no-cors'` and no body) and the browser adds the visitor's cookies, so a cookie-based
 * `authorize` hook alone would let it start clips or delete snapshots. Every state-changing request (any method but
 * GET, HEAD and OPTIONS) is refused with 403 `OV_CROSS_SITE` when its `Origin` is neither this server's own origin
 * nor listed in `CORS_ORIGINS`, or when it has no `Origin` but its `Sec-Fetch-Site` says another site sent it.
 * Requests with neither header are not from a browser page (curl, OpenVidu's webhook, openvidu-node-client) and pass.
 *
 * It runs in `onRequest` before the `authorize` hook: a forged request is refused on its headers alone, before the
 * host's hook looks up the cookies it carries (or logs, counts or otherwise acts on them), and before any body is read.
 */
export const sameOriginPlugin = fp(
  async (app: FastifyInstance, opts: { corsOrigins: string[] }) => {
    if (opts.corsOrigins.includes('*')) return; // every origin may call the API, changes included
    const listed = new Set(opts.corsOrigins);
    app.addHook('onRequest', async (request) => {
      if (SAFE.has(request.method)) return;
      const origin = request.headers.origin;
      const site = request.headers['sec-fetch-site'];
      if (origin === undefined) {
        if (site === undefined || OWN_SITE.has(site)) return;
      } else {
        const o = originOf(origin);
        if (o && (listed.has(o) || o === ownOrigin(request))) return;
      }
      request.log.info({ origin, secFetchSite: site, own: ownOrigin(request) }, 'cross-site request refused');
      throw crossSite();
    });
  },
  { name: 'ov-same-origin' },
);
