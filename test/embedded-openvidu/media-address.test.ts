// The embedded server behind 1:1 NAT, on loopback: werift binds 127.0.0.1 within a port range and announces
// 127.0.0.2 (rtcPublicIp), which is on no socket of the server; a small UDP NAT in this test plays the router that
// owns the public address (127.0.0.2:P ↔ 127.0.0.1:P, the port kept). Chromium joins with openvidu-browser: the
// server candidates it receives, the pair it selects, and a second participant's video.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { BrowserContext } from 'playwright-core';
import { OpenViduRole } from 'openvidu-node-client';
import { RTCPeerConnection as WeriftPeerConnection } from 'werift';
import { filterSdpCandidates, peerConfig, type MediaNetwork } from '../../demo-server/embedded-openvidu/media/peer-config.js';
import { newContext } from '../helpers/browser.js';
import { isEmbedded } from '../helpers/openvidu-target.js';
import { startOvBrowserTarget, type OvBrowserTarget } from '../helpers/ov-browser.js';
import type { Participant } from '../helpers/participant.js';
import { sleep } from '../helpers/until.js';

const PRIVATE = '127.0.0.1';
const PUBLIC = '127.0.0.2';
/** Where the NAT sends from toward the server: the server sees visitors there, as behind a router. */
const NAT_INSIDE = '127.0.0.3';
const RANGE: [number, number] = [41000, 41040];

/** 1:1 NAT for UDP: every port of RANGE on PUBLIC forwards to the same port on PRIVATE, and answers come back. */
async function startNat() {
  const sockets: dgram.Socket[] = [];
  const stats = { toServer: 0, toVisitor: 0 };
  const bind = (s: dgram.Socket, port: number, address: string) =>
    new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, address, () => {
        s.off('error', reject);
        resolve();
      });
    });
  for (let port = RANGE[0]; port <= RANGE[1]; port++) {
    const outside = dgram.createSocket('udp4');
    /** One inside socket per visitor address, as a NAT keeps one mapping per flow. */
    const flows = new Map<string, dgram.Socket>();
    outside.on('message', (msg, from) => {
      const key = `${from.address}:${from.port}`;
      let inside = flows.get(key);
      if (!inside) {
        const s = dgram.createSocket('udp4');
        inside = s;
        flows.set(key, s);
        sockets.push(s);
        s.on('message', (back) => {
          stats.toVisitor++;
          outside.send(back, from.port, from.address);
        });
        s.bind(0, NAT_INSIDE);
      }
      stats.toServer++;
      inside.send(msg, port, PRIVATE);
    });
    await bind(outside, port, PUBLIC);
    sockets.push(outside);
  }
  return { stats, close: () => sockets.forEach((s) => s.close()) };
}

/**
 * Records every RTCPeerConnection of the page and the remote candidates each one is given (SDP and trickled). A
 * string: the compiler's helpers for classes are not in the page.
 */
const RECORD_PCS = `(() => {
  const Native = window.RTCPeerConnection;
  window.pcs = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      this.remoteCandidates = [];
      window.pcs.push(this);
    }
    setRemoteDescription(d, ...rest) {
      for (const l of (d && d.sdp ? d.sdp.split('\\r\\n') : [])) if (l.startsWith('a=candidate:')) this.remoteCandidates.push(l.slice(2));
      return super.setRemoteDescription(d, ...rest);
    }
    addIceCandidate(c, ...rest) {
      if (c && c.candidate) this.remoteCandidates.push(c.candidate);
      return super.addIceCandidate(c, ...rest);
    }
  };
})();`;

interface PcView {
  remoteCandidates: string[];
  selected?: { address: string; port: number; candidateType: string };
}

/** Per peer connection of the page: the remote candidates it got, and the remote side of its selected pair. */
function peerConnections(p: Participant): Promise<PcView[]> {
  return p.page.evaluate(async () => {
    const out: PcView[] = [];
    for (const pc of (window as any).pcs as Array<RTCPeerConnection & { remoteCandidates: string[] }>) {
      if (pc.connectionState === 'closed') continue;
      const stats = await pc.getStats();
      let pairId: string | undefined;
      stats.forEach((r) => {
        if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
      });
      const pair = pairId ? stats.get(pairId) : undefined;
      const remote = pair?.nominated && pair.state === 'succeeded' ? stats.get(pair.remoteCandidateId) : undefined;
      out.push({
        remoteCandidates: pc.remoteCandidates,
        selected: remote ? { address: remote.address, port: remote.port, candidateType: remote.candidateType } : undefined,
      });
    }
    return out;
  });
}

const inRange = (port: number) => port >= RANGE[0] && port <= RANGE[1];

let env: OvBrowserTarget | undefined;
let nat: Awaited<ReturnType<typeof startNat>> | undefined;
let context: BrowserContext;

