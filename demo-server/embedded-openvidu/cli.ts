#!/usr/bin/env node
/**
 * `npm run openvidu`: the embedded OpenVidu server on its own, configured like OpenVidu 2 itself, so OpenVidu's
 * tutorials' backends run against it unchanged (port 4443, secret MY_SECRET).
 */
import { DEFAULT_CLIENT_LIMITS, startEmbeddedOpenVidu, type EmbeddedOpenViduOptions } from './index.js';
import { MAX_FRAME_BYTES } from './rpc/rpc-socket.js';
import { parseWebhookHeaders } from './webhook.js';
import { consoleLogger, type LogLevel } from './logger.js';

function fail(msg: string): never {
  console.error(`openvidu: ${msg}`);
  process.exit(1);
}

function intEnv(name: string, dflt: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) fail(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  return n;
}

/** A non-negative number (fractions allowed): CE's garbage settings are seconds, tests use fractions. */
function secondsEnv(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) fail(`${name} must be a number of seconds ≥ 0, got "${raw}"`);
  return n;
}

function boolEnv(name: string, dflt: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  if (raw !== 'true' && raw !== 'false') fail(`${name} must be "true" or "false", got "${raw}"`);
  return raw === 'true';
}

const env = process.env;
const notification = env.OPENVIDU_RECORDING_NOTIFICATION || 'publisher_moderator';
if (!['all', 'publisher_moderator', 'moderator', 'none'].includes(notification))
  fail(`OPENVIDU_RECORDING_NOTIFICATION must be all, publisher_moderator, moderator or none`);
const level = (env.LOG_LEVEL || 'info') as LogLevel;
if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level)) fail('LOG_LEVEL must be debug, info, warn, error or silent');

/** An IPv4 address (the media settings: werift gathers IPv4 only). */
function ipv4Env(name: string): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  const parts = raw.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255))
    fail(`${name} must be an IPv4 address like 203.0.113.10, got "${raw}"`);
  return raw;
}

function portRangeEnv(name: string): [number, number] | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  const m = /^([0-9]{1,5})-([0-9]{1,5})$/.exec(raw);
  const [lo, hi] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!m || lo < 1 || hi > 65535 || lo > hi) fail(`${name} must be two ports low-high, like 40000-40199, got "${raw}"`);
  return [lo, hi];
}

let webhook: EmbeddedOpenViduOptions['webhook'];
if (env.OPENVIDU_WEBHOOK_ENDPOINT && boolEnv('OPENVIDU_WEBHOOK', true)) {
  try {
    new URL(env.OPENVIDU_WEBHOOK_ENDPOINT);
    webhook = { endpoint: env.OPENVIDU_WEBHOOK_ENDPOINT, headers: parseWebhookHeaders(env.OPENVIDU_WEBHOOK_HEADERS) };
    if (env.OPENVIDU_WEBHOOK_EVENTS) webhook.events = JSON.parse(env.OPENVIDU_WEBHOOK_EVENTS) as string[];
  } catch (err) {
    fail((err as Error).message);
  }
}

const ov = await startEmbeddedOpenVidu({
  port: intEnv('HTTPS_PORT', intEnv('OPENVIDU_PORT', 4443, 0, 65535), 0, 65535),
  host: env.OPENVIDU_HOST || '127.0.0.1',
  // Not CE settings: for a host server that runs this CLI as its child (`npm start`), see docs/embedded-openvidu.md.
  rtcHost: env.OPENVIDU_RTC_HOST || undefined,
  rtcPortRange: portRangeEnv('OPENVIDU_RTC_PORT_RANGE'),
  rtcPublicIp: ipv4Env('OPENVIDU_RTC_PUBLIC_IP'),
  secret: env.OPENVIDU_SECRET || 'MY_SECRET',
  publicUrl: env.OPENVIDU_PUBLICURL || undefined,
  recordingPath: env.OPENVIDU_RECORDING_PATH || undefined,
  recording: boolEnv('OPENVIDU_RECORDING', true),
  recordingNotification: notification as EmbeddedOpenViduOptions['recordingNotification'],
  recordingAutostopTimeout: intEnv('OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT', 120, 0, 86400),
  ffmpegPath: env.FFMPEG_PATH || undefined,
  webhook,
  sessionsGarbageInterval: secondsEnv('OPENVIDU_SESSIONS_GARBAGE_INTERVAL', 900),
  sessionsGarbageThreshold: secondsEnv('OPENVIDU_SESSIONS_GARBAGE_THRESHOLD', 3600),
  // Not CE settings (CE has no such limits): see docs/embedded-openvidu.md#limits.
  clientLimits: {
    framesPerSecond: intEnv('OPENVIDU_RPC_FRAMES_PER_SECOND', DEFAULT_CLIENT_LIMITS.framesPerSecond, 1, 1_000_000),
    frameBurst: intEnv('OPENVIDU_RPC_FRAME_BURST', DEFAULT_CLIENT_LIMITS.frameBurst, 1, 10_000_000),
    bytesPerSecond: intEnv('OPENVIDU_RPC_BYTES_PER_SECOND', DEFAULT_CLIENT_LIMITS.bytesPerSecond, 1024, 2 ** 40),
    byteBurst: intEnv('OPENVIDU_RPC_BYTE_BURST', DEFAULT_CLIENT_LIMITS.byteBurst, MAX_FRAME_BYTES, 2 ** 40),
    joinTimeoutMs: intEnv('OPENVIDU_RPC_JOIN_TIMEOUT_MS', DEFAULT_CLIENT_LIMITS.joinTimeoutMs, 100, 86_400_000),
    maxSocketsPerAddress: intEnv('OPENVIDU_RPC_MAX_SOCKETS_PER_ADDRESS', DEFAULT_CLIENT_LIMITS.maxSocketsPerAddress, 0, 1_000_000),
  },
  // Not a CE setting: behave exactly as CE 2.32 does where this server would do more (docs/embedded-openvidu.md).
  ceStrict: boolEnv('OPENVIDU_CE_STRICT', false),
  logger: consoleLogger(level),
}).catch((err: Error) => fail(`could not start: ${err.message}`));
if (env.OPENVIDU_TOKEN_URL) ov.setTokenUrl(env.OPENVIDU_TOKEN_URL);

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('openvidu: stopping (finishing recordings)…');
    ov.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

// Started by a host server with an IPC channel (`npm start`): tell it where we listen, and end with it. A host that
// dies without stopping us (SIGKILL, a crash) leaves recordings in progress to the crash recovery at the next start,
// as if both had been one process.
if (process.send) {
  process.send({ type: 'openvidu-ready', url: ov.url, port: ov.port });
  process.once('disconnect', () => {
    if (!stopping) process.exit(1);
  });
}
