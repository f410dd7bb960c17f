import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ClipParams, SessionParams, emptyBodyIsObject, errorResponses } from '../schemas/common.js';
import { MediaQuery, RenameClipBody, ThumbnailQuery, StartClipBody, TrimClipBody, type Clip } from '../schemas/clips.js';
import { NoQuery } from '../schemas/snapshots.js';
import type { Resource } from '../plugins/authorize.js';
import { proxyClipFile, sendClipFile } from '../services/clip-media.js';
import { ApiError, errors } from '../errors.js';
import { ClipNameError, normalizeClipName } from '../services/recording-to-clip.js';
import { isLocalClipId } from '../services/local-clips.js';

const clipResource = (req: FastifyRequest): Resource => {
  const id = (req.params as { clipId: string }).clipId;
  // Clip ids start with the session id: `room` or `room~3` (OpenVidu's), `room~rk3x9a0bz` (a local clip).
  return { type: 'clip', id, sessionId: id.replace(/~(?:[0-9]{1,6}|r[a-z0-9]{8})$/, '') };
};
const sessionResource = (req: FastifyRequest): Resource => ({ type: 'session', id: (req.params as { sessionId: string }).sessionId });

/** A clip name by the rename rules, or a 400 that says which rule it broke. */
function clipName(raw: string): string {
  try {
    return normalizeClipName(raw);
  } catch (err) {
    throw err instanceof ClipNameError ? errors.validation(err.message) : err;
  }
}

/** Seconds an out point may pass the recorded duration (a player's rounding). */
const END_TOLERANCE_S = 0.05;
const MIN_TRIM_S = 0.5;

/**
 * The app coerces JSON types (`"5"` → 5) for its schemas; an edit takes JSON numbers and strings only, as sent by
 * the elements, so a wrong type is refused with a clear message instead of guessed.
 */
const strictTypes = (types: Record<string, 'number' | 'string'>) => async (request: { body: unknown }) => {
  const body = request.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return; // the schema refuses it
  for (const [k, t] of Object.entries(types))
    if (Object.hasOwn(body, k) && typeof body[k] !== t) throw errors.validation(`body/${k} must be a ${t}${t === 'number' ? ' (seconds)' : ''}`);
};

/** Metadata of clips missing from a room's list goes only if they started this long before the list was asked for. */
const PRUNE_MARGIN_MS = 5 * 60_000;

