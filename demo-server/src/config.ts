import path from 'node:path';
import { ConfigError, show } from './config-error.js';
import { loadNetworkConfig, type NetworkConfig } from './config-network.js';

export { ConfigError };

/** The reference server's configuration. `loadConfig` is the only reader of `process.env` in the server. */
export interface Config extends NetworkConfig {
  port: number;
  host: string;
  /** Unset → the embedded OpenVidu server runs as a child process (server.ts). */
  openviduUrl?: string;
  openviduSecret?: string;
  /** Loopback port of the embedded OpenVidu server (0 = any free port, kept across its restarts). */
  embeddedOpenviduPort: number;
  /**
   * The embedded OpenVidu's garbage collector, in seconds (OpenVidu CE's variables and defaults): how often it runs
   * (0 = never), and how old an unjoined session or an unused token must be to go.
   */
  sessionsGarbageInterval: number;
  sessionsGarbageThreshold: number;
  dataDir: string;
  /** Allowed origins for CORS; empty = CORS closed (same-origin only). */
  corsOrigins: string[];
  /** Origins allowed to frame the `/embed` page (CSP frame-ancestors); `*` = any. */
  embedOrigins: string[];
  snapshotMaxBytes: number;
  /** Largest snapshot accepted, in displayed pixels (sides and their product): a tiny file can declare a huge image. */
  snapshotMaxWidth: number;
  snapshotMaxHeight: number;
  snapshotMaxPixels: number;
  /** Open event streams (SSE) allowed per client address, and in total (lowered at start to fit the descriptor limit). */
  sseMaxPerClient: number;
  sseMaxTotal: number;
  /** When set, the webhook receiver requires `Authorization: Bearer <token>`. */
  webhookToken?: string;
  /** Properties of every clip (OpenVidu recording). */
  clip: { resolution: string; frameRate: number; hasAudio: boolean; hasVideo: boolean };
  /** Requests per minute per client on the token and snapshot routes. */
  rateLimitPerMinute: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Serve HTTPS: with TLS_CERT / TLS_KEY when set, else with a generated self-signed certificate. */
  https: boolean;
  /** Timeout of one call to OpenVidu, ms. */
  openviduTimeoutMs: number;
  /**
   * Keys that sign share links (HMAC-SHA256): the first signs, every one verifies (rotation). Empty: a random key
   * kept in `<dataDir>/share-key` (made at first start), so links survive restarts.
   */
  shareKeys: string[];
  /**
   * A backend the server trusts (e.g. the WordPress plugin), holding this shared secret: only it may create tokens
   * (`Authorization: Bearer <secret>`), naming the participant and what it may do; each token comes with an access
   * pass the browser shows on its writes. Unset: no such backend (the `authorize` hook, if any, decides alone).
   */
  backendSecret?: string;
  /** Life of an access pass, seconds. */
  accessSeconds: number;
  /** Longest life of a share link, seconds. */
  shareMaxSeconds: number;
  /** The site's public origin (and path prefix, if any) for absolute links: share URLs and the watch page's preview tags. Unset: the request's own. */
  publicUrl?: string;
  /** ffmpeg and ffprobe for trimming clips; unset: the static builds from npm. */
  ffmpegPath?: string;
  ffprobePath?: string;
  /**
   * Instant replay: the longest "clip the last N seconds" a room's buffer gives (0 = no room has a buffer). A room
   * gets one only when it is asked for (`POST /api/sessions/:id/replay`) and the `authorize` hook allows `replay:start`.
   */
  replaySeconds: number;
  /** Length of one rolling buffer recording: a buffer holds at most `replaySeconds` plus this. */
  replaySegmentSeconds: number;
  /** Rooms that may have a buffer at once (each costs a continuous encode). */
  replayMaxRooms: number;
  /**
   * The embedded OpenVidu refuses whatever OpenVidu CE 2.32 would (a second recording in a session, any extension),
   * so the real-deployment paths can be proven against it.
   */
  openviduCeStrict: boolean;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Environment → typed, validated config. A bad value throws a ConfigError with a one-line message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const int = (name: string, dflt: number, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return dflt;
    const n = /^[0-9]{1,15}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${show(raw)}`);
    return n;
  };
  const bool = (name: string, dflt: boolean) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return dflt;
    if (['1', 'true', 'yes'].includes(raw)) return true;
    if (['0', 'false', 'no'].includes(raw)) return false;
    throw new ConfigError(`${name} must be true or false, got ${show(raw)}`);
  };

  const openviduUrl = env.OPENVIDU_URL || undefined;
  const openviduSecret = env.OPENVIDU_SECRET || undefined;
  if (openviduUrl) {
    let u: URL;
    try {
      u = new URL(openviduUrl);
    } catch {
      throw new ConfigError(`OPENVIDU_URL must be a URL like https://openvidu.example.com, got ${show(openviduUrl)}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError('OPENVIDU_URL must start with http:// or https://');
    if (!openviduSecret) throw new ConfigError('OPENVIDU_SECRET is required when OPENVIDU_URL is set');
  }

  const corsOrigins = (env.CORS_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of corsOrigins) {
    if (o === '*') continue;
    try {
      const u = new URL(o);
      if (u.origin !== o) throw new Error();
    } catch {
      throw new ConfigError(`CORS_ORIGINS must be a comma-separated list of origins like https://example.com, got ${show(o)}`);
    }
  }

