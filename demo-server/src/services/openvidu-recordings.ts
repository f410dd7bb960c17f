// The gateway's recordings (its third layer, see openvidu-gateway.ts): starting one, fetching its files, and the raw
// recording calls of the replay buffer, whose recordings are never shown as clips.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Recording } from 'openvidu-node-client';
import { ApiError, errors } from '../errors.js';
import { removeFile } from './atomic-file.js';
import { BUFFER_RECORDING_NAME } from './local-clips.js';
import { statusOf } from './openvidu-rest.js';
import { OpenViduSessions } from './openvidu-sessions.js';
import { factsOfRecording, type RecordingFacts } from './recording-to-clip.js';

/** A room's connections (about 1 KB each): a large room's list. */
const MAX_CONNECTIONS_BYTES = 16 * 1024 * 1024;
const IN_PROGRESS = new Set(['starting', 'started']);

export abstract class OpenViduRecordings extends OpenViduSessions {
  /** A COMPOSED recording of the session with the clip properties. */
  protected async startRecording(sessionId: string, name: string | undefined): Promise<Recording> {
    const { resolution, frameRate, hasAudio, hasVideo } = this.opts.clip;
    try {
      return await this.call(() =>
        this.ov.startRecording(sessionId, { name, outputMode: Recording.OutputMode.COMPOSED, resolution, frameRate, hasAudio, hasVideo }),
      );
    } catch (err) {
      const s = statusOf(err);
      if (s === 409) throw new ApiError(409, 'OV_CLIP_ALREADY_RECORDING', `A clip is already being recorded in ${sessionId}`);
      if (s === 404 || s === 406) throw new ApiError(409, 'OV_SESSION_NOT_LIVE', `Nobody is live in ${sessionId}`);
      throw this.mapError(err, 'session', sessionId);
    }
  }

