// `npm start`: the reference server, with the embedded OpenVidu server in-process unless OPENVIDU_URL is set.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, type Config } from './config.js';
import { buildApp } from './app.js';
import { startEmbeddedOpenVidu, type EmbeddedOpenVidu } from '../embedded-openvidu/index.js';
import { forwardOpenViduSocket, lanAddresses, loadOrCreateCertificate } from './tls.js';
import { raiseDescriptorLimit, readDescriptorLimits } from './services/descriptor-limit.js';

export interface RunningServer {
  url: string;
  /** Over HTTPS on every interface: the address to open on another device of the network. */
  lanUrl?: string;
  app: FastifyInstance;
  embedded?: EmbeddedOpenVidu;
  close(): Promise<void>;
}

/** Start everything `npm start` starts; used by the CLI below and by end-to-end tests. */
export async function startServer(config: Config): Promise<RunningServer> {
  // Every event stream, upload, WebSocket and recording holds descriptors: take all the OS lets us (before the
  // app sizes its stream limit from it).
  const descriptors = { before: readDescriptorLimits(), after: raiseDescriptorLimit() };
  let embedded: EmbeddedOpenVidu | undefined;
  let cfg = config;
  const anyInterface = config.host === '0.0.0.0' || config.host === '::';
  const lan = anyInterface ? lanAddresses()[0] : undefined;
  const tls = config.https ? await loadOrCreateCertificate(config.dataDir, ['localhost', '127.0.0.1', ...(lan ? [lan] : []), ...(anyInterface ? [] : [config.host])]) : undefined;
  if (!config.openviduUrl) {
    embedded = await startEmbeddedOpenVidu({
      port: config.embeddedOpenviduPort,
      // Over HTTPS, browsers reach OpenVidu's WebSocket through this server (below); its REST API stays on loopback.
      host: tls ? '127.0.0.1' : config.host,
      rtcHost: config.host,
      secret: randomBytes(18).toString('base64url'), // never leaves this process
      recordingPath: path.join(config.dataDir, 'recordings'),
      sessionsGarbageInterval: config.sessionsGarbageInterval,
      sessionsGarbageThreshold: config.sessionsGarbageThreshold,
      logger: embeddedLogger(config.logLevel),
    });
    cfg = { ...config, openviduUrl: embedded.url, openviduSecret: embedded.secret, webhookToken: config.webhookToken ?? randomBytes(18).toString('base64url') };
  }
  const app = await buildApp({
    config: cfg,
    openviduKind: embedded ? 'embedded' : 'remote',
    logger: { level: cfg.logLevel, ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname' } } } : {}) },
    // HTTP/2 over TLS: every tab keeps two event streams open, more than HTTP/1.1's six connections allow for long.
    ...(tls ? { fastify: { http2: true, https: { key: tls.key, cert: tls.cert, allowHTTP1: true } } } : {}),
  });
  if (tls && embedded) forwardOpenViduSocket(app.server, embedded.port);
  const { before, after } = descriptors;
  if (before && after && after.soft > before.soft) app.log.info({ from: before.soft, to: after.soft }, `descriptor limit raised from ${before.soft} to ${after.soft}`);
  else if (after && after.soft < after.hard) app.log.warn({ soft: after.soft, hard: after.hard }, `descriptor limit ${after.soft} could not be raised to ${after.hard} (is prlimit installed?)`);
  let address: string;
  try {
    address = await app.listen({ port: cfg.port, host: cfg.host });
  } catch (err) {
    await app.close();
    await embedded?.close();
    throw err;
  }
  const url = address.replace('[::1]', 'localhost').replace('0.0.0.0', '127.0.0.1');
  const port = new URL(url).port;
  const lanUrl = lan ? `${tls ? 'https' : 'http'}://${lan}:${port}` : undefined;
  // Tokens then point browsers at this origin (the LAN address when listening on every interface).
  if (tls) embedded?.setTokenUrl(`wss://${lan ?? new URL(url).hostname}:${port}`);
  // The embedded OpenVidu tells us about recordings through the webhook, like a real deployment would.
  // sessionDestroyed: the server forgets a room's cached session and event history when it ends.
  embedded?.setWebhook({ endpoint: `${url}/api/webhooks/openvidu`, headers: [`Authorization: Bearer ${cfg.webhookToken}`], events: ['recordingStatusChanged', 'sessionDestroyed'] });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await app.close(); // ends SSE streams, refuses new requests
      await embedded?.close(); // finishes recordings in progress, so no clip is lost
    })());
  return { url, lanUrl, app, embedded, close };
}

function embeddedLogger(level: Config['logLevel']) {
  const order = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  const min = order.indexOf(level);
  const at = (l: string) => (msg: string, extra?: object) => {
    if (order.indexOf(l) < min) return;
    (l === 'error' || l === 'warn' ? console.error : console.log)(`[openvidu] ${msg}${extra ? ' ' + JSON.stringify(extra) : ''}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const server = await startServer(config).catch((err: Error & { code?: string }) => {
    console.error(err.code === 'EADDRINUSE' ? `Port ${config.port} is in use: set PORT to another one.` : `Could not start: ${err.message}`);
    process.exit(1);
  });
  if (server.lanUrl) console.log(`\n  On this network:      ${server.lanUrl}/ ${config.https ? '(self-signed certificate: accept the warning once)' : ''}`);
  console.log(`\n  ov-live-elements demo: ${server.url}/\n  API docs:             ${server.url}/api/docs\n  OpenVidu:             ${server.embedded ? 'embedded (in this process)' : config.openviduUrl}\n`);
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) process.exit(1);
      stopping = true;
      console.log('Stopping: finishing clips being recorded…');
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
