import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ApiError, errors } from '../errors.js';
import type { Resource } from '../plugins/authorize.js';
import { ClipParams, clipSessionId, errorResponses } from '../schemas/common.js';
import { ShareClipBody } from '../schemas/clips.js';
import { NoQuery } from '../schemas/snapshots.js';
import { shareKeyRing, shareQuery } from '../services/share-links.js';

/** A link's life when the request does not say: long enough to reach someone over a weekend. */
export const SHARE_DEFAULT_SECONDS = 7 * 86_400;

const clipResource = (req: FastifyRequest): Resource => {
  const id = (req.params as { clipId: string }).clipId;
  return { type: 'clip', id, sessionId: clipSessionId(id) };
};

/** A host name with an optional port, as a Host header may carry it (a name, IPv4, or bracketed IPv6). */
const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

/**
 * Where absolute links point: PUBLIC_URL, or this request's own scheme and host (X-Forwarded-* only when the host
 * set `trustProxy`). A Host header that is not a host is refused rather than written into a link.
 */
export function publicBase(request: FastifyRequest): string {
  const configured = request.server.services.config.publicUrl;
  if (configured) return configured;
  if (!HOST_RE.test(request.host)) throw errors.validation('The Host header is not a host name; set PUBLIC_URL for share links');
  return `${request.protocol}://${request.host}`;
}

/** POST /api/clips/:clipId/share: a signed, expiring link to the clip's public watch page. DELETE: revoke them all. */
export const shareRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const services = app.services;
  const { gateway, clipMeta, config } = services;
  const ring = await shareKeyRing(services); // at start: a bad key file stops the server here

  app.post('/api/clips/:clipId/share', {
    schema: {
      summary: "A link to the clip's public watch page",
      description:
        'Anyone with the link can watch the clip (and its trim) without joining the room, until it expires or the links are revoked. ' +
        `The URL is \`<PUBLIC_URL or this server>/watch/<clipId>?exp=<unix seconds>&sig=<HMAC, base64url>\`. The clip must be ready.`,
      tags: ['clips'],
      params: ClipParams,
      querystring: NoQuery,
      body: ShareClipBody,
      response: { 201: Type.Ref('ClipShare'), ...errorResponses(400, 403, 404, 409, 413, 415, 502, 503) },
    },
    config: { action: 'clip:share', resource: clipResource },
    preValidation: async (request) => {
      const body = (request.body ?? {}) as { expiresIn?: unknown };
      request.body = body as typeof request.body;
      // The server's ajv coerces types ("3600", [3600], true); a link's life is a JSON number or nothing.
      if (body && typeof body === 'object' && 'expiresIn' in body && typeof body.expiresIn !== 'number')
        throw errors.validation('body/expiresIn must be an integer number of seconds');
    },
    handler: async (request, reply) => {
      const expiresIn = request.body.expiresIn ?? SHARE_DEFAULT_SECONDS;
      if (expiresIn > config.shareMaxSeconds) throw errors.validation(`body/expiresIn must be at most ${config.shareMaxSeconds} seconds`);
      const base = publicBase(request);
      const clip = await gateway.getClip(request.params.clipId);
      if (clip.status !== 'ready') throw new ApiError(409, 'OV_CLIP_NOT_READY', `Clip ${clip.id} is not ready yet`);
      const salt = await clipMeta.shareSalt(clip, true);
      if (!salt) throw errors.internal();
      const exp = Math.floor(Date.now() / 1000) + expiresIn;
      const url = `${base}/watch/${encodeURIComponent(clip.id)}?${shareQuery(exp, ring.sign(clip.id, exp, salt))}`;
      return reply.code(201).send({ clipId: clip.id, url, expiresAt: exp * 1000 });
    },
  });

  app.delete('/api/clips/:clipId/share', {
    schema: {
      summary: "Revoke every link to the clip's watch page",
      description: 'Links made before stop working at once (403); links made after work as usual.',
      tags: ['clips'],
      params: ClipParams,
      querystring: NoQuery,
      response: { 204: Type.Null(), ...errorResponses(400, 403, 404, 502, 503) },
    },
    config: { action: 'clip:share', resource: clipResource },
    handler: async (request, reply) => {
      const clip = await gateway.getClip(request.params.clipId);
      await clipMeta.revokeShares(clip);
      return reply.code(204).send(null);
    },
  });
};
