// The embedded OpenVidu as a process of its own: `npm run openvidu`'s CLI, configured through its environment like
// OpenVidu itself, started, watched and restarted by the reference server. The reference server talks to it over
// REST and WebSocket exactly as to a real deployment; neither shares the other's event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { supervise } from './child-supervisor.js';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ConfigError, type Config } from './config.js';

export type OpenViduLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface OpenViduProcessOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one at the first start, which every restart then reuses. */
  port: number;
  /** Address ICE uses (e.g. `0.0.0.0` for devices of the network); the REST API stays on loopback. */
  rtcHost?: string;
  /** UDP ports the media may bind (OPENVIDU_RTC_PORT_RANGE). */
  rtcPortRange?: [number, number];
  /** The address put in the media's ICE candidates instead of the bound one (OPENVIDU_RTC_PUBLIC_IP). */
  rtcPublicIp?: string;
  secret: string;
  recordingPath: string;
  sessionsGarbageInterval: number;
  sessionsGarbageThreshold: number;
  webhook?: { endpoint: string; headers: string[]; events: string[] };
  /** Where tokens send browsers (`wss://host:port`) when OpenVidu's WebSocket is reached through a proxy. */
  tokenUrl?: string;
  /** OPENVIDU_CE_STRICT: the child behaves exactly as OpenVidu CE 2.32 (config `openviduCeStrict`). */
  ceStrict?: boolean;
  logLevel: OpenViduLogLevel | 'silent';
  /** Every line the process prints, with its level. */
  log: (level: OpenViduLogLevel, msg: string, pid: number | undefined) => void;
  /** More environment for the process (e.g. NODE_EXTRA_CA_CERTS). */
  env?: Record<string, string>;
  /** Time allowed for a start (default 60 s) and for a stop that finishes recordings (default 20 s). */
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  /** Restart delays: the first, doubled on each quick death up to the last (default 500 ms … 30 s). */
  restartDelayMs?: [first: number, max: number];
}

export interface OpenViduProcess {
  /** `OPENVIDU_URL` of the process (the same across restarts). */
  readonly url: string;
  readonly secret: string;
  readonly port: number;
  /** The running process, or undefined between a death and its restart. */
  readonly pid: number | undefined;
  /** Restarts after a death so far. */
  readonly restarts: number;
  /** SIGTERM (recordings in progress are finished), then SIGKILL if it takes longer than `stopTimeoutMs`. */
  close(): Promise<void>;
}

/** What the CLI sends on its IPC channel once it listens. */
interface ReadyMessage {
  type: 'openvidu-ready';
  url: string;
  port: number;
}

export class OpenViduStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

const here = import.meta.url;

/** `npm run openvidu`'s entry next to this module: TypeScript run through tsx, or the compiled JavaScript. */
function cliCommand(): string[] {
  const ts = here.endsWith('.ts');
  const entry = fileURLToPath(new URL(`../embedded-openvidu/cli.${ts ? 'ts' : 'js'}`, here));
  if (!existsSync(entry)) throw new OpenViduStartError(`the embedded OpenVidu's entry is missing: ${entry}`, '');
  return ts ? ['--import', import.meta.resolve('tsx'), entry] : [entry];
}

/**
 * Named here so the package build (tsc follows imports) compiles the CLI next to this module; never called.
 * @internal
 */
export const loadCliForBuild = () => import('../embedded-openvidu/cli.js');

/** Fewest ports MEDIA_PORT_RANGE may hold: each peer connection binds one, a room of n people uses n² (5 rooms of 2). */
export const MIN_MEDIA_PORTS = 20;

