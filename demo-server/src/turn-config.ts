// `TURN=embedded`: coturn's configuration, made from the server's own. A relay that anyone holding a credential may
// point anywhere is an open door into the host's network, so every private, loopback, link-local and reserved range is
// denied, and only the media server's own addresses are allowed back in: the relay reaches the media and nothing else.
import net from 'node:net';
import type { Config } from './config.js';
import { lanAddresses } from './tls.js';

export type TurnSettings = Pick<
  Config,
  'host' | 'publicUrl' | 'mediaListenIp' | 'mediaPublicIp' | 'turnPort' | 'turnTlsPort' | 'turnRelayPortRange' | 'turnRealm' | 'turnHost' | 'tlsCert' | 'tlsKey'
>;

export interface TurnConfigInput {
  config: TurnSettings;
  /** coturn's `static-auth-secret`, the one the server makes REST credentials with. */
  secret: string;
  /** Where coturn writes its pid (under DATA_DIR). */
  pidFile: string;
  /** coturn's SQLite database (unused with REST credentials, but opened): under DATA_DIR rather than /var/lib/turn. */
  userDb: string;
  /** This host's IPv4 addresses beyond loopback (media bound to every interface gathers them all). */
  interfaces?: string[];
}

/** Realm when neither TURN_REALM nor PUBLIC_URL names one. */
export const DEFAULT_REALM = 'ov-live-elements';

/** Simultaneous relays: one REST username is one connection (a peer connection allocates one or two). */
const USER_QUOTA = 8;
const TOTAL_QUOTA = 2000;

/**
 * Peers no relay may reach (ranges, as coturn 4.6 reads them): RFC 6890's special-purpose ranges but documentation.
 * None starts at 0.0.0.0 or `::`: coturn reads such a bound as "any address of any family" (`::-::` denies all).
 * Those two addresses themselves coturn always refuses.
 */
export const DENIED_PEERS = [
  '0.0.0.1-0.255.255.255', // "this network"
  '10.0.0.0-10.255.255.255', // private
  '100.64.0.0-100.127.255.255', // carrier-grade NAT
  '127.0.0.0-127.255.255.255', // loopback
  '169.254.0.0-169.254.255.255', // link-local (cloud metadata services live here)
  '172.16.0.0-172.31.255.255', // private
  '192.0.0.0-192.0.0.255', // IETF protocol assignments
  '192.88.99.0-192.88.99.255', // 6to4 relay anycast
  '192.168.0.0-192.168.255.255', // private
  '198.18.0.0-198.19.255.255', // benchmarking
  '224.0.0.0-255.255.255.255', // multicast, reserved, broadcast
  '::1-::1', // loopback
  '::ffff:0.0.0.0-::ffff:255.255.255.255', // IPv4-mapped: the IPv4 ranges above by another name
  '64:ff9b::-64:ff9b::ffff:ffff', // NAT64: the same
  '100::-100::ffff:ffff:ffff:ffff', // discard
  'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', // unique local
  'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', // link-local
  'ff00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', // multicast
  // Every other address too: browsers relay to the media server only (an SFU is every participant's one peer), so a
  // visitor's credentials cannot turn the relay into a proxy towards the rest of the internet.
  '1.0.0.0-255.255.255.255',
  '::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
];

const ANY = new Set(['0.0.0.0', '::', '']);
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const ip = (raw: string) => (raw === 'localhost' ? '127.0.0.1' : raw);

/** The address coturn listens and relays on: MEDIA_LISTEN_IP, else HOST; undefined: every interface. */
export function turnListenIp(config: Pick<Config, 'mediaListenIp' | 'host'>): string | undefined {
  const chosen = ip(config.mediaListenIp ?? config.host);
  if (ANY.has(chosen)) return undefined;
  if (!net.isIP(chosen)) throw new Error(`TURN=embedded listens on MEDIA_LISTEN_IP or HOST, which must be an IP address: got ${JSON.stringify(chosen)}`);
  return chosen;
}

/** The media server's addresses, as browsers' candidates give them: the relay's only allowed private peers. */
export function mediaAddresses(config: Pick<Config, 'mediaListenIp' | 'host' | 'mediaPublicIp'>, interfaces = lanAddresses()): string[] {
  const bound = ip(config.mediaListenIp ?? config.host);
  const own = ANY.has(bound) ? interfaces : [bound];
  return [...new Set([...own, ...(config.mediaPublicIp ? [config.mediaPublicIp] : [])])];
}

/**
 * The name browsers are given in TURN URLs: TURN_HOST, else PUBLIC_URL's host, else MEDIA_PUBLIC_IP, else the listen
 * address, else this host's first LAN address.
 */
export function turnHost(config: TurnSettings, interfaces = lanAddresses()): string {
  if (config.turnHost) return config.turnHost;
  if (config.publicUrl) return new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, '');
  if (config.mediaPublicIp) return config.mediaPublicIp;
  return turnListenIp(config) ?? interfaces[0] ?? '127.0.0.1';
}

