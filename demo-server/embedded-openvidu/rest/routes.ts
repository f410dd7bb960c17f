import type { IncomingMessage, ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { timingSafeEqual } from 'node:crypto';
import type { OpenViduCore } from '../core.js';
import { VERSION } from '../core.js';
import { bareError, HttpError } from '../errors.js';
import { RECORDING_ID_RE, SESSION_ID_RE } from '../ids.js';
import { ROLES, type Role, type Session, type SessionProperties } from '../model.js';
import { field, readJson, sendEmpty, sendError, sendJson, setCors } from './http-util.js';
import { recordingProperties } from './recording-properties.js';

export interface RestOptions {
  secret: string;
  publicUrl: string;
  recordingPath: string;
  recordingEnabled: boolean;
  recordingNotification: string;
  autostopTimeoutSec: number;
  /** What the garbage collector really runs with, in seconds (reported by GET /config). */
  sessionsGarbageInterval: number;
  sessionsGarbageThreshold: number;
  webhook?: { endpoint: string; headers: string[]; events?: string[] };
  /** CE-strict mode (docs/embedded-openvidu.md#ce-strict-mode): CE's bodies, order of checks and routes only. */
  ceStrict?: boolean;
}

type Params = Record<string, string>;
type Route = {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: (req: IncomingMessage, res: ServerResponse, p: Params) => Promise<void> | void;
  auth?: boolean;
};

const CODECS = ['MEDIA_SERVER_PREFERRED', 'NONE', 'VP8', 'VP9', 'H264'] as const;
/** `.`/`..` path segments, also as `%2e`, and `%2f`, `%5c` or `\` anywhere in a raw request path. */
const MALICIOUS_PATH_RE = /(^|\/)(\.|%2e){1,2}(\/|$)|%2f|%5c|\\/i;

/**
 * OpenVidu 2.32's REST API (`/openvidu/api/*`) and the recording files (`/openvidu/recordings/*`), as the unmodified
 * openvidu-node-client and OpenVidu's browser-only tutorials call them (protocol §6).
 */
export function createRestHandler(core: OpenViduCore, opts: RestOptions) {
  const expectedAuth = Buffer.from('Basic ' + Buffer.from(`OPENVIDUAPP:${opts.secret}`).toString('base64'));
  const routes: Route[] = [];
  const route = (method: string, path: string, handler: Route['handler'], auth = true) => {
    const keys: string[] = [];
    const pattern = new RegExp(
      '^' +
        path.replace(/:(\w+)/g, (_, k: string) => {
          keys.push(k);
          return '([^/]+)';
        }) +
        '/?$',
    );
    routes.push({ method, pattern, keys, handler, auth });
  };

  const authorized = (req: IncomingMessage) => {
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === expectedAuth.length && timingSafeEqual(got, expectedAuth);
  };

  const strict = opts.ceStrict ?? false;
  /** CE answers an unknown session with a bare status everywhere but `POST /tokens`. */
  const getSession = (id: string, status = 404, bare = true): Session => {
    const s = core.sessions.get(id);
    if (!s || s.closed) throw new HttpError(status, `Session ${id} not found`, bare);
    return s;
  };

  const requireRecording = () => {
    if (!opts.recordingEnabled) throw bareError(501, 'OpenVidu Server recording module is disabled');
  };

  const boolQuery = (req: IncomingMessage, key: string, dflt: boolean) => {
    const v = new URL(req.url ?? '/', 'http://x').searchParams.get(key);
    return v === null ? dflt : v === 'true';
  };

  // ---------------------------------------------------------------- sessions
  route('POST', '/openvidu/api/sessions', async (req, res) => {
    const b = await readJson(req);
    const props: SessionProperties = core.defaultSessionProperties();
    props.mediaMode = (field.str(b, 'mediaMode', { enum: ['ROUTED', 'RELAYED'] }) as SessionProperties['mediaMode']) ?? props.mediaMode;
    props.recordingMode = (field.str(b, 'recordingMode', { enum: ['MANUAL', 'ALWAYS'] }) as SessionProperties['recordingMode']) ?? props.recordingMode;
    props.customSessionId = field.str(b, 'customSessionId', { max: 256, re: SESSION_ID_RE }) ?? '';
    props.forcedVideoCodec = field.str(b, 'forcedVideoCodec', { enum: CODECS }) ?? props.forcedVideoCodec;
    props.allowTranscoding = field.bool(b, 'allowTranscoding') ?? false;
    const drp = field.obj(b, 'defaultRecordingProperties');
    try {
      if (drp) props.defaultRecordingProperties = recordingProperties(drp, props.defaultRecordingProperties, false);
    } catch (err) {
      // CE refuses any invalid default with 400 ("Parameter 'defaultRecordingProperties' is not valid: …").
      if (strict && err instanceof HttpError) throw new HttpError(400, `Parameter 'defaultRecordingProperties' is not valid: ${err.message}`);
      throw err;
    }
    if (props.customSessionId && core.sessions.has(props.customSessionId)) throw bareError(409, `Session ${props.customSessionId} already exists`);
    const s = core.createSession(props);
    sendJson(res, 200, s.toJSON(false));
  });

  route('GET', '/openvidu/api/sessions', (req, res) => {
    const pending = boolQuery(req, 'pendingConnections', false);
    const content = [...core.sessions.values()].filter((s) => !s.closed).map((s) => s.toJSON(pending));
    sendJson(res, 200, { numberOfElements: content.length, content });
  });

  route('GET', '/openvidu/api/sessions/:sessionId', (req, res, p) => {
    sendJson(res, 200, getSession(p.sessionId).toJSON(boolQuery(req, 'pendingConnections', false)));
  });

  route('DELETE', '/openvidu/api/sessions/:sessionId', async (_req, res, p) => {
    await core.closeSession(getSession(p.sessionId), 'sessionClosedByServer');
    sendEmpty(res, 204);
  });

  // ---------------------------------------------------------------- connections
  const connectionProperties = (b: Record<string, unknown>) => {
    const type = field.str(b, 'type', { enum: ['WEBRTC', 'IPCAM'] }) ?? 'WEBRTC';
    if (type === 'IPCAM') throw new HttpError(400, 'IPCAM connections are not supported by this server');
    const customIceServers = field.arr(b, 'customIceServers') ?? [];
    if (!customIceServers.every((x) => x && typeof x === 'object' && !Array.isArray(x)))
      throw new HttpError(400, 'Parameter "customIceServers" must be an array of objects');
    return {
      role: (field.str(b, 'role', { enum: ROLES }) as Role | undefined) ?? 'PUBLISHER',
      data: field.str(b, 'data', { max: 10_000 }) ?? '',
      record: field.bool(b, 'record') ?? true,
      kurentoOptions: field.obj(b, 'kurentoOptions') ?? null,
      customIceServers: customIceServers as Array<Record<string, unknown>>,
    };
  };

  route('POST', '/openvidu/api/sessions/:sessionId/connection', async (req, res, p) => {
    const b = await readJson(req);
    const session = getSession(p.sessionId);
    sendJson(res, 200, core.createConnection(session, connectionProperties(b)).toJSON());
  });

  route('GET', '/openvidu/api/sessions/:sessionId/connection', (req, res, p) => {
    const session = getSession(p.sessionId);
    const pending = boolQuery(req, 'pendingConnections', true);
    const content = [...session.connections.values()].filter((c) => !c.gone && (c.status === 'active' || pending)).map((c) => c.toJSON());
    sendJson(res, 200, { numberOfElements: content.length, content });
  });

  route('GET', '/openvidu/api/sessions/:sessionId/connection/:connectionId', (_req, res, p) => {
    const session = getSession(p.sessionId, 400);
    const c = session.connections.get(p.connectionId);
    if (!c || c.gone) throw bareError(404, `Connection ${p.connectionId} not found`);
    sendJson(res, 200, c.toJSON());
  });

  route('DELETE', '/openvidu/api/sessions/:sessionId/connection/:connectionId', async (_req, res, p) => {
    const session = getSession(p.sessionId, 400);
    const c = session.connections.get(p.connectionId);
    if (!c || c.gone) throw bareError(404, `Connection ${p.connectionId} not found`);
    await core.destroyConnection(session, c);
    sendEmpty(res, 204);
  });

  route('PATCH', '/openvidu/api/sessions/:sessionId/connection/:connectionId', () => {
    throw new HttpError(405, 'Updating a connection requires OpenVidu Pro');
  });

  route('DELETE', '/openvidu/api/sessions/:sessionId/stream/:streamId', async (_req, res, p) => {
    const session = getSession(p.sessionId, 400);
    const owner = core.findStream(session, p.streamId);
    if (!owner) throw bareError(404, `Stream ${p.streamId} not found`);
    await core.unpublish(owner, 'forceUnpublishByServer');
    sendEmpty(res, 204);
  });

  route('POST', '/openvidu/api/tokens', async (req, res) => {
    const b = await readJson(req);
    const sessionId = field.str(b, 'session', { max: 256 });
    if (!sessionId) throw new HttpError(400, '"session" parameter is mandatory');
    const props = connectionProperties(b);
    const session = getSession(sessionId, 404, false);
    const c = core.createConnection(session, props);
    const out: Record<string, unknown> = {
      id: c.token,
      token: c.token,
      createdAt: c.createdAt,
      connectionId: c.id,
      session: session.id,
      data: c.serverData,
      role: c.role,
    };
    if (c.kurentoOptions) out.kurentoOptions = c.kurentoOptions;
    sendJson(res, 200, out);
  });

  // ---------------------------------------------------------------- recordings
  route('POST', '/openvidu/api/recordings/start', async (req, res) => {
    requireRecording();
    const b = await readJson(req);
    if (Object.keys(b).length === 0) throw new HttpError(400, 'Body is mandatory');
    const sessionId = field.str(b, 'session', { max: 256 });
    if (!sessionId) throw new HttpError(400, '"session" parameter is mandatory');
    const session = core.sessions.get(sessionId);
    // CE checks the session (404, 409, 406) before the properties (400, 422).
    if (strict) core.recordings.assertStartable(getSession(sessionId));
    const defaults = session?.properties.defaultRecordingProperties ?? core.defaultSessionProperties().defaultRecordingProperties;
    const props = recordingProperties(b, defaults, true, strict);
    if (!session || session.closed) throw bareError(404, `Session ${sessionId} not found`);
    const rec = await core.recordings.start(session, props);
    sendJson(res, 200, core.recordings.toJSON(rec));
  });

  route('POST', '/openvidu/api/recordings/stop/:recordingId', async (_req, res, p) => {
    requireRecording();
    const rec = await core.recordings.stop(p.recordingId);
    sendJson(res, 200, core.recordings.toJSON(rec));
  });

  route('GET', '/openvidu/api/recordings', (_req, res) => {
    requireRecording();
    const items = core.recordings.list().map((r) => core.recordings.toJSON(r));
    sendJson(res, 200, { count: items.length, items });
  });

  route('GET', '/openvidu/api/recordings/:recordingId', (_req, res, p) => {
    requireRecording();
    const rec = core.recordings.get(p.recordingId);
    if (!rec) throw bareError(404, `Recording ${p.recordingId} not found`);
    sendJson(res, 200, core.recordings.toJSON(rec));
  });

  route('DELETE', '/openvidu/api/recordings/:recordingId', async (_req, res, p) => {
    requireRecording();
    await core.recordings.delete(p.recordingId);
    sendEmpty(res, 204);
  });

  // ---------------------------------------------------------------- signal, config, Pro-only
  route('POST', '/openvidu/api/signal', async (req, res) => {
    const b = await readJson(req);
    const sessionId = field.str(b, 'session', { max: 256 });
    if (!sessionId) throw new HttpError(400, '"session" parameter is mandatory');
    const to = field.arr(b, 'to') ?? [];
    const type = field.str(b, 'type', { max: 256 }) ?? '';
    const data = field.str(b, 'data', { max: 64 * 1024 }) ?? '';
    const session = getSession(sessionId);
    if (session.active().length === 0) throw bareError(406, `Session ${sessionId} has no connected participants`);
    if (core.unknownTargets(session, to).length) throw new HttpError(406, 'Some connections in "to" are not in the session');
    // Like CE, a REST signal's type is always given the `signal:` prefix the browser strips again.
    core.signal(session, undefined, to as string[], type ? `signal:${type}` : 'signal', data);
    sendEmpty(res, 200);
  });

  route('GET', '/openvidu/api/config', (_req, res) => {
    const url = new URL(opts.publicUrl);
    const config: Record<string, unknown> = {
      VERSION,
      DOMAIN_OR_PUBLIC_IP: url.hostname,
      HTTPS_PORT: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      OPENVIDU_PUBLICURL: opts.publicUrl + '/',
      OPENVIDU_CDR: false,
      OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH: 1000,
      OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH: 300,
      OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH: 1000,
      OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH: 300,
      OPENVIDU_STREAMS_FORCED_VIDEO_CODEC: 'MEDIA_SERVER_PREFERRED',
      OPENVIDU_STREAMS_ALLOW_TRANSCODING: false,
      OPENVIDU_WEBRTC_SIMULCAST: false,
      OPENVIDU_SESSIONS_GARBAGE_INTERVAL: opts.sessionsGarbageInterval,
      OPENVIDU_SESSIONS_GARBAGE_THRESHOLD: opts.sessionsGarbageThreshold,
      OPENVIDU_RECORDING: opts.recordingEnabled,
    };
    if (opts.recordingEnabled) {
      Object.assign(config, {
        OPENVIDU_RECORDING_VERSION: VERSION,
        OPENVIDU_RECORDING_PATH: opts.recordingPath,
        OPENVIDU_RECORDING_PUBLIC_ACCESS: false,
        OPENVIDU_RECORDING_NOTIFICATION: opts.recordingNotification,
        OPENVIDU_RECORDING_CUSTOM_LAYOUT: '',
        OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT: opts.autostopTimeoutSec,
      });
    }
    config.OPENVIDU_WEBHOOK = !!opts.webhook;
    if (opts.webhook) {
      Object.assign(config, {
        OPENVIDU_WEBHOOK_ENDPOINT: opts.webhook.endpoint,
        OPENVIDU_WEBHOOK_HEADERS: opts.webhook.headers,
        OPENVIDU_WEBHOOK_EVENTS: opts.webhook.events ?? [
          'sessionCreated',
          'sessionDestroyed',
          'participantJoined',
          'participantLeft',
          'webrtcConnectionCreated',
          'webrtcConnectionDestroyed',
          'recordingStatusChanged',
          'signalSent',
        ],
      });
    }
    sendJson(res, 200, config);
  });

  const plain = (res: ServerResponse, text: string) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(text);
  };
  route('GET', '/openvidu/api/config/openvidu-version', (_req, res) => plain(res, VERSION));
  route('GET', '/openvidu/api/config/openvidu-publicurl', (_req, res) => plain(res, opts.publicUrl + '/'), false);
  route('GET', '/openvidu/api/config/openvidu-recording', (_req, res) => plain(res, String(opts.recordingEnabled)));
  route('GET', '/openvidu/api/config/openvidu-recording-path', (_req, res) => plain(res, opts.recordingPath));
  route('GET', '/openvidu/api/config/openvidu-cdr', (_req, res) => plain(res, 'false'));
  // CE 2.32 has no broadcast routes at all (404 in CE-strict mode); Pro's answer is clearer for people debugging.
  if (!strict) {
    for (const path of ['/openvidu/api/broadcast/start', '/openvidu/api/broadcast/stop']) {
      route('POST', path, () => {
        throw new HttpError(501, 'Broadcasting requires OpenVidu Pro');
      });
    }
  }

  // ---------------------------------------------------------------- recording files
  route('GET', '/openvidu/recordings/:recordingId/:file', async (req, res, p) => {
    requireRecording();
    if (!RECORDING_ID_RE.test(p.recordingId)) throw new HttpError(404, 'Not found');
    const file = core.recordings.filePath(p.recordingId, p.file);
    if (!file) throw new HttpError(404, 'Not found');
    await sendFile(req, res, file);
  });

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    let url: URL;
    try {
      // An absolute-form request target (`GET http://[ HTTP/1.1`) can be unparsable: a client error, not a 500.
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      sendError(res, new HttpError(400, 'Malformed URL'), '');
      return true;
    }
    const rawPath = (req.url ?? '/').split('?')[0];
    const ours = (p: string) => p.startsWith('/openvidu/api') || p.startsWith('/openvidu/recordings/');
    if (!ours(url.pathname) && !ours(rawPath)) return false;
    setCors(req, res);
    // Like CE's Spring firewall: dot segments (plain or percent-encoded) and encoded or back slashes in the raw
    // path are refused before routing, so `…/connection/..` never lands on another route after normalisation.
    if (MALICIOUS_PATH_RE.test(rawPath)) {
      sendError(res, new HttpError(400, 'The request was rejected because the URL contained a potentially malicious string'), rawPath);
      return true;
    }
    if (req.method === 'OPTIONS') {
      sendEmpty(res, 200);
      return true;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      sendError(res, new HttpError(400, 'Malformed URL'), url.pathname);
      return true;
    }
    const candidates = routes.filter((r) => r.pattern.test(url.pathname));
    const r = candidates.find((x) => x.method === req.method || (req.method === 'HEAD' && x.method === 'GET'));
    try {
      if (!r) throw new HttpError(candidates.length ? 405 : 404, candidates.length ? 'Method not allowed' : 'Not found');
      if (r.auth !== false && !authorized(req)) throw new HttpError(401, 'Unauthorized');
      const m = url.pathname.match(r.pattern)!;
      const params: Params = {};
      r.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1]);
      });
      await r.handler(req, res, params);
    } catch (err) {
      if (err instanceof HttpError && strict && err.bare) sendEmpty(res, err.status);
      else if (err instanceof HttpError) sendError(res, err, pathname);
      else {
        core.log.error(`REST ${req.method} ${pathname} failed: ${(err as Error).stack ?? err}`);
        sendError(res, new HttpError(500, 'Internal server error'), pathname);
      }
    }
    return true;
  };
}

