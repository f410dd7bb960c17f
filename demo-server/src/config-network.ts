// The public-site part of the configuration: media address and ports, TURN, and a real certificate.
import { ConfigError, show } from './config-error.js';

export interface NetworkConfig {
  /**
   * The embedded OpenVidu's media behind 1:1 NAT: the address put in the server's ICE candidates (its public address,
   * on no interface of the host), the UDP ports werift may bind, and the local address it binds them on (default:
   * HOST's, or every interface when HOST is 0.0.0.0).
   */
  mediaPublicIp?: string;
  mediaPortRange?: [number, number];
  mediaListenIp?: string;
  /**
   * TURN for browsers (coturn with `use-auth-secret`): its URLs (`turn:host:3478?transport=udp`, `turns:…`) and the
   * shared secret; each connection gets time-limited REST credentials, never the secret.
   */
  turnUrls: string[];
  turnSecret?: string;
  turnCredentialSeconds: number;
  /** `TURN=embedded`: `npm start` runs Debian's coturn (`turnserver`) as a watched child, configured from these. */
  turn?: 'embedded';
  /** Its listening port (UDP and TCP), and its TLS port (only with TLS_CERT). */
  turnPort: number;
  turnTlsPort: number;
  /** The UDP ports it relays on (must not overlap MEDIA_PORT_RANGE). */
  turnRelayPortRange: [number, number];
  turnRealm?: string;
  /** The name or address browsers are given in the TURN URLs; unset: PUBLIC_URL's host, else the media address. */
  turnHost?: string;
  /** A real certificate (e.g. certbot's fullchain.pem and privkey.pem): HTTPS with it, reloaded when the files change. */
  tlsCert?: string;
  tlsKey?: string;
  /** With TLS: a plain-HTTP port that redirects to HTTPS and answers ACME HTTP-01 challenges (0 = none). */
  httpRedirectPort: number;
}

type Env = NodeJS.ProcessEnv;
type IntReader = (name: string, dflt: number, min: number, max: number) => number;

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function ipv4(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  const parts = raw.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255))
    throw new ConfigError(`${name} must be an IPv4 address like 203.0.113.10, got ${show(raw)}`);
  return raw;
}

function portRange(env: Env, name: string, example: string): [number, number] | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  const r = /^([0-9]{1,5})-([0-9]{1,5})$/.exec(raw);
  const lo = r ? Number(r[1]) : NaN;
  const hi = r ? Number(r[2]) : NaN;
  if (!r || lo < 1024 || hi > 65535 || lo > hi)
    throw new ConfigError(`${name} must be two ports from 1024 to 65535, low-high, like ${example}, got ${show(raw)}`);
  return [lo, hi];
}

/** The network settings of `env`; `openviduUrl` and `publicUrl` as already read (the checks across them need both). */
export function loadNetworkConfig(env: Env, int: IntReader, ctx: { openviduUrl?: string; port: number }): NetworkConfig {
  const mediaPublicIp = ipv4(env, 'MEDIA_PUBLIC_IP');
  const mediaListenIp = ipv4(env, 'MEDIA_LISTEN_IP');
  const mediaPortRange = portRange(env, 'MEDIA_PORT_RANGE', '40000-40199');

  const turnUrls = (env.TURN_URLS ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const u of turnUrls)
    if (!/^turns?:[A-Za-z0-9.-]+(:[0-9]{1,5})?(\?transport=(udp|tcp))?$/.test(u))
      throw new ConfigError(
        `TURN_URLS must be a comma-separated list like turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349, got ${show(u)}`,
      );
  const turnSecret = env.TURN_SECRET || undefined;
  if (turnSecret !== undefined && turnSecret.length < 16) throw new ConfigError('TURN_SECRET must be at least 16 characters');

  let turn: 'embedded' | undefined;
  if (env.TURN) {
    if (env.TURN !== 'embedded') throw new ConfigError(`TURN must be "embedded" (or unset; for your own coturn set TURN_URLS), got ${show(env.TURN)}`);
    turn = 'embedded';
    if (turnUrls.length) throw new ConfigError('TURN=embedded and TURN_URLS cannot be used together: choose the embedded coturn or your own');
    if (ctx.openviduUrl) throw new ConfigError('TURN=embedded serves the embedded OpenVidu only: a real OpenVidu deployment brings its own coturn');
  } else if (turnUrls.length && !turnSecret) throw new ConfigError('TURN_SECRET is required with TURN_URLS (the use-auth-secret of your coturn)');

  const turnPort = int('TURN_PORT', 3478, 1, 65535);
  const turnTlsPort = int('TURN_TLS_PORT', 5349, 1, 65535);
  if (turnPort === turnTlsPort) throw new ConfigError('TURN_PORT and TURN_TLS_PORT must differ');
  const turnRelayPortRange = portRange(env, 'TURN_RELAY_PORT_RANGE', '49160-49999') ?? [49160, 49999];
  if (turn && mediaPortRange && mediaPortRange[0] <= turnRelayPortRange[1] && turnRelayPortRange[0] <= mediaPortRange[1])
    throw new ConfigError(
      `TURN_RELAY_PORT_RANGE ${turnRelayPortRange.join('-')} overlaps MEDIA_PORT_RANGE ${mediaPortRange.join('-')}: give them separate ports`,
    );
  const turnRealm = env.TURN_REALM || undefined;
  if (turnRealm !== undefined && !HOSTNAME.test(turnRealm)) throw new ConfigError(`TURN_REALM must be a domain-like name, got ${show(turnRealm)}`);
  const turnHost = env.TURN_HOST || undefined;
  if (turnHost !== undefined && !HOSTNAME.test(turnHost)) throw new ConfigError(`TURN_HOST must be a host name or IPv4 address, got ${show(turnHost)}`);
  if ((turnRealm || turnHost || env.TURN_RELAY_PORT_RANGE) && !turn)
    throw new ConfigError('TURN_REALM, TURN_HOST and TURN_RELAY_PORT_RANGE configure the embedded coturn: set TURN=embedded too');

  const tlsCert = env.TLS_CERT || undefined;
  const tlsKey = env.TLS_KEY || undefined;
  if (!!tlsCert !== !!tlsKey) throw new ConfigError('TLS_CERT and TLS_KEY go together: the certificate (fullchain.pem) and its key (privkey.pem)');
  const httpRedirectPort = int('HTTP_REDIRECT_PORT', tlsCert && ctx.port === 443 ? 80 : 0, 0, 65535);
  if (httpRedirectPort && !tlsCert) throw new ConfigError('HTTP_REDIRECT_PORT redirects to HTTPS: set TLS_CERT and TLS_KEY too');
  if (httpRedirectPort && httpRedirectPort === ctx.port) throw new ConfigError('HTTP_REDIRECT_PORT must differ from PORT');

  return {
    mediaPublicIp,
    mediaPortRange,
    mediaListenIp,
    turnUrls,
    turnSecret,
    turnCredentialSeconds: int('TURN_CREDENTIAL_SECONDS', 12 * 3600, 60, 7 * 86_400),
    turn,
    turnPort,
    turnTlsPort,
    turnRelayPortRange,
    turnRealm,
    turnHost,
    tlsCert,
    tlsKey,
    httpRedirectPort,
  };
}