/** TURN over UDP and TCP, and over TLS when there is a certificate. */
export function turnUrls(config: TurnSettings, host: string): string[] {
  const h = net.isIPv6(host) ? `[${host}]` : host;
  return [
    `turn:${h}:${config.turnPort}?transport=udp`,
    `turn:${h}:${config.turnPort}?transport=tcp`,
    ...(config.tlsCert ? [`turns:${h}:${config.turnTlsPort}?transport=tcp`] : []),
  ];
}

function realmOf(config: TurnSettings): string {
  if (config.turnRealm) return config.turnRealm;
  const fromUrl = config.publicUrl ? new URL(config.publicUrl).hostname : '';
  return HOSTNAME.test(fromUrl) ? fromUrl : DEFAULT_REALM;
}

const checks = {
  ip: (v: string) => net.isIP(v) !== 0,
  ipPair: (v: string) => v.split('/').length === 2 && v.split('/').every((a) => net.isIP(a) !== 0),
  port: (v: string) => /^[0-9]{1,5}$/.test(v) && +v >= 1 && +v <= 65535,
  count: (v: string) => /^[1-9][0-9]{0,6}$/.test(v),
  name: (v: string) => HOSTNAME.test(v),
  // Visible ASCII only: coturn reads `key=value` lines and trims nothing inside them.
  secret: (v: string) => /^[!-~]{16,256}$/.test(v),
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  path: (v: string) => v.startsWith('/') && !/[\0-\x1f\x7f]/.test(v) && v.length < 4096,
};

/** coturn's configuration file (`turnserver -c`). Throws on any value that is not what its key expects. */
export function turnConfigText({ config, secret, pidFile, userDb, interfaces = lanAddresses() }: TurnConfigInput): string {
  const lines: string[] = [];
  const set = (key: string, value: string | number, check: keyof typeof checks) => {
    const v = String(value);
    if (checks[check](v)) return lines.push(`${key}=${v}`);
    // A secret is never shown, not even in an error.
    if (check === 'secret') throw new Error('TURN=embedded: TURN_SECRET must be 16 to 256 visible ASCII characters (no spaces) for coturn');
    throw new Error(`TURN=embedded: ${key} cannot be ${JSON.stringify(v)}`);
  };
  const flag = (key: string) => lines.push(key);

  set('listening-port', config.turnPort, 'port');
  const listen = turnListenIp(config);
  if (listen) {
    set('listening-ip', listen, 'ip');
    set('relay-ip', listen, 'ip');
  }
  if (config.mediaPublicIp) {
    // Behind 1:1 NAT the relay address given to browsers is the public one.
    if (listen) set('external-ip', `${config.mediaPublicIp}/${listen}`, 'ipPair');
    else set('external-ip', config.mediaPublicIp, 'ip');
  }
  const [lo, hi] = config.turnRelayPortRange;
  set('min-port', lo, 'port');
  set('max-port', hi, 'port');
  set('realm', realmOf(config), 'name');
  flag('use-auth-secret');
  set('static-auth-secret', secret, 'secret');
  if (config.tlsCert && config.tlsKey) {
    set('tls-listening-port', config.turnTlsPort, 'port');
    set('cert', config.tlsCert, 'path');
    set('pkey', config.tlsKey, 'path');
    flag('no-tlsv1');
    flag('no-tlsv1_1');
  } else flag('no-tls');
  // Browsers speak TURN over UDP, TCP and TLS, never DTLS.
  flag('no-dtls');
  // The relay carries WebRTC's UDP only: no TCP connections from the host to peers (RFC 6062).
  flag('no-tcp-relay');
  flag('fingerprint');
  set('stale-nonce', 600, 'count');
  set('user-quota', USER_QUOTA, 'count');
  set('total-quota', TOTAL_QUOTA, 'count');
  flag('no-cli');
  flag('no-multicast-peers');
  flag('no-software-attribute');
  flag('no-rfc5780');
  flag('no-stun-backward-compatibility');
  flag('response-origin-only-with-rfc5780');
  set('log-file', 'stdout', 'name');
  flag('simple-log');
  set('pidfile', pidFile, 'path');
  set('userdb', userDb, 'path');

  const allowed = mediaAddresses(config, interfaces);
  // coturn refuses loopback peers before reading any list: lifted only when the media itself is on loopback, where
  // the denied range below still keeps every other loopback address out.
  if (allowed.some((a) => a.startsWith('127.') || a === '::1')) flag('allow-loopback-peers');
  for (const range of DENIED_PEERS) lines.push(`denied-peer-ip=${range}`);
  for (const a of allowed) set('allowed-peer-ip', a, 'ip');
  return lines.join('\n') + '\n';
}
