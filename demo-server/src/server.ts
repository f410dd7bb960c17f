// `npm start`: the reference server, with the embedded OpenVidu server in a child process unless OPENVIDU_URL is set.
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, type Config } from './config.js';
import { buildApp } from './app.js';
import { startEmbeddedOpenVidu, type EmbeddedOpenVidu } from '../embedded-openvidu/index.js';
import { embeddedMediaOptions, OpenViduStartError, startOpenViduProcess, type OpenViduLogLevel, type OpenViduProcess } from './openvidu-process.js';
import { forwardOpenViduSocket, lanAddresses, loadOrCreateCertificate, publicSocketUrl } from './tls.js';
import { loadCertificateFiles, serveCertificate, watchCertificate } from './cert-reload.js';
import { startHttpRedirect } from './http-redirect.js';
import { raiseDescriptorLimit, readDescriptorLimits } from './services/descriptor-limit.js';
import { startTurnProcess, type TurnProcess } from './turn-process.js';

export interface RunningServer {
  url: string;
  /** Over HTTPS on every interface: the address to open on another device of the network. */
  lanUrl?: string;
  app: FastifyInstance;
  /** The embedded OpenVidu's process (the default when OPENVIDU_URL is unset). */
  openvidu?: OpenViduProcess;
  /** The embedded OpenVidu, when started with `{ openvidu: 'in-process' }`. */
  embedded?: EmbeddedOpenVidu;
  /** The embedded coturn (TURN=embedded). */
  turn?: TurnProcess;
  close(): Promise<void>;
}

export interface StartOptions {
  /**
   * Where the embedded OpenVidu runs when OPENVIDU_URL is unset: a child process watched and restarted by this
   * server (default), or this process (one event loop for both, for hosts that cannot start processes).
   */
  openvidu?: 'process' | 'in-process';
}

/** What clips need from OpenVidu's webhook: recording states, and rooms that end (their cached session goes). */
const WEBHOOK_EVENTS = ['recordingStatusChanged', 'sessionDestroyed'];

