// The only importer of openvidu-node-client. Everything the reference server asks of OpenVidu goes through here,
// so it works the same against the embedded server and a real deployment.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { OpenVidu, OpenViduRole, Recording, RecordingMode, Session } from 'openvidu-node-client';
import { ApiError, errors } from '../errors.js';
import type { Clip } from '../schemas/clips.js';
import { removeFile } from './atomic-file.js';
import { fileResponse } from './local-clip-files.js';
import { BUFFER_RECORDING_NAME, isLocalClipId, type LocalClips } from './local-clips.js';
import { encodeClipName, factsOfRecording, recordingToClip, type RecordingFacts } from './recording-to-clip.js';

export { decodeClipName, encodeClipName } from './recording-to-clip.js';

export interface GatewayOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  clip: { resolution: string; frameRate: number; hasAudio: boolean; hasVideo: boolean };
  /** Base path of the public API (where the clip routes live), for clip media URLs (default `/api`). */
  apiBase?: string;
  /** Rooms whose Session is cached, least recently used forgotten first (default 1000). */
  sessionCacheSize?: number;
  /** A cached Session unused for this long is forgotten (default 1 hour). */
  sessionIdleMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Applied to every clip the gateway gives (the clip metadata: name, trim), REST and webhook alike. */
  decorate?: (clip: Clip) => Clip;
  /** OpenVidu answered 404 for this clip id: it is gone (its metadata can go). */
  onClipGone?: (clipId: string) => void;
  /** The server's own clips (cut from replay buffers), served beside OpenVidu's. */
  local?: LocalClips;
}

interface CachedSession {
  pending: Promise<Session>;
  /** Once created. */
  session?: Session;
  usedAt: number;
}

export type Role = 'publisher' | 'subscriber' | 'moderator';

/** An answer from OpenVidu's REST API larger than this is refused (a session or a connection is a few KB). */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** A room's connections (about 1 KB each): a large room's list. */
const MAX_CONNECTIONS_BYTES = 16 * 1024 * 1024;
const IN_PROGRESS = new Set(['starting', 'started']);
const FILE_TYPES = { media: 'video/mp4', thumbnail: 'image/jpeg' } as const;

const ROLE: Record<Role, OpenViduRole> = {
  publisher: OpenViduRole.PUBLISHER,
  subscriber: OpenViduRole.SUBSCRIBER,
  moderator: OpenViduRole.MODERATOR,
};

/** The HTTP status the node client rejected with (`Error("404")`), or undefined for a network failure. */
function statusOf(err: unknown): number | undefined {
  const n = Number((err as Error)?.message);
  return Number.isInteger(n) && n >= 100 && n < 600 ? n : undefined;
}