export interface EmbeddedMedia {
  rtcHost: string;
  rtcPortRange?: [number, number];
  rtcPublicIp?: string;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');

/**
 * The embedded OpenVidu's media settings from MEDIA_* (undefined with an external OpenVidu), or a ConfigError
 * when they cannot work together. `interfaces`: this host's, for MEDIA_LISTEN_IP.
 */
export function embeddedMediaOptions(config: Config, interfaces = os.networkInterfaces()): EmbeddedMedia | undefined {
  const { mediaPublicIp: publicIp, mediaPortRange: range, mediaListenIp } = config;
  if (config.openviduUrl) {
    const set = [publicIp && 'MEDIA_PUBLIC_IP', range && 'MEDIA_PORT_RANGE', mediaListenIp && 'MEDIA_LISTEN_IP'].filter(Boolean);
    if (set.length)
      throw new ConfigError(
        `${set.join(' and ')} ${set.length > 1 ? 'configure' : 'configures'} the embedded OpenVidu only: unset ${set.length > 1 ? 'them' : 'it'}, or configure your OpenVidu at ${config.openviduUrl} itself`,
      );
    return undefined;
  }
  if (mediaListenIp && mediaListenIp !== '0.0.0.0') {
    const own = Object.values(interfaces).flatMap((list) =>
      (list ?? []).filter((a) => a.family === 'IPv4' || (a.family as unknown) === 4).map((a) => a.address),
    );
    if (!own.includes(mediaListenIp))
      throw new ConfigError(`MEDIA_LISTEN_IP ${mediaListenIp} is no address of this host (it has ${own.join(', ')}; 0.0.0.0 means all of them)`);
  }
  // The media binds where HOST listens unless told otherwise (every interface when HOST is 0.0.0.0).
  const rtcHost = mediaListenIp ?? config.host;
  if (range && range[1] - range[0] + 1 < MIN_MEDIA_PORTS)
    throw new ConfigError(
      `MEDIA_PORT_RANGE ${range.join('-')} holds ${range[1] - range[0] + 1} ports: each peer connection binds one (a room of 2 uses 4), give at least ${MIN_MEDIA_PORTS}`,
    );
  if (publicIp && isLoopback(rtcHost))
    throw new ConfigError(
      `MEDIA_PUBLIC_IP ${publicIp} with media bound on loopback (${rtcHost}) is unreachable from outside: set MEDIA_LISTEN_IP to this host's private address or 0.0.0.0`,
    );
  return { rtcHost, rtcPortRange: range, rtcPublicIp: publicIp };
}

const LINE = /^\[openvidu\] (DEBUG|INFO|WARN|ERROR) (.*)$/s;

/** Start the embedded OpenVidu in a child process; resolves once it listens, rejects (with its output) if it cannot. */
export async function startOpenViduProcess(opts: OpenViduProcessOptions): Promise<OpenViduProcess> {
  const command = cliCommand();
  let port = opts.port;

  const env = (): NodeJS.ProcessEnv => {
    // Settings of the reference server's own environment meant for another OpenVidu are not this one's.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENVIDU_') && k !== 'HTTPS_PORT' && k !== 'LOG_LEVEL'));
    return {
      ...inherited,
      OPENVIDU_PORT: String(port),
      OPENVIDU_HOST: '127.0.0.1',
      ...(opts.rtcHost && opts.rtcHost !== '127.0.0.1' ? { OPENVIDU_RTC_HOST: opts.rtcHost } : {}),
      ...(opts.rtcPortRange ? { OPENVIDU_RTC_PORT_RANGE: opts.rtcPortRange.join('-') } : {}),
      ...(opts.rtcPublicIp ? { OPENVIDU_RTC_PUBLIC_IP: opts.rtcPublicIp } : {}),
      OPENVIDU_SECRET: opts.secret,
      OPENVIDU_RECORDING_PATH: opts.recordingPath,
      OPENVIDU_SESSIONS_GARBAGE_INTERVAL: String(opts.sessionsGarbageInterval),
      OPENVIDU_SESSIONS_GARBAGE_THRESHOLD: String(opts.sessionsGarbageThreshold),
      ...(opts.webhook
        ? {
            OPENVIDU_WEBHOOK: 'true',
            OPENVIDU_WEBHOOK_ENDPOINT: opts.webhook.endpoint,
            OPENVIDU_WEBHOOK_HEADERS: JSON.stringify(opts.webhook.headers),
            OPENVIDU_WEBHOOK_EVENTS: JSON.stringify(opts.webhook.events),
          }
        : {}),
      ...(opts.tokenUrl ? { OPENVIDU_TOKEN_URL: opts.tokenUrl } : {}),
      ...(opts.ceStrict ? { OPENVIDU_CE_STRICT: 'true' } : {}),
      LOG_LEVEL: opts.logLevel,
      ...opts.env,
    };
  };

  /** One process, resolved once it listens; its output goes to `opts.log` line by line. */
  const launch = () =>
    new Promise<{ proc: ChildProcess; ready: ReadyMessage }>((resolve, reject) => {
      const proc = spawn(process.execPath, command, {
        env: env(),
        // Its own process group: a Ctrl-C in the terminal reaches the reference server only, which stops it in turn
        // (a second SIGINT would make the CLI give up on the recordings it is finishing).
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      const tail: string[] = [];
      const relay = (stream: NodeJS.ReadableStream, dflt: OpenViduLogLevel) =>
        createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
          tail.push(line);
          if (tail.length > 20) tail.shift();
          const m = LINE.exec(line);
          opts.log(m ? (m[1].toLowerCase() as OpenViduLogLevel) : dflt, m ? m[2] : line, proc.pid);
        });
      relay(proc.stdout!, 'info');
      relay(proc.stderr!, 'warn');
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        fail(`no answer within ${(opts.startTimeoutMs ?? 60_000) / 1000} s`);
      }, opts.startTimeoutMs ?? 60_000);
      const fail = (why: string) => {
        clearTimeout(timer);
        proc.off('message', onMessage);
        reject(new OpenViduStartError(why, tail.join('\n')));
      };
      const onMessage = (msg: unknown) => {
        if ((msg as ReadyMessage)?.type !== 'openvidu-ready') return;
        clearTimeout(timer);
        proc.off('close', onEarlyExit);
        resolve({ proc, ready: msg as ReadyMessage });
      };
      // `close` comes after the output was read to its end, so the reason printed last is in `tail`.
      const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null) => fail(signal ? `killed by ${signal}` : `exit code ${code}`);
      proc.on('message', onMessage);
      proc.once('close', onEarlyExit);
      proc.once('error', (err) => fail(err.message));
    });

  const first = await launch();
  port = first.ready.port; // kept across restarts
  const supervisor = supervise({
    name: 'the OpenVidu process',
    first: first.proc,
    launch: () => launch().then(({ proc }) => proc),
    restartDelayMs: opts.restartDelayMs ?? [500, 30_000],
    stopGraceMs: opts.stopTimeoutMs ?? 20_000,
    restartedNote: 'recordings it was making are recovered',
    logKill: true,
    log: opts.log,
  });
  return {
    url: first.ready.url,
    secret: opts.secret,
    port,
    get pid() {
      return supervisor.child?.pid;
    },
    get restarts() {
      return supervisor.restarts;
    },
    close: () => supervisor.close(),
  };
}
