// The one boundary to OpenVidu: everything the reference server asks of OpenVidu goes through OpenViduGateway, so it
// works the same against the embedded server and a real deployment. The gateway is built in layers, one file each:
// openvidu-rest.ts (the transport: the node client, kept-alive REST, timeout, errors), openvidu-sessions.ts (the
// rooms' Session cache), openvidu-recordings.ts (recordings, their files, the replay buffer's raw calls) and this file
// (tokens, clips, local clips, signals). Only these files import openvidu-node-client (recording-to-clip.ts borrows
// its `Recording` type).
import { OpenViduRole, Recording, type Session } from 'openvidu-node-client';
import { ApiError, errors } from '../errors.js';
import type { Clip } from '../schemas/clips.js';
import { fileResponse } from './local-clip-files.js';
import { BUFFER_RECORDING_NAME, isLocalClipId, type LocalClips } from './local-clips.js';
import { OpenViduRecordings } from './openvidu-recordings.js';
import { statusOf } from './openvidu-rest.js';
import { encodeClipName, factsOfRecording, recordingToClip, type RecordingFacts } from './recording-to-clip.js';
import type { IceServer } from './turn-credentials.js';

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
  /**
   * ICE servers for each new connection (TURN credentials made for it), sent as the connection's `customIceServers`:
   * OpenVidu hands them to that browser only, in joinRoom's answer. Unset: OpenVidu's own configuration.
   */
  iceServers?: () => IceServer[];
}

export type Role = 'publisher' | 'subscriber' | 'moderator';

const FILE_TYPES = { media: 'video/mp4', thumbnail: 'image/jpeg' } as const;

const ROLE: Record<Role, OpenViduRole> = {
  publisher: OpenViduRole.PUBLISHER,
  subscriber: OpenViduRole.SUBSCRIBER,
  moderator: OpenViduRole.MODERATOR,
};

export class OpenViduGateway extends OpenViduRecordings {
  /** Where the clip routes live: the media and thumbnail URLs of every clip start with it. */
  readonly apiBase: string;

  constructor(opts: GatewayOptions) {
    super(opts);
    this.apiBase = opts.apiBase ?? '/api';
  }

  async createToken(sessionId: string, p: { role: Role; data: string }): Promise<{ token: string; connectionId: string }> {
    // One connection, by plain REST (see `post`): OpenVidu answers it alone, whatever the room holds.
    const customIceServers = this.opts.iceServers?.();
    const properties = { type: 'WEBRTC', role: ROLE[p.role], data: p.data, ...(customIceServers?.length ? { customIceServers } : {}) };
    const create = async (pending: Promise<Session>) => {
      await pending;
      // `post` enforces the gateway's timeout itself (503).
      const { body } = await this.post(`/openvidu/api/sessions/${encodeURIComponent(sessionId)}/connection`, properties, [200]);
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
}