/** Start everything `npm start` starts; used by the CLI below and by end-to-end tests. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  // MEDIA_* that cannot work together are refused before anything starts (a ConfigError).
  const media = embeddedMediaOptions(config);
  // Every event stream, upload, WebSocket and recording holds descriptors: take all the OS lets us (before the
  // app sizes its stream limit from it, and before the OpenVidu process inherits it).
  const descriptors = { before: readDescriptorLimits(), after: raiseDescriptorLimit() };
  const anyInterface = config.host === '0.0.0.0' || config.host === '::';
  const loopback = ['127.0.0.1', '::1', 'localhost'].includes(config.host);
  const lan = anyInterface ? lanAddresses()[0] : undefined;
  const tls = config.https
    ? await loadOrCreateCertificate(config.dataDir, ['localhost', '127.0.0.1', ...(lan ? [lan] : []), ...(anyInterface ? [] : [config.host])])
    : undefined;
  // TLS_CERT: checked now (one line naming the file when unusable). Browsers (SNI) get it; connections by address,
  // as the OpenVidu webhook to 127.0.0.1, keep the self-signed one above, which the OpenVidu process trusts.
  const certFiles = config.tlsCert && config.tlsKey ? { cert: config.tlsCert, key: config.tlsKey } : undefined;
  const served = certFiles && tls ? serveCertificate(await loadCertificateFiles(certFiles), tls) : undefined;
  const scheme = tls ? 'https' : 'http';
  const embeddedWanted = !config.openviduUrl;

  // The port is taken first (PORT=0: a free one), so the OpenVidu process can be told where its webhook and its
  // browsers go before it starts; the app takes the port over once built.
  const reservation = embeddedWanted ? await reserve(config.port, config.host) : undefined;
  const port = reservation?.port ?? config.port;
  const ownHost = anyInterface ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const own = `${scheme}://${ownHost}:${port}`;
  // Over HTTPS, or beyond loopback, browsers reach OpenVidu's WebSocket through this server's port and origin;
  // OpenVidu itself only listens on loopback.
  const forwardSocket = !!tls || !loopback || !!config.publicUrl;
  // Announced as the public sees the site (PUBLIC_URL, or the name a real certificate covers), not an address of
  // this host, which browsers behind a NAT or a reverse proxy cannot reach.
  const tokenUrl = forwardSocket
    ? (publicSocketUrl(config.publicUrl, served?.current().names ?? [], port) ??
      `${tls ? 'wss' : 'ws'}://${lan ?? (anyInterface ? '127.0.0.1' : ownHost)}:${port}`)
    : undefined;
  const webhookToken = config.webhookToken ?? randomBytes(18).toString('base64url');
  const webhook = { endpoint: `${own}/api/webhooks/openvidu`, headers: [`Authorization: Bearer ${webhookToken}`], events: WEBHOOK_EVENTS };

  /** Lines of the OpenVidu and coturn processes, to the app's logger once it exists (kept until then). */
  let app: FastifyInstance | undefined;
  const early: Array<() => void> = [];
  const relayFrom =
    (name: 'openvidu' | 'turn') =>
    (level: OpenViduLogLevel, msg: string, pid: number | undefined): void => {
      if (app) app.log[level]({ [`${name}Pid`]: pid }, `[${name}] ${msg}`);
      else early.push(() => relayFrom(name)(level, msg, pid));
    };
  const relay = relayFrom('openvidu');

  let openvidu: OpenViduProcess | undefined;
  let embedded: EmbeddedOpenVidu | undefined;
  let turn: TurnProcess | undefined;
  /** OpenVidu finishes its recordings in progress, so no clip is lost; coturn goes last. */
  const stopChildren = async () => {
    await openvidu?.close();
    await embedded?.close();
    await turn?.close();
  };
  let cfg = config;
  try {
    if (config.turn === 'embedded') {
      // Browsers get per-connection credentials for it through the TURN_URLS + TURN_SECRET path.
      turn = await startTurnProcess({ config, log: relayFrom('turn') });
      cfg = { ...cfg, turnUrls: turn.urls, turnSecret: turn.secret };
    }
    if (embeddedWanted && options.openvidu === 'in-process') {
      embedded = await startEmbeddedOpenVidu({
        port: config.embeddedOpenviduPort,
        host: '127.0.0.1',
        ...media,
        secret: randomBytes(18).toString('base64url'), // never leaves this process
        recordingPath: path.join(config.dataDir, 'recordings'),
        sessionsGarbageInterval: config.sessionsGarbageInterval,
        sessionsGarbageThreshold: config.sessionsGarbageThreshold,
        ceStrict: config.openviduCeStrict,
        webhook,
        logger: {
          debug: (m) => relay('debug', m, process.pid),
          info: (m) => relay('info', m, process.pid),
          warn: (m) => relay('warn', m, process.pid),
          error: (m) => relay('error', m, process.pid),
        },
      });
      if (tokenUrl) embedded.setTokenUrl(tokenUrl);
      cfg = { ...cfg, openviduUrl: embedded.url, openviduSecret: embedded.secret, webhookToken };
    } else if (embeddedWanted) {
      openvidu = await startOpenViduProcess({
        port: config.embeddedOpenviduPort,
        ...media,
        secret: randomBytes(18).toString('base64url'), // known to this server and its child only
        recordingPath: path.join(config.dataDir, 'recordings'),
        sessionsGarbageInterval: config.sessionsGarbageInterval,
        sessionsGarbageThreshold: config.sessionsGarbageThreshold,
        ceStrict: config.openviduCeStrict,
        webhook,
        tokenUrl,
        logLevel: openviduLevel(config.logLevel),
        log: relay,
        // The webhook goes to this server's HTTPS port: the OpenVidu process trusts its self-signed certificate.
        env: tls ? { NODE_EXTRA_CA_CERTS: path.join(config.dataDir, 'tls', 'cert.pem') } : {},
      }).catch((err: Error) => {
        const why = err instanceof OpenViduStartError && err.output ? `${err.message}\n${err.output}` : err.message;
        const busy =
          /EADDRINUSE/.test(why) && config.embeddedOpenviduPort
            ? ` (EMBEDDED_OPENVIDU_PORT ${config.embeddedOpenviduPort} is in use: set another one, or 0)`
            : '';
        throw Object.assign(new Error(`the embedded OpenVidu did not start${busy}: ${why}`), { code: 'OPENVIDU_START' });
      });
      cfg = { ...cfg, openviduUrl: openvidu.url, openviduSecret: openvidu.secret, webhookToken };
    }
    app = await buildApp({
      config: cfg,
      openviduKind: embeddedWanted ? 'embedded' : 'remote',
      logger: {
        level: cfg.logLevel,
        ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
      },
      // HTTP/2 over TLS: every tab keeps two event streams open, more than HTTP/1.1's six connections allow for long.
      ...(tls ? { fastify: { http2: true, https: served?.https ?? { key: tls.key, cert: tls.cert, allowHTTP1: true } } } : {}),
    });
  } catch (err) {
    await reservation?.release();
    await stopChildren();
    throw err;
  }
  for (const line of early.splice(0)) line();
  const openviduPort = openvidu?.port ?? embedded?.port;
  if (forwardSocket && openviduPort) forwardOpenViduSocket(app.server, openviduPort);
  const { before, after } = descriptors;
  if (before && after && after.soft > before.soft)
    app.log.info({ from: before.soft, to: after.soft }, `descriptor limit raised from ${before.soft} to ${after.soft}`);
  else if (after && after.soft < after.hard)
    app.log.warn({ soft: after.soft, hard: after.hard }, `descriptor limit ${after.soft} could not be raised to ${after.hard} (is prlimit installed?)`);
  let address: string;
  try {
    await app.ready();
    await reservation?.release();
    address = await app.listen({ port, host: cfg.host });
  } catch (err) {
    await app.close();
    await stopChildren();
    throw err;
  }
  const url = address.replace('[::1]', 'localhost').replace('0.0.0.0', '127.0.0.1');
  const lanUrl = lan && !served ? `${scheme}://${lan}:${new URL(url).port}` : undefined;
  // A renewed certificate (certbot's symlink swap) is served to new connections; a broken one is logged, the old kept.
  // coturn's TLS port serves the same files: it re-reads them in place (SIGUSR2).
  const certWatch =
    served && certFiles
      ? watchCertificate(
          {
            current: served.current,
            use: (next) => {
              served.use(next);
              turn?.reloadCertificate();
            },
          },
          certFiles,
          app.log,
        )
      : undefined;
  let redirect: { close(): Promise<void> } | undefined;
  if (config.httpRedirectPort) {
    try {
      redirect = await startHttpRedirect({
        port: config.httpRedirectPort,
        host: cfg.host,
        httpsPort: (app.server.address() as net.AddressInfo).port,
        publicUrl: config.publicUrl,
        acmeWebroot: path.join(config.dataDir, 'acme-challenge'),
        log: app.log,
      });
    } catch (err) {
      certWatch?.close();
      await app.close();
      await stopChildren();
      throw err;
    }
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      certWatch?.close();
      await redirect?.close();
      await app.close(); // ends SSE streams, refuses new requests, ends replay buffers (nothing of a room outlives it)
      await stopChildren();
    })());
  return { url, lanUrl, app, openvidu, embedded, turn, close };
}

