import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { errors } from '../errors.js';

/** What a request wants to do. Host sites switch on these in their `authorize` hook. */
export type Action =
  | 'token:create'
  | 'clip:start'
  | 'clip:stop'
  | 'clip:read'
  | 'clip:list'
  | 'clip:delete'
  | 'clip:rename'
  | 'clip:trim' // trim and restore the original
  | 'clip:share' // create a share link, or revoke them all
  | 'share:watch' // a share link's public watch page and its media (the signature is checked too)
  | 'snapshot:create'
  | 'snapshot:read'
  | 'snapshot:list'
  | 'snapshot:delete'
  | 'events:read'
  | 'replay:read' // a room's replay buffer state
  | 'replay:start' // turn a room's replay buffer on: its media is then kept for REPLAY_SECONDS
  | 'replay:stop'
  | 'webhook:receive'
  | 'health:read'
  | 'docs:read'
  | 'page:read';

export interface Resource {
  type: 'session' | 'clip' | 'snapshot' | 'server';
  id?: string;
  sessionId?: string;
}

/**
 * The host's hook, called for every route before its handler. Return false (or throw) to refuse with 403.
 * The default allows everything: the demo has no users. A real site checks its own session cookie or header here.
 */
export type Authorize = (request: FastifyRequest, action: Action, resource: Resource) => boolean | Promise<boolean>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route declares its action; routes without one are refused (so a forgotten one fails closed). */
    action?: Action;
    /** Builds the resource from the request (params are validated by then). */
    resource?: (request: FastifyRequest) => Resource;
  }
}

export const authorizePlugin = fp(
  async (app: FastifyInstance, opts: { authorize: Authorize }) => {
    // onRequest: before the body is read or validated, so a refused client learns nothing about the schema and
    // cannot make the server read a large upload. Params are routed but not yet validated here.
    app.addHook('onRequest', async (request) => {
      const config = request.routeOptions.config;
      if (!request.routeOptions.url) return; // the not-found handler
      const action = config.action;
      if (!action) throw errors.forbidden();
      const resource = config.resource ? config.resource(request) : { type: 'server' as const };
      let allowed = false;
      try {
        allowed = (await opts.authorize(request, action, resource)) === true;
      } catch (err) {
        request.log.warn({ err, action }, 'authorize hook threw: refusing');
      }
      if (!allowed) throw errors.forbidden();
    });
  },
  { name: 'ov-authorize' },
);
