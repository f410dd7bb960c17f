// MEDIA_PUBLIC_IP / MEDIA_PORT_RANGE / MEDIA_LISTEN_IP: what reaches the embedded OpenVidu, and the combinations
// refused at start with one line (before anything listens).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type os from 'node:os';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { ConfigError, loadConfig } from '../../demo-server/src/config.js';
import { embeddedMediaOptions, MIN_MEDIA_PORTS, OpenViduStartError, startOpenViduProcess } from '../../demo-server/src/openvidu-process.js';
import { startServer } from '../../demo-server/src/server.js';
import { until } from '../helpers/until.js';

/** A host with loopback and one private address (what a VPS behind 1:1 NAT has). */
const HOST_INTERFACES = {
  lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
  eth0: [
    { address: '10.0.0.5', family: 'IPv4', internal: false },
    { address: 'fe80::1', family: 'IPv6', internal: false },
  ],
} as unknown as ReturnType<typeof os.networkInterfaces>;

const media = (env: Record<string, string>) => embeddedMediaOptions(loadConfig(env), HOST_INTERFACES);

/** The ConfigError `env` is refused with: one line, matching `re`. */
function refused(env: Record<string, string>, re: RegExp) {
  let err: unknown;
  try {
    media(env);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError, `refused: ${JSON.stringify(env)}`);
  assert.match(err.message, re);
  assert.doesNotMatch(err.message, /\n/, 'one line');
}

describe('media settings of the embedded OpenVidu', () => {
  it('unset: the media binds where HOST listens, as before', () => {
    assert.deepEqual(media({}), { rtcHost: '127.0.0.1', rtcPortRange: undefined, rtcPublicIp: undefined });
    assert.deepEqual(media({ HTTPS: '1' }), { rtcHost: '0.0.0.0', rtcPortRange: undefined, rtcPublicIp: undefined });
    assert.equal(media({ OPENVIDU_URL: 'https://ov.example.com', OPENVIDU_SECRET: 's' }), undefined);
  });

  it('behind 1:1 NAT: bound on the private address or every interface, announced on the public one', () => {
    assert.deepEqual(media({ MEDIA_PUBLIC_IP: '203.0.113.10', MEDIA_LISTEN_IP: '10.0.0.5', MEDIA_PORT_RANGE: '40000-40199' }), {
      rtcHost: '10.0.0.5',
      rtcPortRange: [40000, 40199],
      rtcPublicIp: '203.0.113.10',
    });
    assert.deepEqual(media({ MEDIA_PUBLIC_IP: '203.0.113.10', HOST: '0.0.0.0' }), { rtcHost: '0.0.0.0', rtcPortRange: undefined, rtcPublicIp: '203.0.113.10' });
    assert.equal(media({ MEDIA_LISTEN_IP: '0.0.0.0' })?.rtcHost, '0.0.0.0');
    assert.deepEqual(media({ MEDIA_PORT_RANGE: `41000-${41000 + MIN_MEDIA_PORTS - 1}` })?.rtcPortRange, [41000, 41000 + MIN_MEDIA_PORTS - 1]);
  });

  it('refused: MEDIA_PUBLIC_IP or MEDIA_PORT_RANGE with an external OPENVIDU_URL', () => {
    const external = { OPENVIDU_URL: 'https://ov.example.com', OPENVIDU_SECRET: 's' };
    refused({ ...external, MEDIA_PUBLIC_IP: '203.0.113.10' }, /^MEDIA_PUBLIC_IP configures the embedded OpenVidu only/);
    refused({ ...external, MEDIA_PORT_RANGE: '40000-40199' }, /^MEDIA_PORT_RANGE configures the embedded OpenVidu only.*https:\/\/ov\.example\.com/);
    refused({ ...external, MEDIA_LISTEN_IP: '10.0.0.5' }, /^MEDIA_LISTEN_IP configures the embedded OpenVidu only/);
    refused({ ...external, MEDIA_PUBLIC_IP: '203.0.113.10', MEDIA_PORT_RANGE: '40000-40199' }, /^MEDIA_PUBLIC_IP and MEDIA_PORT_RANGE configure the/);
  });

  it('refused: MEDIA_LISTEN_IP that is no address of this host', () => {
    refused({ MEDIA_LISTEN_IP: '10.0.0.6' }, /^MEDIA_LISTEN_IP 10\.0\.0\.6 is no address of this host \(it has 127\.0\.0\.1, 10\.0\.0\.5; 0\.0\.0\.0/);
    // The real host's interfaces by default: a documentation address is on none of them.
    assert.throws(() => embeddedMediaOptions(loadConfig({ MEDIA_LISTEN_IP: '198.51.100.7' })), /no address of this host/);
    assert.equal(embeddedMediaOptions(loadConfig({ MEDIA_LISTEN_IP: '127.0.0.1' }))?.rtcHost, '127.0.0.1');
  });

  it(`refused: a port range of fewer than ${MIN_MEDIA_PORTS} ports`, () => {
    refused({ MEDIA_PORT_RANGE: `41000-${41000 + MIN_MEDIA_PORTS - 2}` }, /^MEDIA_PORT_RANGE 41000-41018 holds 19 ports: each peer connection binds one/);
    refused({ MEDIA_PORT_RANGE: '41000-41000' }, /holds 1 ports/);
  });

  it('refused: MEDIA_PUBLIC_IP with media bound on loopback', () => {
    refused({ MEDIA_PUBLIC_IP: '203.0.113.10' }, /^MEDIA_PUBLIC_IP 203\.0\.113\.10 with media bound on loopback \(127\.0\.0\.1\) is unreachable/);
    refused({ MEDIA_PUBLIC_IP: '203.0.113.10', HOST: '0.0.0.0', MEDIA_LISTEN_IP: '127.0.0.1' }, /bound on loopback/);
    refused({ MEDIA_PUBLIC_IP: '203.0.113.10', HOST: 'localhost' }, /bound on loopback \(localhost\)/);
  });

  it('npm start refuses them before anything starts', async () => {
    await assert.rejects(
      startServer(loadConfig({ PORT: '0', MEDIA_PUBLIC_IP: '203.0.113.10' })),
      (e) => e instanceof ConfigError && /bound on loopback/.test(e.message),
    );
  });

  it("the OpenVidu process gets them in its environment, and refuses a bad one with the variable's name", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ov-media-'));
    const lines: string[] = [];
    const base = {
      port: 0,
      secret: 'S',
      recordingPath: dir,
      sessionsGarbageInterval: 0,
      sessionsGarbageThreshold: 3600,
      logLevel: 'info' as const,
      log: (_l: string, msg: string) => lines.push(msg),
    };
    try {
      const ov = await startOpenViduProcess({ ...base, rtcHost: '0.0.0.0', rtcPortRange: [41100, 41140], rtcPublicIp: '203.0.113.10' });
      try {
        await until(() => lines.some((l) => l.includes('media: UDP on 0.0.0.0 ports 41100-41140, announced as 203.0.113.10')), 'the media line', 10_000);
      } finally {
        await ov.close();
      }
      await assert.rejects(
        startOpenViduProcess({ ...base, rtcPublicIp: 'not-an-ip' }),
        (e) => e instanceof OpenViduStartError && /OPENVIDU_RTC_PUBLIC_IP must be an IPv4 address/.test(e.output),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