export const clipRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { services } = app;
  const { gateway, clips, clipMeta, replay } = services;

  /** The clip after an edit, told to everyone. */
  const edited = (clip: Clip) => {
    const updated = clipMeta.apply(clip);
    clips.updated(updated);
    return updated;
  };

  app.get('/api/sessions/:sessionId/clips', {
    schema: {
      summary: "List a room's clips, newest first",
      tags: ['clips'],
      params: SessionParams,
      querystring: NoQuery,
      response: { 200: Type.Ref('ClipList'), ...errorResponses(400, 403, 502, 503) },
    },
    config: { action: 'clip:list', resource: sessionResource },
    handler: async (request) => {
      const asked = Date.now();
      const list = await gateway.listClips(request.params.sessionId);
      // Clips deleted in OpenVidu directly: their metadata goes too (in the background).
      clipMeta.prune(request.params.sessionId, list, asked - PRUNE_MARGIN_MS).catch((err) => request.log.warn({ err }, 'clip metadata prune failed'));
      return { clips: list };
    },
  });

  app.post('/api/sessions/:sessionId/clips', {
    schema: {
      summary: 'Start recording a clip of the live room, or clip its last seconds',
      description:
        '`{replaySeconds}`: the last `replaySeconds` of the room (what its replay buffer holds, when less), answered `ready`; 409 `REPLAY_OFF` when ' +
        'the room has no buffer, 409 `REPLAY_EMPTY` when it holds nothing yet. Without it, a clip `recording` until stopped; in a room whose replay ' +
        'buffer runs it is cut from the buffer when it stops.',
      tags: ['clips'],
      params: SessionParams,
      querystring: NoQuery,
      body: StartClipBody,
      response: { 201: Type.Ref('Clip'), ...errorResponses(400, 403, 409, 429, 500, 502, 503) },
    },
    config: { action: 'clip:start', resource: sessionResource, rateLimit: { max: services.config.rateLimitPerMinute, timeWindow: '1 minute' } },
    preValidation: [emptyBodyIsObject, strictTypes({ replaySeconds: 'number' })],
    handler: async (request, reply) => {
      const { sessionId } = request.params;
      const { replaySeconds } = request.body;
      // The rename rules: a clip cut from a replay buffer keeps the name as given, so it is checked here, once.
      const name = request.body.name === undefined ? undefined : clipName(request.body.name);
      // A replay clip and a clip in a buffered room are the server's own (published by the replay service).
      if (replaySeconds !== undefined) return reply.code(201).send(await replay.clipLast(sessionId, replaySeconds, name));
      if (replay.buffering(sessionId)) return reply.code(201).send(await replay.startUserClip(sessionId, name));
      const clip = await gateway.startClip(sessionId, name);
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
      const { clipId } = request.params;
      if (isLocalClipId(clipId)) return replay.stopUserClip(clipId);
      const clip = await gateway.stopClip(clipId);
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
      summary: 'Delete a clip and its files (its name, trim and share links too)',
      tags: ['clips'],
      params: ClipParams,
      querystring: NoQuery,
      response: { 204: Type.Null(), ...errorResponses(400, 403, 404, 409, 502, 503) },
    },
    config: { action: 'clip:delete', resource: clipResource },
    handler: async (request, reply) => {
      const clip = await gateway.getClip(request.params.clipId);
      await gateway.deleteClip(clip.id);
      await clipMeta.delete(clip.id);
      clips.deleted(clip.sessionId, clip.id, clip.createdAt);
      return reply.code(204).send(null);
    },
  });

  app.patch('/api/clips/:clipId', {
    schema: {
      summary: 'Rename a clip',
      description:
        'Any status (even while recording). The name is trimmed and NFC-normalised: 1 to 100 characters, no control characters, no bidirectional ' +
        'embedding, override or isolate characters. Publishes `clip-updated` (SSE) and the `ov-clip-updated` signal.',
      tags: ['clips'],
      params: ClipParams,
      querystring: NoQuery,
      body: RenameClipBody,
      response: { 200: Type.Ref('Clip'), ...errorResponses(400, 403, 404, 415, 502, 503) },
    },
    config: { action: 'clip:rename', resource: clipResource },
    preValidation: strictTypes({ name: 'string' }),
    handler: async (request) => {
      const name = clipName(request.body.name);
      const clip = await gateway.getClip(request.params.clipId);
      await clipMeta.rename(clip, name);
      return edited(clip);
    },
  });

  app.post('/api/clips/:clipId/trim', {
    schema: {
      summary: 'Trim a clip (non-destructive, no re-encoding)',
      description:
        '`start` and `end` are seconds of the original recording, whatever earlier trim: 0 ≤ start < end ≤ duration (+0.05 s), at least 0.5 s apart. ' +
        "The media is then the range from the keyframe at or before `start` to `end`: the answer's `trim` is the range obtained. " +
        '409 `OV_CLIP_NOT_READY` before the clip is ready; 503 `OV_TRIM_BUSY` when too many trims are running. Publishes `clip-updated`.',
      tags: ['clips'],
      params: ClipParams,
      querystring: NoQuery,
      body: TrimClipBody,
      response: { 200: Type.Ref('Clip'), ...errorResponses(400, 403, 404, 409, 415, 422, 429, 500, 502, 503) },
    },
    config: { action: 'clip:trim', resource: clipResource, rateLimit: { max: services.config.rateLimitPerMinute, timeWindow: '1 minute' } },
    preValidation: strictTypes({ start: 'number', end: 'number' }),
    handler: async (request) => {
      const { start, end } = request.body;
      if (!(start < end)) throw errors.validation('start must be before end');
      // 1e-6: the elements step handles by 0.1 s, and 0.6 - 0.1 is 0.49999999999999994 in binary.
      if (end - start < MIN_TRIM_S - 1e-6) throw errors.validation(`The trimmed clip must be at least ${MIN_TRIM_S} s long`);
      const clip = await gateway.getClip(request.params.clipId);
      if (clip.status !== 'ready') throw new ApiError(409, 'OV_CLIP_NOT_READY', `Clip ${clip.id} is not ready yet`);
      const duration = clip.originalDuration ?? clip.duration;
      if (end > duration + END_TOLERANCE_S) throw errors.validation(`end must be at most the clip's duration (${duration} s)`);
      await services.cutter.trim(clip, start, end);
      return edited(clip);
    },
  });

  app.delete('/api/clips/:clipId/trim', {
    schema: {
      summary: 'Restore the original of a trimmed clip',
      description: 'Idempotent: an untrimmed clip is answered as it is. Publishes `clip-updated` when it was trimmed.',
      tags: ['clips'],
      params: ClipParams,
      querystring: NoQuery,
      response: { 200: Type.Ref('Clip'), ...errorResponses(400, 403, 404, 502, 503) },
    },
    config: { action: 'clip:trim', resource: clipResource },
    handler: async (request) => {
      const clip = await gateway.getClip(request.params.clipId);
      return (await clipMeta.clearTrim(clip)) ? edited(clip) : clip;
    },
  });

  app.get('/api/clips/:clipId/media', {
    schema: {
      summary: "The clip's video (MP4, H.264 + AAC)",
      description:
        'Supports `Range` requests (206) for seeking. A trimmed clip serves its cut. `?download=1`: as an attachment named after the clip ' +
        '(`Content-Disposition` with an ASCII `filename` and the UTF-8 `filename*`). Served with `Cache-Control: no-cache`: the same URL serves the cut after a trim.',
      tags: ['clips'],
      params: ClipParams,
      querystring: MediaQuery,
      response: { ...errorResponses(400, 403, 404, 409, 416, 503) },
    },
    config: { action: 'clip:read', resource: clipResource },
    handler: async (request, reply) => {
      const { clipId } = request.params;
      const download = request.query.download === '1' || request.query.download === 'true';
      // Neither a name nor a cut is needed: straight from OpenVidu (one call, as before clips could be edited).
      if (!download && !clipMeta.get(clipId)?.trim) return proxyClipFile(services, request, reply, clipId, 'media');
      return sendClipFile(services, request, reply, await gateway.getClip(clipId), 'media', { download });
    },
  });

  app.get('/api/clips/:clipId/thumbnail', {
    schema: {
      summary: "The clip's thumbnail (JPEG)",
      description: "A trimmed clip's thumbnail is the frame at its in point.",
      tags: ['clips'],
      params: ClipParams,
      querystring: ThumbnailQuery,
      response: { ...errorResponses(400, 403, 404, 409, 503) },
    },
    config: { action: 'clip:read', resource: clipResource },
    handler: async (request, reply) => {
      const { clipId } = request.params;
      if (!clipMeta.get(clipId)?.trim) return proxyClipFile(services, request, reply, clipId, 'thumbnail');
      return sendClipFile(services, request, reply, await gateway.getClip(clipId), 'thumbnail');
    },
  });
};
