// TURN=embedded: coturn's generated configuration (a pure function of the server's), the TURN URLs and host given to
// browsers, and the settings refused at start. The attacker's view first: no value can add a line to the file, the
// relay may reach no private, loopback or link-local peer but the media server's own address, and the secret is
// shown in no error.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../demo-server/src/config.js';
import { DEFAULT_REALM, DENIED_PEERS, mediaAddresses, turnConfigText, turnHost, turnUrls, type TurnSettings } from '../../demo-server/src/turn-config.js';

const SECRET = 'coturn-secret-0123456789abcdef';
const FILES = { secret: SECRET, pidFile: '/srv/data/turn/turnserver.pid', userDb: '/srv/data/turn/turndb' };
const LAN = ['192.168.1.20', '10.8.0.3'];

const settings = (env: Record<string, string>): TurnSettings => loadConfig({ TURN: 'embedded', DATA_DIR: '/srv/data', ...env });
const text = (env: Record<string, string>) => turnConfigText({ config: settings(env), ...FILES, interfaces: LAN });
/** `key=value` lines as [key, value] (a flag: value ''). */
const entries = (t: string) =>
  t
    .trimEnd()
    .split('\n')
    .map((l) => [l.split('=')[0], l.slice(l.indexOf('=') + 1 || l.length)] as const);
const values = (t: string, key: string) =>
  entries(t)
    .filter(([k]) => k === key)
    .map(([, v]) => v);
const one = (t: string, key: string) => {
  const v = values(t, key);
  assert.equal(v.length, 1, `one ${key} in:\n${t}`);
  return v[0];
};

