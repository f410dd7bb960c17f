import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { FastifyError, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError, errors } from '../errors.js';
import { SessionParams, SnapshotParams, errorResponses } from '../schemas/common.js';
import { CreateSnapshotQuery, NoQuery } from '../schemas/snapshots.js';
import { SnapshotRejectedError } from '../services/snapshot-store.js';
import type { Resource } from '../plugins/authorize.js';

/** Content-Types an upload may declare; the stored type always comes from the bytes. */
export const SNAPSHOT_UPLOAD_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream'];
/** Ids are never reused and a snapshot never changes, so its image can be cached for good. */
const IMMUTABLE = 'private, max-age=31536000, immutable';

const unsupported = () =>
  new ApiError(
    415,
    'OV_SNAPSHOT_UNSUPPORTED',
    'Send a JPEG, PNG or WebP image as the request body (Content-Type image/jpeg, image/png, image/webp or application/octet-stream)',
  );

function rejectionToApiError(err: SnapshotRejectedError, maxBytes: number): ApiError {
  switch (err.reason) {
    case 'empty':
      return new ApiError(400, 'OV_SNAPSHOT_EMPTY', 'The request body is empty: send the image bytes');
    case 'too-large':
      return new ApiError(413, 'OV_SNAPSHOT_TOO_LARGE', `The image is larger than ${maxBytes} bytes`);
    case 'unsupported':
      return unsupported();
    case 'unreadable':
      return new ApiError(400, 'OV_SNAPSHOT_INVALID', err.message);
    case 'too-many-pixels':
      return new ApiError(400, 'OV_IMAGE_TOO_LARGE', err.message);
    case 'invalid-input':
      return errors.validation(err.message);
  }
}

const sessionParam = (request: FastifyRequest) => (request.params as { sessionId: string }).sessionId;
const snapshotParam = (request: FastifyRequest) => (request.params as { snapshotId: string }).snapshotId;

/** The binary image in OpenAPI terms. Never used to serialize (Fastify sends streams and buffers as they are). */
const imageBody = { schema: Type.Unsafe<Readable | Buffer>({ type: 'string', format: 'binary' }) };

/**
 * Snapshots: still images of a room (a frame of a video, taken by `<ov-snapshot-button>`), uploaded as raw bytes,
 * listed per room, served with long-lived caching, and deleted. Saves and deletes are published on the event bus.
 */