  const embedOrigins = (env.EMBED_ORIGINS || '*').split(/[\s,]+/).filter(Boolean);
  for (const o of embedOrigins) {
    if (o === '*' || o === "'self'" || o === "'none'") continue;
    try {
      if (new URL(o).origin !== o) throw new Error();
    } catch {
      throw new ConfigError(`EMBED_ORIGINS must be a comma-separated list of origins like https://cms.example.com (or *), got ${show(o)}`);
    }
  }

  const resolution = env.CLIP_RESOLUTION || '1280x720';
  const m = /^([1-9]\d{2,3})x([1-9]\d{2,3})$/.exec(resolution);
  if (!m || +m[1] > 1999 || +m[2] > 1999) throw new ConfigError(`CLIP_RESOLUTION must be WIDTHxHEIGHT with sides from 100 to 1999, got ${show(resolution)}`);

  const shareKeys = (env.SHARE_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const k of shareKeys) if (k.length < 32) throw new ConfigError('SHARE_KEYS must be a comma-separated list of secrets of at least 32 characters each');

  let publicUrl: string | undefined;
  if (env.PUBLIC_URL) {
    let u: URL | undefined;
    try {
      u = new URL(env.PUBLIC_URL);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.search || u.hash || u.username || u.password)
      throw new ConfigError(`PUBLIC_URL must be a URL like https://video.example.com (a path prefix is allowed), got ${show(env.PUBLIC_URL)}`);
    publicUrl = u.href.replace(/\/$/, '');
  }

  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got ${show(env.LOG_LEVEL ?? '')}`);

  const replaySeconds = int('REPLAY_SECONDS', 0, 0, 600);

  const backendSecret = env.BACKEND_SECRET || undefined;
  if (backendSecret !== undefined && (backendSecret.length < 32 || /[^\x21-\x7e]/.test(backendSecret)))
    throw new ConfigError('BACKEND_SECRET must be at least 32 visible ASCII characters (e.g. openssl rand -base64 32)');
  const port = int('PORT', 5080, 0, 65535);
  const https = bool('HTTPS', !!env.TLS_CERT);
  if (env.TLS_CERT && !https) throw new ConfigError('HTTPS=0 cannot be used with TLS_CERT: a certificate is served over HTTPS');
  return {
    port,
    // Over HTTPS the demo is meant for phones on the same network, so it listens on every interface.
    host: env.HOST || (https ? '0.0.0.0' : '127.0.0.1'),
    openviduUrl,
    openviduSecret,
    embeddedOpenviduPort: int('EMBEDDED_OPENVIDU_PORT', 0, 0, 65535),
    sessionsGarbageInterval: int('OPENVIDU_SESSIONS_GARBAGE_INTERVAL', 900, 0, 86_400),
    sessionsGarbageThreshold: int('OPENVIDU_SESSIONS_GARBAGE_THRESHOLD', 3600, 1, 30 * 86_400),
    dataDir: path.resolve(env.DATA_DIR || '.data'),
    corsOrigins,
    embedOrigins,
    snapshotMaxBytes: int('SNAPSHOT_MAX_BYTES', 10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    // An 8K camera frame (7680x4320, either way up; DCI 8K is 8192x4320) passes; 40 MP decode to 160 MB of RGBA.
    snapshotMaxWidth: int('SNAPSHOT_MAX_WIDTH', 8192, 1, 1_000_000),
    snapshotMaxHeight: int('SNAPSHOT_MAX_HEIGHT', 8192, 1, 1_000_000),
    snapshotMaxPixels: int('SNAPSHOT_MAX_PIXELS', 40_000_000, 1, 1_000_000_000_000),
    // A tab keeps about two streams open: 200 lets a classroom or an office behind one NAT address in.
    sseMaxPerClient: int('SSE_MAX_PER_CLIENT', 200, 1, 1_000_000),
    sseMaxTotal: int('SSE_MAX_TOTAL', 10_000, 1, 1_000_000),
    webhookToken: env.WEBHOOK_TOKEN || undefined,
    clip: {
      resolution,
      frameRate: int('CLIP_FRAME_RATE', 25, 1, 60),
      hasAudio: bool('CLIP_HAS_AUDIO', true),
      hasVideo: bool('CLIP_HAS_VIDEO', true),
    },
    rateLimitPerMinute: int('RATE_LIMIT_PER_MINUTE', 120, 1, 1_000_000),
    logLevel,
    https,
    // Below 5 s so that, with the request's own overhead, an unreachable OpenVidu is reported within 5 s.
    openviduTimeoutMs: int('OPENVIDU_TIMEOUT_MS', 4500, 100, 60_000),
    backendSecret,
    accessSeconds: int('ACCESS_SECONDS', 12 * 3600, 60, 7 * 86_400),
    shareKeys,
    shareMaxSeconds: int('SHARE_MAX_SECONDS', 30 * 86_400, 60, 10 * 365 * 86_400),
    publicUrl,
    ffmpegPath: env.FFMPEG_PATH || undefined,
    ffprobePath: env.FFPROBE_PATH || undefined,
    replaySeconds,
    replaySegmentSeconds: int('REPLAY_SEGMENT_SECONDS', Math.min(60, Math.max(10, replaySeconds)), 5, 600),
    replayMaxRooms: int('REPLAY_MAX_ROOMS', 10, 1, 1000),
    openviduCeStrict: bool('OPENVIDU_CE_STRICT', false),
    ...loadNetworkConfig(env, int, { openviduUrl, port }),
  };
}