describe('TURN=embedded: the attacker', () => {
  it('no value adds a line or a key: control characters, newlines and spaces are refused; the secret is never shown', () => {
    const base = settings({ MEDIA_LISTEN_IP: '127.0.0.1' });
    const cases: Array<[string, Partial<TurnSettings>, Partial<typeof FILES>]> = [
      ['secret with a newline', {}, { secret: `${SECRET}\nallow-loopback-peers` }],
      ['secret with a space', {}, { secret: `${SECRET} x` }],
      ['short secret', {}, { secret: 'short' }],
      ['cert path with a newline', { tlsCert: '/etc/cert.pem\nno-auth', tlsKey: '/etc/key.pem' }, {}],
      ['relative key path', { tlsCert: '/etc/cert.pem', tlsKey: 'key.pem' }, {}],
      ['pidfile with a newline', {}, { pidFile: '/srv/p\ncli-password=x' }],
      ['realm with a newline', { turnRealm: 'example.com\nno-auth' }, {}],
      ['listen address that is not an IP', { mediaListenIp: '127.0.0.1\nno-auth' }, {}],
      ['public address that is not an IP', { mediaPublicIp: '203.0.113.1\nno-auth' }, {}],
      ['port out of range', { turnPort: 70000 }, {}],
      ['relay range with a newline', { turnRelayPortRange: [49160, '49999\nno-auth' as unknown as number] }, {}],
    ];
    for (const [what, config, files] of cases) {
      let err: unknown;
      try {
        turnConfigText({ config: { ...base, ...config }, ...FILES, ...files, interfaces: LAN });
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof Error, `${what}: refused`);
      assert.ok(!err.message.includes(SECRET) && !err.message.includes('\n'), `${what}: ${err.message}`);
    }
  });

  it('every line is one known key, most at most once; no authentication or CLI switch can sneak in', () => {
    const t = text({ MEDIA_LISTEN_IP: '10.1.0.2', MEDIA_PUBLIC_IP: '203.0.113.10', TLS_CERT: '/etc/le/fullchain.pem', TLS_KEY: '/etc/le/privkey.pem' });
    const repeatable = new Set(['denied-peer-ip', 'allowed-peer-ip']);
    const seen = new Set<string>();
    for (const [k, v] of entries(t)) {
      assert.match(k, /^[a-z0-9_-]+$/);
      assert.doesNotMatch(v, /\s/, `${k}: ${v}`);
      if (!repeatable.has(k)) (assert.ok(!seen.has(k), `${k} twice`), seen.add(k));
    }
    for (const k of ['use-auth-secret', 'no-cli', 'no-multicast-peers', 'no-tcp-relay', 'no-software-attribute', 'fingerprint', 'no-dtls'])
      assert.ok(seen.has(k), k);
    for (const k of ['no-auth', 'lt-cred-mech', 'user', 'cli-password', 'web-admin', 'prometheus', 'allow-loopback-peers', 'verbose'])
      assert.ok(!seen.has(k), `${k} set`);
    assert.equal(one(t, 'static-auth-secret'), SECRET);
  });

  it('denies every private, loopback, link-local, shared, benchmarking, multicast and reserved range, IPv4 and IPv6', () => {
    const t = text({ MEDIA_LISTEN_IP: '10.1.0.2' });
    assert.deepEqual(values(t, 'denied-peer-ip'), DENIED_PEERS);
    for (const range of [
      '0.0.0.1-0.255.255.255',
      '10.0.0.0-10.255.255.255',
      '100.64.0.0-100.127.255.255',
      '127.0.0.0-127.255.255.255',
      '169.254.0.0-169.254.255.255',
      '172.16.0.0-172.31.255.255',
      '192.0.0.0-192.0.0.255',
      '192.168.0.0-192.168.255.255',
      '198.18.0.0-198.19.255.255',
      '224.0.0.0-255.255.255.255',
      '::1-::1',
      '::ffff:0.0.0.0-::ffff:255.255.255.255',
      'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    ])
      assert.ok(DENIED_PEERS.includes(range), range);
    // coturn reads a range from 0.0.0.0 or :: as every address of every family.
    for (const range of DENIED_PEERS) assert.doesNotMatch(range, /^(0\.0\.0\.0|::)-/, range);
  });

  it("allows back the media server's own address only (and its public one); loopback peers only when the media is on loopback", () => {
    const nat = text({ MEDIA_LISTEN_IP: '10.1.0.2', MEDIA_PUBLIC_IP: '203.0.113.10' });
    assert.deepEqual(values(nat, 'allowed-peer-ip'), ['10.1.0.2', '203.0.113.10']);
    assert.deepEqual(values(nat, 'allow-loopback-peers'), []);
    const local = text({ MEDIA_LISTEN_IP: '127.0.0.1' });
    assert.deepEqual(values(local, 'allowed-peer-ip'), ['127.0.0.1']);
    assert.deepEqual(values(local, 'allow-loopback-peers'), ['']);
    // Media on every interface gathers every LAN address: each is the media server's.
    const all = text({ HOST: '0.0.0.0' });
    assert.deepEqual(values(all, 'allowed-peer-ip'), LAN);
    assert.deepEqual(mediaAddresses({ host: '0.0.0.0', mediaPublicIp: '198.51.100.7' }, LAN), [...LAN, '198.51.100.7']);
  });
});

describe('TURN=embedded: the configuration', () => {
  it('listens and relays on MEDIA_LISTEN_IP, maps the public address, relays on the configured range', () => {
    const t = text({ MEDIA_LISTEN_IP: '10.1.0.2', MEDIA_PUBLIC_IP: '203.0.113.10', TURN_PORT: '3479', TURN_RELAY_PORT_RANGE: '50000-50100' });
    assert.equal(one(t, 'listening-port'), '3479');
    assert.equal(one(t, 'listening-ip'), '10.1.0.2');
    assert.equal(one(t, 'relay-ip'), '10.1.0.2');
    assert.equal(one(t, 'external-ip'), '203.0.113.10/10.1.0.2');
    assert.equal(one(t, 'min-port'), '50000');
    assert.equal(one(t, 'max-port'), '50100');
    assert.equal(one(t, 'pidfile'), FILES.pidFile);
    assert.equal(one(t, 'userdb'), FILES.userDb);
    assert.equal(one(t, 'log-file'), 'stdout');
    for (const k of ['user-quota', 'total-quota', 'stale-nonce']) assert.match(one(t, k), /^[1-9][0-9]*$/);
    // HOST's address when MEDIA_LISTEN_IP is unset; every interface (no listening-ip) for 0.0.0.0.
    assert.equal(one(text({ HOST: '127.0.0.1' }), 'listening-ip'), '127.0.0.1');
    const any = text({ HOST: '0.0.0.0', MEDIA_PUBLIC_IP: '203.0.113.10' });
    assert.deepEqual([values(any, 'listening-ip'), values(any, 'relay-ip'), values(any, 'external-ip')], [[], [], ['203.0.113.10']]);
  });

  it('TLS only with a certificate: its port, files and no TLS 1.0/1.1; else no TLS listener at all', () => {
    const tls = text({ TLS_CERT: '/etc/le/fullchain.pem', TLS_KEY: '/etc/le/privkey.pem', TURN_TLS_PORT: '5350' });
    assert.equal(one(tls, 'tls-listening-port'), '5350');
    assert.equal(one(tls, 'cert'), '/etc/le/fullchain.pem');
    assert.equal(one(tls, 'pkey'), '/etc/le/privkey.pem');
    assert.deepEqual([values(tls, 'no-tlsv1'), values(tls, 'no-tlsv1_1'), values(tls, 'no-tls')], [[''], [''], []]);
    const plain = text({});
    assert.deepEqual([values(plain, 'no-tls'), values(plain, 'tls-listening-port'), values(plain, 'cert')], [[''], [], []]);
  });

  it('realm: TURN_REALM, else PUBLIC_URL’s host, else a fixed name', () => {
    assert.equal(one(text({ TURN_REALM: 'turn.example.com', PUBLIC_URL: 'https://video.example.com' }), 'realm'), 'turn.example.com');
    assert.equal(one(text({ PUBLIC_URL: 'https://video.example.com/live' }), 'realm'), 'video.example.com');
    assert.equal(one(text({}), 'realm'), DEFAULT_REALM);
  });

  it('TURN host: TURN_HOST, PUBLIC_URL’s host, MEDIA_PUBLIC_IP, the listen address, the first LAN address; URLs over UDP, TCP and TLS', () => {
    const env = { TURN_HOST: 'turn.example.com', PUBLIC_URL: 'https://video.example.com', MEDIA_PUBLIC_IP: '203.0.113.10', MEDIA_LISTEN_IP: '127.0.0.1' };
    assert.equal(turnHost(settings(env), LAN), 'turn.example.com');
    assert.equal(turnHost(settings({ ...env, TURN_HOST: '' }), LAN), 'video.example.com');
    assert.equal(turnHost(settings({ ...env, TURN_HOST: '', PUBLIC_URL: '' }), LAN), '203.0.113.10');
    assert.equal(turnHost(settings({ MEDIA_LISTEN_IP: '127.0.0.1' }), LAN), '127.0.0.1');
    assert.equal(turnHost(settings({ HOST: '0.0.0.0' }), LAN), '192.168.1.20');
    const tls = settings({ TLS_CERT: '/c.pem', TLS_KEY: '/k.pem', TURN_PORT: '3478', TURN_TLS_PORT: '443' });
    assert.deepEqual(turnUrls(tls, 'turn.example.com'), [
      'turn:turn.example.com:3478?transport=udp',
      'turn:turn.example.com:3478?transport=tcp',
      'turns:turn.example.com:443?transport=tcp',
    ]);
    assert.deepEqual(turnUrls(settings({}), '10.1.0.2'), ['turn:10.1.0.2:3478?transport=udp', 'turn:10.1.0.2:3478?transport=tcp']);
  });

  it('refused at start: with OPENVIDU_URL, with TURN_URLS, a relay range overlapping MEDIA_PORT_RANGE, its settings without it', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ TURN: 'embedded', OPENVIDU_URL: 'https://ov.example.com', OPENVIDU_SECRET: 's' }, /TURN=embedded.*real OpenVidu/],
      [{ TURN: 'embedded', TURN_URLS: 'turn:turn.example.com:3478', TURN_SECRET: SECRET }, /TURN=embedded and TURN_URLS/],
      [{ TURN: 'embedded', MEDIA_PORT_RANGE: '49000-49200' }, /TURN_RELAY_PORT_RANGE 49160-49999 overlaps MEDIA_PORT_RANGE 49000-49200/],
      [{ TURN: 'embedded', MEDIA_PORT_RANGE: '40000-40199', TURN_RELAY_PORT_RANGE: '40100-40300' }, /overlaps/],
      [{ TURN: 'embedded', TURN_PORT: '3478', TURN_TLS_PORT: '3478' }, /TURN_PORT and TURN_TLS_PORT must differ/],
      [{ TURN_REALM: 'example.com' }, /set TURN=embedded/],
      [{ TURN_HOST: 'turn.example.com' }, /set TURN=embedded/],
    ];
    for (const [env, message] of bad) {
      assert.throws(
        () => loadConfig(env),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
        JSON.stringify(env),
      );
    }
    // Adjacent ranges and the secret left out (one is kept in DATA_DIR) are fine.
    const ok = loadConfig({ TURN: 'embedded', MEDIA_PORT_RANGE: '40000-49159', DATA_DIR: '/srv/data' });
    assert.deepEqual([ok.turn, ok.turnSecret, ok.turnRelayPortRange], ['embedded', undefined, [49160, 49999]]);
  });
});