export const snapshotRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { snapshots, bus, config } = app.services;
  /** A snapshot route's resource: the id, and the room it belongs to when it exists. */
  const snapshotResource = (request: FastifyRequest): Resource => {
    const id = snapshotParam(request);
    return { type: 'snapshot', id, sessionId: snapshots.get(id)?.snapshot.sessionId };
  };

  // The upload route gets its own scope: only image bodies are parsed there (as raw buffers), and nothing else.
  await app.register(async (scope) => {
    const upload = scope.withTypeProvider<TypeBoxTypeProvider>();
    upload.removeAllContentTypeParsers();
    upload.addContentTypeParser(SNAPSHOT_UPLOAD_TYPES, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    upload.post(
      '/api/sessions/:sessionId/snapshots',
      {
        bodyLimit: config.snapshotMaxBytes,
        schema: {
          summary: 'Upload a snapshot',
          description:
            'The body is the image itself (JPEG, PNG or WebP, recognised by its bytes whatever the declared Content-Type). ' +
            'Its displayed size must fit SNAPSHOT_MAX_WIDTH, SNAPSHOT_MAX_HEIGHT and SNAPSHOT_MAX_PIXELS (400 `OV_IMAGE_TOO_LARGE` otherwise). ' +
            'Publishes a `snapshot` event on the session.',
          tags: ['snapshots'],
          consumes: SNAPSHOT_UPLOAD_TYPES,
          params: SessionParams,
          querystring: CreateSnapshotQuery,
          body: Type.Unsafe<Buffer | undefined>({ description: 'The image bytes' }),
          response: { 201: Type.Ref('Snapshot'), ...errorResponses(400, 403, 413, 415, 429, 500) },
        },
        config: {
          action: 'snapshot:create',
          resource: (request) => ({ type: 'session', id: sessionParam(request), sessionId: sessionParam(request) }),
          rateLimit: { max: config.rateLimitPerMinute, timeWindow: '1 minute' },
        },
        // Body errors of this route get snapshot codes; everything else goes on to the app's error handler.
        errorHandler: (err: FastifyError) => {
          if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413)
            throw new ApiError(413, 'OV_SNAPSHOT_TOO_LARGE', `The image is larger than ${config.snapshotMaxBytes} bytes`);
          if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.statusCode === 415) throw unsupported();
          throw err;
        },
      },
      async (request, reply) => {
        const { sessionId } = request.params;
        const body = request.body;
        if (!Buffer.isBuffer(body) || body.length === 0) throw new ApiError(400, 'OV_SNAPSHOT_EMPTY', 'The request body is empty: send the image bytes');
        let snapshot;
        try {
          snapshot = await snapshots.save(sessionId, body, { name: request.query.name, streamId: request.query.streamId });
        } catch (err) {
          if (err instanceof SnapshotRejectedError) throw rejectionToApiError(err, config.snapshotMaxBytes);
          throw err;
        }
        request.log.info({ snapshotId: snapshot.id, sessionId, size: snapshot.size }, 'snapshot saved');
        bus.publish(sessionId, 'snapshot', snapshot);
        return reply.code(201).header('location', snapshot.url).send(snapshot);
      },
    );
  });

  app.get(
    '/api/sessions/:sessionId/snapshots',
    {
      schema: {
        summary: "A session's snapshots, newest first",
        tags: ['snapshots'],
        params: SessionParams,
        querystring: NoQuery,
        response: { 200: Type.Ref('SnapshotList'), ...errorResponses(400, 403, 500) },
      },
      config: {
        action: 'snapshot:list',
        resource: (request) => ({ type: 'session', id: sessionParam(request), sessionId: sessionParam(request) }),
      },
    },
    async (request) => ({ snapshots: snapshots.list(request.params.sessionId) }),
  );

  app.get(
    '/api/snapshots/:snapshotId',
    {
      schema: {
        summary: 'The image of a snapshot',
        description: 'Served with `Cache-Control: immutable`: a snapshot never changes and ids are never reused.',
        tags: ['snapshots'],
        params: SnapshotParams,
        querystring: NoQuery,
        response: {
          200: { description: 'The image bytes', content: { 'image/jpeg': imageBody, 'image/png': imageBody, 'image/webp': imageBody } },
          304: Type.Null({ description: 'Not modified (If-None-Match)' }),
          ...errorResponses(400, 403, 404, 500),
        },
      },
      config: {
        action: 'snapshot:read',
        resource: snapshotResource,
      },
    },
    async (request, reply) => {
      const { snapshotId } = request.params;
      const entry = snapshots.get(snapshotId);
      if (!entry) throw errors.notFound('snapshot', snapshotId);
      const { snapshot, file } = entry;
      const etag = `"${snapshot.id}"`;
      void reply.header('cache-control', IMMUTABLE).header('etag', etag);
      const ifNoneMatch = request.headers['if-none-match'];
      if (ifNoneMatch && (ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag))) {
        return reply.code(304).send(null);
      }
      let fh: FileHandle;
      try {
        fh = await open(file, 'r');
      } catch {
        throw errors.notFound('snapshot', snapshotId); // deleted meanwhile
      }
      let size: number;
      try {
        size = (await fh.stat()).size;
      } catch (err) {
        await fh.close().catch(() => {});
        throw err;
      }
      return reply
        .code(200)
        .type(snapshot.contentType)
        .header('content-length', size)
        .header('content-disposition', `inline; filename="${snapshot.id}.${file.slice(file.lastIndexOf('.') + 1)}"`)
        .send(fh.createReadStream());
    },
  );

  app.delete(
    '/api/snapshots/:snapshotId',
    {
      schema: {
        summary: 'Delete a snapshot',
        description: 'Publishes a `snapshot-deleted` event on its session.',
        tags: ['snapshots'],
        params: SnapshotParams,
        querystring: NoQuery,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 403, 404, 500) },
      },
      config: {
        action: 'snapshot:delete',
        resource: snapshotResource,
      },
    },
    async (request, reply) => {
      const { snapshotId } = request.params;
      const entry = snapshots.get(snapshotId);
      if (!entry || !(await snapshots.delete(snapshotId))) throw errors.notFound('snapshot', snapshotId);
      const { sessionId } = entry.snapshot;
      request.log.info({ snapshotId, sessionId }, 'snapshot deleted');
      bus.publish(sessionId, 'snapshot-deleted', { id: snapshotId, sessionId });
      return reply.code(204).send(null);
    },
  );
};