/** Hold `port` on `host` (0: a free one) until `release()`; fails as listening would (EADDRINUSE…). */
async function reserve(port: number, host: string): Promise<{ port: number; release(): Promise<void> }> {
  // A connection that arrives meanwhile (the OpenVidu process's first webhooks) is closed at once: it retries, and a
  // connection left open would keep `close()` below from ever finishing.
  const holder = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    holder.once('error', reject);
    holder.listen({ port, host, exclusive: true }, () => resolve());
  });
  let released: Promise<void> | undefined;
  return {
    port: (holder.address() as net.AddressInfo).port,
    release: () => (released ??= new Promise<void>((r) => holder.close(() => r()))),
  };
}

/** The reference server's log level (pino's) as the OpenVidu CLI's LOG_LEVEL. */
function openviduLevel(level: Config['logLevel']): OpenViduLogLevel | 'silent' {
  if (level === 'trace') return 'debug';
  if (level === 'fatal') return 'error';
  return level;
}

/** Whether this module is the program Node was asked to run (through any symlink, and whatever its path holds). */
function isMain(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
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
  const ov = server.openvidu
    ? `embedded, process ${server.openvidu.pid} (${server.openvidu.url})`
    : server.embedded
      ? 'embedded (in this process)'
      : config.openviduUrl;
  const turn = server.turn ? `\n  TURN:                 embedded coturn, process ${server.turn.pid} (${server.turn.urls.join(', ')})` : '';
  console.log(`\n  ov-live-elements demo: ${server.url}/\n  API docs:             ${server.url}/api/docs\n  OpenVidu:             ${ov}${turn}\n`);
  let stopping = 0;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) {
        // One Ctrl-C arrives twice under npm: from the terminal and forwarded by npm. Only a later one means "now":
        // then the OpenVidu process goes too (its recordings are recovered at the next start), never left behind.
        if (Date.now() - stopping < 1000) return;
        for (const pid of [server.openvidu?.pid, server.turn?.pid]) if (pid) process.kill(pid, 'SIGKILL');
        process.exit(1);
      }
      stopping = Date.now();
      console.log('Stopping: finishing clips being recorded…');
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
