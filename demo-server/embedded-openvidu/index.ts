import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { MAX_CANDIDATES_PER_ENDPOINT, MAX_EARLY_CANDIDATE_ENDPOINTS, OpenViduCore, SESSIONS_GARBAGE_INTERVAL_S, SESSIONS_GARBAGE_THRESHOLD_S } from './core.js';
import { RecordingManager } from './recording/manager.js';
import { resolveFfmpegPath } from './recording/ffmpeg.js';
import { createRestHandler } from './rest/routes.js';
import { DEFAULT_SOCKET_LIMITS, MAX_FRAME_BYTES, RpcSocket, type SocketLimits } from './rpc/rpc-socket.js';
import { WebhookSender } from './webhook.js';
import { consoleLogger, type Logger } from './logger.js';

/** Per-client bounds of the JSON-RPC side (docs/embedded-openvidu.md#limits). Every field is optional. */
export interface ClientLimits extends SocketLimits {
  /** Open sockets per client address; beyond, the upgrade gets 429. 0 = no cap. Default 100. */
  maxSocketsPerAddress: number;
  /**
   * Addresses the per-address cap does not apply to. Default loopback: a host server that forwards OpenVidu's
   * WebSocket (`npm start` over HTTPS) connects every browser from there.
   */
  unlimitedAddresses: string[];
  /** Endpoint names with early ICE candidates waiting, per connection. Default 16. */
  maxEarlyCandidateEndpoints: number;
  /** ICE candidates per endpoint (waiting, or taken by one PeerConnection). Default 64. */
  maxCandidatesPerEndpoint: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  ...DEFAULT_SOCKET_LIMITS,
  maxSocketsPerAddress: 100,
  unlimitedAddresses: ['127.0.0.1', '::1'],
  maxEarlyCandidateEndpoints: MAX_EARLY_CANDIDATE_ENDPOINTS,
  maxCandidatesPerEndpoint: MAX_CANDIDATES_PER_ENDPOINT,
};

export interface EmbeddedOpenViduOptions {
  /** TCP port; 0 picks a free one. Default 4443. */
  port?: number;
  /** Address to listen on; also the only address ICE uses unless it is 0.0.0.0. Default 127.0.0.1. */
  host?: string;
  /** Address ICE uses when it differs from `host` (e.g. `0.0.0.0` for phones on the LAN while REST stays on loopback). */
  rtcHost?: string;
  /** OPENVIDU_SECRET. Default `MY_SECRET`. */
  secret?: string;
  /** OPENVIDU_PUBLICURL: the URL browsers and tokens use. Default `http(s)://<host>:<port>`. */
  publicUrl?: string;
  /** OPENVIDU_RECORDING_PATH. Default `./.data/recordings`. */
  recordingPath?: string;
  /** OPENVIDU_RECORDING. Default true. */
  recording?: boolean;
  /** OPENVIDU_RECORDING_NOTIFICATION. Default `publisher_moderator`. */
  recordingNotification?: 'all' | 'publisher_moderator' | 'moderator' | 'none';
  /** OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT in seconds. Default 120. */
  recordingAutostopTimeout?: number;
  webhook?: { endpoint: string; headers?: string[]; events?: string[] };
  /** Serve HTTPS/WSS (needed for camera access from another device). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** UDP ports werift may bind for WebRTC, one per peer connection (docs/embedded-openvidu.md#media-address). */
  rtcPortRange?: [number, number];
  /**
   * The address put in the server's ICE candidates instead of the bound one, for a host behind 1:1 NAT (its public
   * address is on no interface); the port stays the bound one. Default: the bound address.
   */
  rtcPublicIp?: string;
  ffmpegPath?: string;
  logger?: Logger;
  /** Reconnection grace after a socket drop, ms. Default 10 000 (OpenVidu's). */
  reconnectionGraceMs?: number;
  /**
   * OPENVIDU_SESSIONS_GARBAGE_INTERVAL in seconds (fractions allowed): how often sessions nobody joined and unused
   * tokens older than the threshold are collected. 0 disables it. Default 900 (CE's).
   */
  sessionsGarbageInterval?: number;
  /** OPENVIDU_SESSIONS_GARBAGE_THRESHOLD in seconds (fractions allowed). Default 3600 (CE's). */
  sessionsGarbageThreshold?: number;
  /** Per-client bounds of the JSON-RPC side; unset fields keep DEFAULT_CLIENT_LIMITS. */
  clientLimits?: Partial<ClientLimits>;
  /**
   * OPENVIDU_CE_STRICT (not a CE setting): refuse what OpenVidu CE 2.32 refuses and offer nothing it does not
   * (docs/embedded-openvidu.md#ce-strict-mode), so code meant for a real deployment can be proven against this one.
   * Default false.
   */
  ceStrict?: boolean;
}