  /** A ready recording's file from OpenVidu (see `fetchClipFile`). */
  protected async fetchRecordingFile(rec: Recording, kind: 'media' | 'thumbnail', range?: string, signal?: AbortSignal): Promise<Response> {
    const clipId = rec.id;
    if (rec.status !== Recording.Status.ready || !rec.url) throw new ApiError(409, 'OV_CLIP_NOT_READY', `Clip ${clipId} is not ready yet`);
    const url = kind === 'media' ? rec.url : rec.url.replace(/\.[a-z0-9]+$/i, '.jpg');
    const headers: Record<string, string> = { Authorization: this.basicAuth };
    // One byte range is passed on; anything else is ignored, as RFC 9110 allows, and the whole file is sent.
    if (range && /^bytes=(\d+-\d*|-\d+)$/.test(range.trim())) headers.Range = range.trim();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.opts.timeoutMs);
    const stop = () => abort.abort();
    signal?.addEventListener('abort', stop, { once: true });
    let res: Response;
    try {
      if (signal?.aborted) throw signal.reason;
      res = await fetch(url, { headers, signal: abort.signal });
    } catch {
      signal?.removeEventListener('abort', stop);
      throw errors.unavailable();
    } finally {
      clearTimeout(timer);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      throw errors.notFound(kind === 'media' ? 'clip' : 'thumbnail', clipId);
    }
    if (res.status === 416) {
      await res.body?.cancel();
      throw new ApiError(416, 'OV_RANGE_NOT_SATISFIABLE', 'Requested range not satisfiable');
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw errors.unavailable();
    }
    return res;
  }

  // Raw recordings, for the replay buffer: never shown as clips.

  /** Start the room's buffer recording (COMPOSED, the clip properties, named BUFFER_RECORDING_NAME). */
  async startBufferRecording(sessionId: string): Promise<RecordingFacts> {
    return factsOfRecording(await this.startRecording(sessionId, BUFFER_RECORDING_NAME));
  }

  /** Stop a recording; one already stopped answers its current facts. */
  async stopRecording(id: string): Promise<RecordingFacts> {
    try {
      return factsOfRecording(await this.call(() => this.ov.stopRecording(id)));
    } catch (err) {
      const s = statusOf(err);
      if (s === 409 || s === 404) {
        const rec = await this.getRecording(id);
        if (rec) return rec;
      }
      if (s === 406) throw new ApiError(409, 'OV_CLIP_STARTING', `Recording ${id} is still starting; try again`);
      throw this.mapError(err, 'recording', id);
    }
  }

  /** A recording's facts; undefined when OpenVidu has none with that id. */
  async getRecording(id: string): Promise<RecordingFacts | undefined> {
    try {
      return factsOfRecording(await this.call(() => this.ov.getRecording(id)));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.mapError(err, 'recording', id);
    }
  }

  /** Delete a recording and its files; one already gone is fine. */
  async deleteRecording(id: string): Promise<void> {
    try {
      await this.call(() => this.ov.deleteRecording(id));
    } catch (err) {
      const s = statusOf(err);
      if (s === 404) return;
      if (s === 409) throw new ApiError(409, 'OV_CLIP_RECORDING', `Recording ${id} is still recording; stop it first`);
      throw this.mapError(err, 'recording', id);
    }
  }

  /** Every buffer recording OpenVidu holds, of any room and status. */
  async listBufferRecordings(): Promise<RecordingFacts[]> {
    const all = await this.call(() => this.ov.listRecordings()).catch((err) => {
      throw this.mapError(err, 'recording', '');
    });
    return all.filter((r) => r.properties?.name === BUFFER_RECORDING_NAME).map(factsOfRecording);
  }

  /** The newest recording starting or started in the session, if any. */
  async recordingInProgress(sessionId: string): Promise<RecordingFacts | undefined> {
    const all = await this.call(() => this.ov.listRecordings()).catch((err) => {
      throw this.mapError(err, 'session', sessionId);
    });
    const live = all.filter((r) => r.sessionId === sessionId && IN_PROGRESS.has(r.status)).sort((a, b) => b.createdAt - a.createdAt);
    return live[0] && factsOfRecording(live[0]);
  }

  /**
   * Connections publishing in the session now; undefined when the session does not exist. Plain REST, active
   * connections only (a pending one publishes nothing).
   */
  async publisherCount(sessionId: string): Promise<number | undefined> {
    const path = `/openvidu/api/sessions/${encodeURIComponent(sessionId)}/connection?pendingConnections=false&webRtcStats=false`;
    const { status, body } = await this.call(() => this.rest('GET', path, undefined, [200, 404], MAX_CONNECTIONS_BYTES)).catch((err) => {
      throw this.mapError(err, 'session', sessionId);
    });
    if (status === 404) return undefined;
    const content = (body?.content ?? []) as Array<{ status?: unknown; publishers?: unknown }>;
    if (!Array.isArray(content)) throw errors.unavailable();
    return content.filter((c) => c?.status === 'active' && Array.isArray(c.publishers) && c.publishers.length > 0).length;
  }

  /**
   * A ready recording's media, whole, to `toFile` (written under a temporary name beside it, then renamed). The
   * gateway's timeout bounds the wait for the answer's headers; `signal` aborts the transfer.
   */
  async downloadRecording(id: string, toFile: string, signal?: AbortSignal): Promise<void> {
    const rec = await this.call(() => this.ov.getRecording(id)).catch((err) => {
      throw this.mapError(err, 'recording', id);
    });
    const res = await this.fetchRecordingFile(rec, 'media', undefined, signal);
    if (!res.body) throw errors.unavailable();
    const tmp = path.join(path.dirname(toFile), `.${path.basename(toFile)}.${randomBytes(8).toString('hex')}.tmp`);
    try {
      const body = Readable.fromWeb(res.body as WebReadableStream);
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }), { signal });
      await rename(tmp, toFile);
    } catch (err) {
      await removeFile(tmp);
      throw err instanceof ApiError ? err : signal?.aborted ? signal.reason : errors.unavailable();
    }
  }
}