const CONTENT_TYPES: Record<string, string> = { mp4: 'video/mp4', webm: 'video/webm', zip: 'application/zip', jpg: 'image/jpeg', json: 'application/json' };

/** Static file with single-range support (players seek with Range requests). */
async function sendFile(req: IncomingMessage, res: ServerResponse, file: string) {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new HttpError(404, 'Not found');
  const ext = file.slice(file.lastIndexOf('.') + 1);
  res.setHeader('Content-Type', CONTENT_TYPES[ext] ?? 'application/octet-stream');
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Last-Modified', st.mtime.toUTCString());
  let start = 0;
  let end = st.size - 1;
  const range = req.headers.range;
  if (range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (!m || (m[1] === '' && m[2] === '')) {
      res.setHeader('Content-Range', `bytes */${st.size}`);
      throw new HttpError(416, 'Invalid range');
    }
    if (m[1] === '') start = Math.max(0, st.size - Number(m[2]));
    else {
      start = Number(m[1]);
      if (m[2] !== '') end = Math.min(Number(m[2]), st.size - 1);
    }
    if (start > end || start >= st.size) {
      res.setHeader('Content-Range', `bytes */${st.size}`);
      throw new HttpError(416, 'Range not satisfiable');
    }
    res.statusCode = 206;
    res.setHeader('Content-Range', `bytes ${start}-${end}/${st.size}`);
  }
  res.setHeader('Content-Length', end - start + 1);
  if (req.method === 'HEAD') return void res.end();
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file, { start, end });
    stream.on('error', reject);
    res.on('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
}