describe('the embedded server behind 1:1 NAT (rtcPublicIp, rtcPortRange)', { skip: !isEmbedded() && 'embedded server only' }, () => {
  before(async () => {
    nat = await startNat();
    env = await startOvBrowserTarget({ rtcPortRange: RANGE, rtcPublicIp: PUBLIC });
    context = await newContext(env.browser);
    await context.addInitScript({ content: RECORD_PCS });
  });
  after(async () => {
    await env?.close();
    nat?.close();
  });

  it('Chromium gets the public address with a bound port, selects it, and a second participant sees the video', async () => {
    const session = await env!.ov.createSession();
    const join = async (role: OpenViduRole, name: string) => {
      const p = await env!.participant(context);
      await p.join((await session.createConnection({ role })).token, name);
      return p;
    };
    const a = await join(OpenViduRole.PUBLISHER, 'A');
    await a.publish();
    const b = await join(OpenViduRole.SUBSCRIBER, 'B');
    await b.waitForRemoteVideo(a.connectionId);

    // Polled: the browser may first use a pair learned from the server's own checks (they reach it straight on
    // loopback, which no NAT stops here) and moves to the higher-priority host pair once that one answers.
    let views: PcView[] = [];
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(200)) {
      views = [...(await peerConnections(a)), ...(await peerConnections(b))];
      if (views.length === 2 && views.every((v) => v.selected?.address === PUBLIC)) break;
    }
    assert.equal(views.length, 2, 'a publisher and a subscriber peer connection');
    for (const v of views) {
      assert.ok(v.remoteCandidates.length > 0, 'the server sent candidates');
      const ports = new Set<number>();
      for (const line of v.remoteCandidates) {
        const [, , protocol, , address, port, , type] = line.split(' ');
        assert.deepEqual([protocol.toLowerCase(), address, type], ['udp', PUBLIC, 'host'], line);
        assert.ok(inRange(Number(port)), `port in ${RANGE.join('-')}: ${line}`);
        ports.add(Number(port));
      }
      assert.equal(ports.size, 1, `one port per peer connection: ${[...ports].join(', ')}`);
      assert.equal(v.selected?.address, PUBLIC, `selected pair's remote: ${JSON.stringify(v.selected)}`);
      assert.equal(v.selected!.port, [...ports][0]);
      assert.equal(v.selected!.candidateType, 'host');
    }
    assert.notEqual(views[0].selected!.port, views[1].selected!.port, 'each peer connection has its own port');
    const before = nat!.stats.toVisitor;
    await b.waitForRemoteVideo(a.connectionId, (await b.remoteVideo())[a.connectionId].framesDecoded + 10);
    assert.ok(nat!.stats.toVisitor > before, 'media comes through the public address');
  });
});

// werift picks a port by binding a probe socket, closing it and binding the real one: peer connections gathering
// at once must still get distinct ports (a second bind of one port would throw with no listener, killing the process).
describe('a port range shared by peer connections gathering at once', () => {
  it('each gets its own port of the range while ports last; the others get no candidate, and the process lives', async () => {
    const net: MediaNetwork = { host: PRIVATE, portRange: [41050, 41052], publicIp: PUBLIC };
    const pcs = Array.from({ length: 6 }, () => new WeriftPeerConnection(peerConfig(net)));
    try {
      const candidates = await Promise.all(
        pcs.map(async (pc) => {
          pc.addTransceiver('video', { direction: 'recvonly' });
          const offer = await pc.createOffer();
          await pc.setLocalDescription(offer);
          return filterSdpCandidates(net, pc.localDescription!.sdp)
            .split('\r\n')
            .filter((l) => l.startsWith('a=candidate:'))
            .map((l) => l.split(' ').slice(4, 6).join(':'));
        }),
      );
      const ports = candidates.flat().sort();
      assert.deepEqual(ports, [`${PUBLIC}:41050`, `${PUBLIC}:41051`, `${PUBLIC}:41052`], JSON.stringify(candidates));
      assert.equal(candidates.filter((c) => c.length === 0).length, 3, 'a full range leaves the others without a candidate');
    } finally {
      await Promise.all(pcs.map((pc) => pc.close()));
    }
  });

  it('one candidate per peer connection: on the bound address, or on the public one when bound to every interface', async () => {
    const cases: Array<[MediaNetwork, string]> = [
      [{ host: PRIVATE, portRange: [41060, 41079] }, PRIVATE],
      [{ host: '0.0.0.0', portRange: [41060, 41079], publicIp: PUBLIC }, PUBLIC],
    ];
    for (const [net, announced] of cases) {
      const pc = new WeriftPeerConnection(peerConfig(net));
      try {
        pc.addTransceiver('video', { direction: 'recvonly' });
        await pc.setLocalDescription(await pc.createOffer());
        const lines = filterSdpCandidates(net, pc.localDescription!.sdp)
          .split('\r\n')
          .filter((l) => l.startsWith('a=candidate:'));
        assert.equal(lines.length, 1, lines.join('\n'));
        const [address, port] = lines[0].split(' ').slice(4, 6);
        assert.equal(address, announced);
        assert.ok(Number(port) >= 41060 && Number(port) <= 41079, lines[0]);
        // Bound where asked: on every interface, the port is taken on each address.
        const probe = dgram.createSocket('udp4');
        const err = await new Promise<Error | undefined>((r) => {
          probe.once('error', r);
          probe.bind(Number(port), net.host === '0.0.0.0' ? '127.0.0.4' : PRIVATE, () => r(undefined));
        });
        probe.close();
        assert.equal((err as NodeJS.ErrnoException | undefined)?.code, 'EADDRINUSE');
      } finally {
        await pc.close();
      }
    }
  });
});