export class OpenViduGateway {
  private readonly ov: OpenVidu;
  /**
   * Session objects are kept so a token costs one call to OpenVidu (its connection), not two. One creation at a
   * time per room. In least-recently-used order; bounded by count and idle time, and a room is forgotten when it
   * ends (`sessionEnded`), so the map does not grow with the number of rooms ever seen. Forgetting a live room only
   * costs its next token a creation call (409 → the session exists), never a download of its connections.
   */
  private readonly sessions = new Map<string, CachedSession>();
  private readonly basicAuth: string;
  /** Kept-alive connections to OpenVidu for the token route's calls. */
  private readonly agent: http.Agent;
  /** Where the clip routes live: the media and thumbnail URLs of every clip start with it. */
  readonly apiBase: string;
  private readonly cacheSize: number;
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(readonly opts: GatewayOptions) {
    this.ov = new OpenVidu(opts.url, opts.secret);
    this.basicAuth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${opts.secret}`).toString('base64');
    this.agent = new URL(opts.url).protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.apiBase = opts.apiBase ?? '/api';
    this.cacheSize = opts.sessionCacheSize ?? 1000;
    this.idleMs = opts.sessionIdleMs ?? 60 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Run one OpenVidu call with the gateway's timeout; network failures and timeouts become 503. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(errors.unavailable()), this.opts.timeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (statusOf(err) === undefined) throw errors.unavailable();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The room's Session, created in OpenVidu if needed, or the one that exists. */
  private session(sessionId: string): Promise<Session> {
    const now = this.now();
    this.prune(now);
    const cached = this.sessions.get(sessionId);
    if (cached) {
      this.sessions.delete(sessionId); // to the end: most recently used
      cached.usedAt = now;
      this.sessions.set(sessionId, cached);
      return cached.pending;
    }
    const created = this.call(() => this.openSession(sessionId)).then((session) => {
      // The node client's recording calls look the room up in its list: keep the newest Session per room there,
      // and none when the room was forgotten while being created.
      const entry = this.sessions.get(sessionId);
      const kept = entry?.pending === created;
      this.ov.activeSessions = this.ov.activeSessions.filter((s) => s.sessionId !== sessionId);
      if (kept) {
        entry.session = session;
        this.ov.activeSessions.push(session);
      }
      return session;
    });
    this.sessions.set(sessionId, { pending: created, usedAt: now });
    this.prune(now);
    created.catch(() => {
      if (this.sessions.get(sessionId)?.pending === created) this.sessions.delete(sessionId);
    });
    return created;
  }

  /**
   * Create the room in OpenVidu, or learn that it exists. Plain REST: on a 409 the node client's `createSession`
   * fetches the session with every pending connection (each unused token), megabytes and seconds in a busy room,
   * while a token needs only the session id. The Session object is the node client's, for its recording calls.
   */
  private async openSession(sessionId: string): Promise<Session> {
    const properties = {
      customSessionId: sessionId,
      mediaMode: 'ROUTED',
      recordingMode: RecordingMode.MANUAL,
      defaultRecordingProperties: {
        outputMode: Recording.OutputMode.COMPOSED,
        resolution: this.opts.clip.resolution,
        frameRate: this.opts.clip.frameRate,
        hasAudio: this.opts.clip.hasAudio,
        hasVideo: this.opts.clip.hasVideo,
      },
    };
    const { status, body } = await this.post('/openvidu/api/sessions', properties, [200, 409]);
    // After a 409 the creation time is unknown: any `sessionEnded` of the room then forgets it (one more creation call).
    const createdAt = status === 200 && typeof body?.createdAt === 'number' ? body.createdAt : undefined;
    // The node client builds a Session from OpenVidu's JSON this way itself (`OpenVidu.fetch`); no connections here.
    return new Session(this.ov, { ...properties, sessionId, createdAt, connections: { numberOfElements: 0, content: [] } });
  }

  /**
   * POST JSON to OpenVidu's REST API and read its JSON answer, over kept-alive connections. For the token route's
   * calls: per call, `http.request` costs less than half the CPU of the node client's axios, and about a third of
   * `fetch`'s (a token is one call). Any status outside `ok` rejects as the node client does (`Error("<status>")`), so `statusOf` and
   * `mapError` read it the same way; a network failure rejects with another message (→ 503).
   */
  private post(path: string, payload: unknown, ok: number[]): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
    return this.rest('POST', path, payload, ok);
  }

  /** `post`, for any method; a GET sends no body. `maxBytes`: the largest answer read. */
  private rest(
    method: 'GET' | 'POST',
    path: string,
    payload: unknown,
    ok: number[],
    maxBytes = MAX_ANSWER_BYTES,
    retried = false,
  ): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
    const data = method === 'GET' ? '' : JSON.stringify(payload);
    const client = this.agent instanceof https.Agent ? https : http;
    const headers: Record<string, string | number> = { Authorization: this.basicAuth };
    if (method !== 'GET') Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
    return new Promise((resolve, reject) => {
      const req = client.request(
        new URL(path, this.opts.url),
        { method, agent: this.agent, headers, signal: AbortSignal.timeout(this.opts.timeoutMs) },
        (res) => {
          const status = res.statusCode ?? 0;
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (d: Buffer) => {
            size += d.length;
            if (size > maxBytes) return req.destroy(new Error('answer too large'));
            chunks.push(d);
          });
          res.on('error', reject);
          res.on('end', () => {
            if (!ok.includes(status)) return reject(new Error(String(status)));
            let body: Record<string, unknown> | undefined;
            try {
              body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') ?? undefined;
            } catch {
              body = undefined;
            }
            resolve({ status, body });
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive socket OpenVidu closed as we reused it: once more on a new one (at worst an unused token).
        if (!retried && req.reusedSocket && err.code === 'ECONNRESET') resolve(this.rest(method, path, payload, ok, maxBytes, true));
        else reject(err);
      });
      req.end(data);
    });
  }

  /** Forget a room's Session (it closed in OpenVidu), unless another request already replaced it. */
  private forget(sessionId: string, stale: Promise<Session>) {
    const entry = this.sessions.get(sessionId);
    if (entry?.pending === stale) this.evict(sessionId, entry);
  }

  /**
   * The room ended in OpenVidu (webhook `sessionDestroyed`; `startTime` is when that session was created): forget
   * its Session, unless the cached one is newer, created after the one that ended.
   */
  sessionEnded(sessionId: string, startTime?: number): void {
    const entry = this.sessions.get(sessionId);
    if (!entry) return;
    if (startTime !== undefined && entry.session?.createdAt !== undefined && entry.session.createdAt > startTime) return;
    this.evict(sessionId, entry);
  }

  /** Rooms with a cached Session, for monitoring. */
  cachedSessionCount(): number {
    return this.sessions.size;
  }

  private evict(sessionId: string, entry: CachedSession) {
    this.sessions.delete(sessionId);
    // Still being created: the creation sees it was forgotten and keeps nothing.
    if (entry.session) this.ov.activeSessions = this.ov.activeSessions.filter((s) => s !== entry.session);
  }

  /** Drop sessions idle past the limit and, least recently used first, those over the cache size. */
  private prune(now: number) {
    for (const [id, entry] of this.sessions) {
      if (this.sessions.size <= this.cacheSize && now - entry.usedAt <= this.idleMs) break;
      this.evict(id, entry);
    }
  }

  async createToken(sessionId: string, p: { role: Role; data: string }): Promise<{ token: string; connectionId: string }> {
    // One connection, by plain REST (see `post`): OpenVidu answers it alone, whatever the room holds.
    const create = async (pending: Promise<Session>) => {
      await pending;
      const { body } = await this.call(() =>
        this.post(`/openvidu/api/sessions/${encodeURIComponent(sessionId)}/connection`, { type: 'WEBRTC', role: ROLE[p.role], data: p.data }, [200]),
      );
      if (typeof body?.token !== 'string' || typeof body.id !== 'string') throw errors.unavailable();
      return { token: body.token, connectionId: body.id };
    };
    const first = this.session(sessionId);
    try {
      return await create(first);
    } catch (err) {
      // The session closed in OpenVidu since we cached it (its last participant left): create it again, once.
      if (statusOf(err) !== 404 && statusOf(err) !== 400) throw this.mapError(err, 'session', sessionId);
      this.forget(sessionId, first);
      try {
        return await create(this.session(sessionId));
      } catch (err2) {
        throw this.mapError(err2, 'session', sessionId);
      }
    }
  }

  async startClip(sessionId: string, name?: string): Promise<Clip> {
    return this.toClip(await this.startRecording(sessionId, name ? encodeClipName(name) : undefined));
  }

  /** A COMPOSED recording of the session with the clip properties. */
  private async startRecording(sessionId: string, name: string | undefined): Promise<Recording> {
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

  /**
   * Idempotent: stopping a clip that already stopped answers its current state. OpenVidu 2.32 answers 404 for a
   * recording that is no longer in progress as for an unknown one (older versions 409): getClip() tells them apart.
   */
  async stopClip(clipId: string): Promise<Clip> {
    if (isLocalClipId(clipId)) throw new Error(`stopClip: ${clipId} is a local clip; the replay service stops it`);
    // The buffer is no clip: it is never stopped through the clip routes.
    if ((await this.getRecording(clipId))?.name === BUFFER_RECORDING_NAME) throw errors.notFound('clip', clipId);
    try {
      return this.toClip(await this.call(() => this.ov.stopRecording(clipId)));
    } catch (err) {
      const s = statusOf(err);
      if (s === 409 || s === 404) return this.getClip(clipId);
      if (s === 406) throw new ApiError(409, 'OV_CLIP_STARTING', `Clip ${clipId} is still starting; try again`);
      throw this.mapError(err, 'clip', clipId);
    }
  }

  async getClip(clipId: string): Promise<Clip> {
    if (isLocalClipId(clipId)) return this.localClip(clipId);
    let rec: Recording;
    try {
      rec = await this.call(() => this.ov.getRecording(clipId));
    } catch (err) {
      throw this.mapError(err, 'clip', clipId);
    }
    if (rec.properties?.name === BUFFER_RECORDING_NAME) throw errors.notFound('clip', clipId);
    return this.toClip(rec);
  }

  /** The session's clips, OpenVidu's and the server's own, newest first (never a buffer recording). */
  async listClips(sessionId: string): Promise<Clip[]> {
    const all = await this.call(() => this.ov.listRecordings()).catch((err) => {
      throw this.mapError(err, 'session', sessionId);
    });
    const clips = all.filter((r) => r.sessionId === sessionId && r.properties?.name !== BUFFER_RECORDING_NAME).map((r) => this.toClip(r));
    for (const c of this.opts.local?.list(sessionId) ?? []) clips.push(this.decorate(c));
    return clips.sort((a, b) => b.createdAt - a.createdAt || (b.id > a.id ? 1 : -1));
  }

  async deleteClip(clipId: string): Promise<void> {
    if (isLocalClipId(clipId)) {
      if (this.localClip(clipId).status === 'recording') throw new ApiError(409, 'OV_CLIP_RECORDING', `Clip ${clipId} is still recording; stop it first`);
      await this.opts.local!.delete(clipId);
      return;
    }
    try {
      await this.call(() => this.ov.deleteRecording(clipId));
    } catch (err) {
      if (statusOf(err) === 409) throw new ApiError(409, 'OV_CLIP_RECORDING', `Clip ${clipId} is still recording; stop it first`);
      throw this.mapError(err, 'clip', clipId);
    }
  }

  /**
   * Fetch a clip's original file from OpenVidu (`media`: the video; `thumbnail`: the JPEG OpenVidu writes beside
   * it), forwarding the Range header. The caller streams the body on. The gateway's timeout bounds the wait for the
   * answer's headers only (a large file takes as long as its reader takes); `signal` aborts the whole transfer.
   */
  async fetchClipFile(clipId: string, kind: 'media' | 'thumbnail', range?: string, signal?: AbortSignal): Promise<Response> {
    if (isLocalClipId(clipId)) return this.localClipFile(clipId, kind, range, signal);
    const rec = await this.call(() => this.ov.getRecording(clipId)).catch((err) => {
      throw this.mapError(err, 'clip', clipId);
    });
    if (rec.properties?.name === BUFFER_RECORDING_NAME) throw errors.notFound('clip', clipId);
    return this.fetchRecordingFile(rec, kind, range, signal);
  }

  /** A ready recording's file from OpenVidu (see `fetchClipFile`). */
  private async fetchRecordingFile(rec: Recording, kind: 'media' | 'thumbnail', range?: string, signal?: AbortSignal): Promise<Response> {
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

  /** A local clip, decorated; 404 when there is none. */
  private localClip(clipId: string): Clip {
    const clip = this.opts.local?.get(clipId);
    if (!clip) {
      this.opts.onClipGone?.(clipId);
      throw errors.notFound('clip', clipId);
    }
    return this.decorate(clip);
  }

  /** A local clip's file, answered as OpenVidu answers its files (one byte range → 206, unsatisfiable → 416). */
  private async localClipFile(clipId: string, kind: 'media' | 'thumbnail', range?: string, signal?: AbortSignal): Promise<Response> {
    const clip = this.localClip(clipId);
    if (clip.status !== 'ready') throw new ApiError(409, 'OV_CLIP_NOT_READY', `Clip ${clipId} is not ready yet`);
    const file = this.opts.local!.filePath(clipId, kind);
    const res = file && (await fileResponse(file, FILE_TYPES[kind], range, signal));
    if (!res) throw errors.notFound(kind === 'media' ? 'clip' : 'thumbnail', clipId);
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

  /** Send an OpenVidu signal to everyone in the session. No node-client method exists: plain REST. */
  async signal(sessionId: string, type: string, data: string): Promise<boolean> {
    try {
      const res = await fetch(new URL('/openvidu/api/signal', this.opts.url), {
        method: 'POST',
        headers: { Authorization: this.basicAuth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ session: sessionId, type, data }),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      await res.arrayBuffer();
      return res.status === 200; // 404/406: nobody is connected, nothing to tell
    } catch {
      return false;
    }
  }

  /** Is the connection in the room and connected (not pending, not gone)? Plain REST: one connection, not the room. */
  async connectionActive(sessionId: string, connectionId: string): Promise<boolean> {
    let res: Response;
    try {
      res = await fetch(new URL(`/openvidu/api/sessions/${encodeURIComponent(sessionId)}/connection/${encodeURIComponent(connectionId)}`, this.opts.url), {
        headers: { Authorization: this.basicAuth },
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch {
      throw errors.unavailable();
    }
    const body = (await res.json().catch(() => undefined)) as { status?: unknown } | undefined;
    if (res.status === 200) return body?.status === 'active';
    if (res.status === 404 || res.status === 400) return false; // no such connection, or no such session
    throw res.status === 401 ? new ApiError(502, 'OV_OPENVIDU_AUTH', 'The server is misconfigured: OpenVidu rejected its secret') : errors.unavailable();
  }

  /** Is OpenVidu reachable with our secret? */
  async ping(): Promise<boolean> {
    try {
      const res = await fetch(new URL('/openvidu/api/config', this.opts.url), {
        headers: { Authorization: this.basicAuth },
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /**
   * A recording, from the REST API or a webhook, as the API's clip (`recordingToClip` under this gateway's
   * `apiBase`), with the clip metadata applied (`decorate`).
   */
  toClip(r: Recording | RecordingFacts): Clip {
    return this.decorate(recordingToClip(r instanceof Recording ? factsOfRecording(r) : r, this.apiBase));
  }

  private decorate(clip: Clip): Clip {
    return this.opts.decorate ? this.opts.decorate(clip) : clip;
  }

  private mapError(err: unknown, what: 'session' | 'clip' | 'recording', id: string): Error {
    if (err instanceof ApiError) return err;
    const s = statusOf(err);
    if (s === undefined) return errors.unavailable();
    if (s === 404) {
      if (what === 'clip') this.opts.onClipGone?.(id);
      return errors.notFound(what, id);
    }
    if (s === 401) return new ApiError(502, 'OV_OPENVIDU_AUTH', 'The server is misconfigured: OpenVidu rejected its secret');
    if (s === 501) return new ApiError(501, 'OV_RECORDING_DISABLED', 'Recording is disabled on the OpenVidu server');
    return new ApiError(502, 'OV_OPENVIDU_ERROR', `OpenVidu answered ${s}`);
  }
}
