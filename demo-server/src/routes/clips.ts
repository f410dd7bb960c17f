import { Readable } from 'node:stream';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClipParams, SessionParams, emptyBodyIsObject, errorResponses } from '../schemas/common.js';
import { StartClipBody } from '../schemas/clips.js';
import { NoQuery } from '../schemas/snapshots.js';
import type { Resource } from '../plugins/authorize.js';

const clipResource = (req: FastifyRequest): Resource => {
  const id = (req.params as { clipId: string }).clipId;
  // Recording ids start with the session id: `room` or `room~3`.
  return { type: 'clip', id, sessionId: id.replace(/~\d+$/, '') };
};
const sessionResource = (req: FastifyRequest): Resource => ({ type: 'session', id: (req.params as { sessionId: string }).sessionId });

/** Headers worth passing on from OpenVidu's file response. */
const PASSED_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'last-modified', 'etag'];

export const clipRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { gateway, clips } = app.services;

  app.get('/api/sessions/:sessionId/clips', {
    schema: {
      summary: "List a room's clips, newest first",
      tags: ['clips'],
      params: SessionParams,
      querystring: NoQuery,
      response: { 200: Type.Ref('ClipList'), ...errorResponses(400, 403, 502, 503) },
    },
    config: { action: 'clip:list', resource: sessionResource },
    handler: async (request) => ({ clips: await gateway.listClips(request.params.sessionId) }),
  });

  app.post('/api/sessions/:sessionId/clips', {
    schema: {
      summary: 'Start recording a clip of the live room',
      tags: ['clips'],
      params: SessionParams,
      querystring: NoQuery,
      body: StartClipBody,
      response: { 201: Type.Ref('Clip'), ...errorResponses(400, 403, 409, 502, 503) },
    },
    config: { action: 'clip:start', resource: sessionResource },
    preValidation: emptyBodyIsObject,
    handler: async (request, reply) => {
      const clip = await gateway.startClip(request.params.sessionId, request.body.name);
      clips.publish(clip);
      return reply.code(201).send(clip);
    },
  });

  app.post('/api/clips/:clipId/stop', {
    schema: {
      summary: 'Stop a clip (idempotent)',
      description: 'Answers the clip as `processing`, or `ready` when it already is. A `clip` event follows when it becomes ready.',
      tags: ['clips'],
      params: ClipParams,
      querystring: NoQuery,
      response: { 200: Type.Ref('Clip'), ...errorResponses(400, 403, 404, 409, 502, 503) },
    },
    config: { action: 'clip:stop', resource: clipResource },
    handler: async (request) => {
      const clip = await gateway.stopClip(request.params.clipId);
      clips.publish(clip);
      return clip;
    },
  });

  app.get('/api/clips/:clipId', {
    schema: {
      summary: 'One clip',
      tags: ['clips'],
      params: ClipParams,
      querystring: NoQuery,
      response: { 200: Type.Ref('Clip'), ...errorResponses(400, 403, 404, 502, 503) },
    },
    config: { action: 'clip:read', resource: clipResource },
    handler: async (request) => gateway.getClip(request.params.clipId),
  });

  app.delete('/api/clips/:clipId', {
    schema: {
      summary: 'Delete a clip and its files',
      tags: ['clips'],
      params: ClipParams,
      querystring: NoQuery,
      response: { 204: Type.Null(), ...errorResponses(400, 403, 404, 409, 502, 503) },
    },
    config: { action: 'clip:delete', resource: clipResource },
    handler: async (request, reply) => {
      const clip = await gateway.getClip(request.params.clipId);
      await gateway.deleteClip(clip.id);
      clips.deleted(clip.sessionId, clip.id, clip.createdAt);
      return reply.code(204).send(null);
    },
  });

  const fileRoute = (kind: 'media' | 'thumbnail') => async (request: FastifyRequest<{ Params: { clipId: string } }>, reply: FastifyReply) => {
    const range = typeof request.headers.range === 'string' ? request.headers.range : undefined;
    const upstream = await gateway.fetchClipFile(request.params.clipId, kind, range);
    reply.code(upstream.status);
    for (const h of PASSED_HEADERS) {
      const v = upstream.headers.get(h);
      if (v) reply.header(h, v);
    }
    reply.header('cache-control', 'private, max-age=3600');
    if (!upstream.body) return reply.send();
    const body = Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream);
    request.raw.on('close', () => body.destroy());
    return reply.send(body);
  };

  app.get('/api/clips/:clipId/media', {
    schema: {
      summary: "The clip's video (MP4, H.264 + AAC)",
      description: 'Supports `Range` requests (206) for seeking.',
      tags: ['clips'],
      params: ClipParams,
      querystring: NoQuery,
      response: { ...errorResponses(400, 403, 404, 409, 416, 503) },
    },
    config: { action: 'clip:read', resource: clipResource },
    handler: fileRoute('media'),
  });

  app.get('/api/clips/:clipId/thumbnail', {
    schema: {
      summary: "The clip's thumbnail (JPEG)",
      tags: ['clips'],
      params: ClipParams,
      querystring: NoQuery,
      response: { ...errorResponses(400, 403, 404, 409, 503) },
    },
    config: { action: 'clip:read', resource: clipResource },
    handler: fileRoute('thumbnail'),
  });
};