export interface EmbeddedOpenVidu {
  /** Base URL for openvidu-node-client (`new OpenVidu(url, secret)`). */
  url: string;
  secret: string;
  port: number;
  /** Started in CE-strict mode (`ceStrict`). */
  ceStrict: boolean;
  core: OpenViduCore;
  /**
   * Point the webhook somewhere else (or nowhere) while running: a host server that embeds OpenVidu learns its
   * own port only after OpenVidu has started.
   */
  setWebhook(webhook: { endpoint: string; headers?: string[]; events?: string[] } | undefined): void;
  /**
   * Where new tokens send browsers (`wss://host:port`): for a host server that forwards OpenVidu's WebSocket on its
   * own origin, so a browser needs to trust one certificate only.
   */
  setTokenUrl(wsUrl: string): void;
  /** Stops recordings (finishing their files), evicts everyone, closes sockets and the HTTP server. */
  close(): Promise<void>;
}

/** Start the OpenVidu-2.32-compatible server in this process. */
export async function startEmbeddedOpenVidu(options: EmbeddedOpenViduOptions = {}): Promise<EmbeddedOpenVidu> {
  const host = options.host ?? '127.0.0.1';
  const secret = options.secret ?? 'MY_SECRET';
  const log = options.logger ?? consoleLogger('info');
  const recordingPath = path.resolve(options.recordingPath ?? '.data/recordings');
  const recordingEnabled = options.recording ?? true;
  const limits: ClientLimits = { ...DEFAULT_CLIENT_LIMITS, ...options.clientLimits };
  const garbageInterval = options.sessionsGarbageInterval ?? SESSIONS_GARBAGE_INTERVAL_S;
  const garbageThreshold = options.sessionsGarbageThreshold ?? SESSIONS_GARBAGE_THRESHOLD_S;
  const ceStrict = options.ceStrict ?? false;
  if (!(garbageInterval >= 0) || !(garbageThreshold >= 0)) throw new Error('sessionsGarbageInterval and sessionsGarbageThreshold must be numbers ≥ 0');

  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }) : http.createServer();
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4443, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls ? 'https' : 'http';
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const publicUrl = (options.publicUrl ?? `${scheme}://${displayHost}:${port}`).replace(/\/+$/, '');
  const wsPublicUrl = publicUrl.replace(/^http/, 'ws');
  const net = { host: options.rtcHost ?? host, portRange: options.rtcPortRange, publicIp: options.rtcPublicIp };

  const webhook = options.webhook ? new WebhookSender(options.webhook, log) : undefined;
  const core = new OpenViduCore({
    wsPublicUrl,
    net,
    log,
    webhook,
    // A loopback STUN entry that answers nothing keeps openvidu-browser away from its public STUN fallback;
    // host candidates are all a loopback/LAN session needs.
    iceServers: [{ url: `stun:${displayHost}:${port}` }],
    reconnectionGraceMs: options.reconnectionGraceMs,
    maxEarlyCandidateEndpoints: limits.maxEarlyCandidateEndpoints,
    maxCandidatesPerEndpoint: limits.maxCandidatesPerEndpoint,
    sessionsGarbageInterval: garbageInterval,
    sessionsGarbageThreshold: garbageThreshold,
    ceStrict,
  });
  core.recordings = new RecordingManager(core, {
    path: recordingPath,
    publicUrl,
    ffmpegPath: resolveFfmpegPath(options.ffmpegPath),
    notification: options.recordingNotification ?? 'publisher_moderator',
    autostopTimeoutSec: options.recordingAutostopTimeout ?? 120,
    host: host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host,
    ceStrict,
  });
  if (recordingEnabled) await core.recordings.load();
  core.startGarbageCollector();

  const rest = createRestHandler(core, {
    secret,
    publicUrl,
    recordingPath,
    recordingEnabled,
    recordingNotification: options.recordingNotification ?? 'publisher_moderator',
    autostopTimeoutSec: options.recordingAutostopTimeout ?? 120,
    sessionsGarbageInterval: garbageInterval,
    sessionsGarbageThreshold: garbageThreshold,
    webhook: options.webhook ? { endpoint: options.webhook.endpoint, headers: options.webhook.headers ?? [], events: options.webhook.events } : undefined,
    ceStrict,
  });

  server.on('request', (req, res) => {
    rest(req, res)
      .then((handled) => {
        if (handled) return;
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('Not found');
      })
      .catch((err) => {
        log.error(`request failed: ${(err as Error).message}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const sockets = new Set<RpcSocket>();
  /** Open sockets per client address (capped ones only); entries go when their count drops to 0. */
  const perAddress = new Map<string, number>();
  const unlimited = new Set(limits.unlimitedAddresses);
  server.on('upgrade', (req, socket: Duplex, head) => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '');
    } catch {
      pathname = '';
    }
    if (pathname !== '/openvidu') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const address = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    const capped = limits.maxSocketsPerAddress > 0 && !unlimited.has(address);
    if (capped && (perAddress.get(address) ?? 0) >= limits.maxSocketsPerAddress) {
      log.warn(`WebSocket from ${address} refused: ${limits.maxSocketsPerAddress} sockets open from that address`);
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (capped) perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    let counted = capped;
    const release = () => {
      if (!counted) return;
      counted = false;
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n > 0) perAddress.set(address, n);
      else perAddress.delete(address);
    };
    socket.once('close', release);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const rpc = new RpcSocket(ws, core, address, limits);
      sockets.add(rpc);
      ws.on('close', () => {
        sockets.delete(rpc);
        release();
      });
    });
  });

  let closing: Promise<void> | undefined;
  const WEBHOOK_DRAIN_MS = 2000;
  const close = () =>
    (closing ??= (async () => {
      await core.recordings.stopAll();
      await core.shutdown();
      for (const s of sockets) s.ws.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
      // The last events (sessions closed, recordings ready) get 2 s: the receiver may have gone first.
      await core.opts.webhook?.drain(WEBHOOK_DRAIN_MS);
    })());

  log.info(`OpenVidu 2.32-compatible server at ${publicUrl} (secret: ${secret === 'MY_SECRET' ? 'MY_SECRET' : '***'})${ceStrict ? ', CE-strict mode' : ''}`);
  if (net.publicIp || net.portRange)
    log.info(`media: UDP on ${net.host}${net.portRange ? ` ports ${net.portRange.join('-')}` : ''}${net.publicIp ? `, announced as ${net.publicIp}` : ''}`);
  const setWebhook = (w: { endpoint: string; headers?: string[]; events?: string[] } | undefined) => {
    core.opts.webhook = w ? new WebhookSender(w, log) : undefined;
  };
  const setTokenUrl = (wsUrl: string) => {
    core.opts.wsPublicUrl = wsUrl.replace(/\/+$/, '');
  };
  return { url: publicUrl, secret, port, ceStrict, core, setWebhook, setTokenUrl, close };
}

export type { Logger } from './logger.js';
