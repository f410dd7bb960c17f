// The built-in authorization when BACKEND_SECRET is set: only the backend holding the secret creates tokens, and
// every write shows the access pass that came with a token of its room. Reads stay open, as without a secret.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Action, Authorize, Resource } from './authorize.js';
import { AccessPassError, AccessPasses, type AccessClaims, type Permission } from '../services/access-pass.js';

/**
 * What each action needs: the backend's secret, a pass with a permission, or nothing. A Record over every action,
 * so a new action does not compile until it is placed here.
 */
const NEEDS: Record<Action, 'backend' | Permission | 'open'> = {
  'token:create': 'backend',
  'clip:start': 'clip',
  'clip:stop': 'clip',
  'clip:delete': 'clip',
  'clip:rename': 'clip',
  'clip:trim': 'clip',
  'clip:share': 'clip',
  'replay:start': 'clip',
  'replay:stop': 'clip',
  'snapshot:create': 'snapshot',
  'snapshot:delete': 'snapshot',
  'clip:list': 'open',
  'clip:read': 'open',
  'share:watch': 'open', // the share link's signature is checked by the route
  'snapshot:list': 'open',
  'snapshot:read': 'open',
  'events:read': 'open',
  'replay:read': 'open',
  'webhook:receive': 'open', // WEBHOOK_TOKEN is checked by the route
  'health:read': 'open',
  'docs:read': 'open',
  'page:read': 'open',
};

/** The credential of `Authorization: Bearer <credential>`, or undefined (absent, another scheme, or over 4 KB). */
export function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || header.length > 4096) return undefined;
  return /^Bearer +([\x21-\x7e]+) *$/i.exec(header)?.[1];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether the request shows `Authorization: Bearer <secret>`; compared in constant time (length included). */
export function presentsSecret(request: FastifyRequest, secret: string): boolean {
  const given = bearer(request);
  return given !== undefined && timingSafeEqual(digest(given), digest(secret));
}

const passes = new WeakMap<FastifyRequest, AccessClaims>();

/** The verified access pass of a request that `backendAuthorize` allowed with one (for a host's own checks or logs). */
export function accessOf(request: FastifyRequest): AccessClaims | undefined {
  return passes.get(request);
}

const roomOf = (resource: Resource) => (resource.type === 'session' ? resource.id : resource.sessionId);

/**
 * The `authorize` hook of a server that trusts one backend. `secret`: BACKEND_SECRET; `passes`: the verifier of
 * access passes (default: one keyed from the same secret, as the token route's). A host composes it with its own:
 * `authorize: async (req, action, res) => (await mine(req, action, res)) && (await backend(req, action, res))`.
 */
export function backendAuthorize(opts: { secret: string; passes?: AccessPasses }): Authorize {
  const verifier = opts.passes ?? new AccessPasses({ secret: opts.secret });
  return (request, action, resource) => {
    const need = NEEDS[action];
    if (need === 'open') return true;
    if (need === 'backend') {
      if (presentsSecret(request, opts.secret)) return true;
      request.log.info({ action }, 'refused: only the backend (Authorization: Bearer BACKEND_SECRET) may do this');
      return false;
    }
    if (need === undefined) return false; // not a known action: fail closed
    const refuse = (reason: string) => {
      request.log.info({ action, reason }, 'refused: no valid access pass');
      return false;
    };
    const pass = bearer(request);
    if (pass === undefined) return refuse('no access pass');
    let claims: AccessClaims;
    try {
      claims = verifier.verify(pass);
    } catch (err) {
      return refuse(err instanceof AccessPassError ? err.reason : 'invalid');
    }
    // A snapshot that does not exist has no room: nothing to check the pass against.
    const room = roomOf(resource);
    if (room === undefined || claims.room !== room) return refuse('the pass is for another room');
    if (!claims.permissions.includes(need)) return refuse(`the pass lacks the '${need}' permission`);
    passes.set(request, claims);
    return true;
  };
}
