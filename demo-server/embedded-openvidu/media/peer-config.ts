import { type PeerConfig, type RTCPeerConnection, useOPUS, useVP8 } from 'werift';

export interface MediaNetwork {
  /**
   * The address werift binds. `127.0.0.1` (the default) keeps every packet on loopback; `0.0.0.0` gathers every
   * interface so phones on the LAN can connect.
   */
  host: string;
  /** Optional UDP port range for the server's ICE candidates (one port per peer connection, see below). */
  portRange?: [number, number];
  /**
   * The address put in the server's ICE candidates instead of the bound one (a host behind 1:1 NAT: its public
   * address is on no interface). The port stays the bound one.
   */
  publicIp?: string;
}

const ANY = new Set(['0.0.0.0', '::', '']);
/** The discard port: nothing listens there, so a STUN query to it gets no answer. */
const NO_STUN_PORT = 9;

/**
 * The one address werift gathers when it is told exactly which: the bound address, or (bound to every interface,
 * behind NAT) the public one, which werift then writes into the candidate itself; undefined: every interface.
 */
function gatheredAddress(net: MediaNetwork): string | undefined {
  if (!ANY.has(net.host)) return net.host;
  return net.publicIp;
}

/**
 * werift configuration for every server-side peer connection. See docs/embedded-openvidu.md: no STUN (werift's
 * default points at a public server), loopback gathered explicitly (werift skips internal interfaces), VP8 + Opus
 * only, and no header extensions, so no transport-cc is negotiated toward werift (it collapses Chromium's bitrate).
 */
export function peerConfig(net: MediaNetwork): Partial<PeerConfig> {
  const base: Partial<PeerConfig> = {
    // werift falls back to stun.l.google.com when no STUN server is given, and now and then waits its full 5 s STUN
    // timeout inside setLocalDescription (a 5 s join). Point it at a loopback port that answers nothing and do not
    // wait for it: the server's host candidates are all it needs, and no packet leaves the machine.
    iceServers: [{ urls: `stun:127.0.0.1:${NO_STUN_PORT}` }],
    iceStunGatherTimeout: 0.001,
    iceUseIpv6: false,
    codecs: { video: [useVP8()], audio: [useOPUS()] },
    headerExtensions: { video: [], audio: [] },
    ...(net.portRange ? { icePortRange: net.portRange } : {}),
  };
  const gathered = gatheredAddress(net);
  if (gathered === undefined) return { ...base, iceAdditionalHostAddresses: ['127.0.0.1'] };
  return {
    ...base,
    // One address, one socket, one port per peer connection: werift lists no interface when IPv4 is off, and binds
    // each additional address's socket on `iceInterfaceAddresses` (every interface when unset).
    iceUseIpv4: false,
    iceAdditionalHostAddresses: [gathered],
    ...(ANY.has(net.host) ? {} : { iceInterfaceAddresses: { udp4: net.host } }),
    // Pin the pair to our one candidate, whatever werift may gather besides.
    iceFilterCandidatePair: (pair) => pair.localCandidate.host === gathered,
  };
}

/**
 * The server candidate as the browser must see it: on the public address when one is set (the port unchanged), and
 * only the one on our address (belt and braces for loopback runs); undefined: not sent.
 */
export function announcedCandidate(net: MediaNetwork, candidateLine: string | undefined): string | undefined {
  if (!candidateLine) return undefined;
  const prefix = candidateLine.startsWith('a=') ? 'a=' : '';
  const parts = candidateLine.slice(prefix.length).split(' ');
  const gathered = gatheredAddress(net);
  if (gathered === undefined) return candidateLine;
  if (parts[4] !== gathered) return undefined;
  if (net.publicIp) parts[4] = net.publicIp;
  // A candidate's related address (raddr) would tell the browser our private one: werift's host candidates have none.
  return prefix + parts.join(' ');
}

/** The server's SDP with its candidates (and the connection address) as the browser must see them. */
export function filterSdpCandidates(net: MediaNetwork, sdp: string): string {
  const gathered = gatheredAddress(net);
  const out: string[] = [];
  for (const l of sdp.split('\r\n')) {
    if (l.startsWith('a=candidate:')) {
      const c = announcedCandidate(net, l);
      if (c) out.push(c);
    } else if (net.publicIp && gathered && l === `c=IN IP4 ${gathered}`) out.push(`c=IN IP4 ${net.publicIp}`);
    else out.push(l);
  }
  return out.join('\r\n');
}

/**
 * Answer `a=setup:passive`, so the browser is the DTLS client. werift picks `active` for an `actpass` offer, and
 * as a DTLS client it waits a fixed 100 ms after ICE connects before its ClientHello (RTCDtlsTransport.start in
 * werift 0.25): every leg, publisher and subscriber, took ~110 ms from ICE to DTLS connected. As the server it
 * answers the browser's ClientHello at once. Call after setRemoteDescription(offer), before createAnswer().
 */
export function answerAsDtlsServer(pc: RTCPeerConnection): void {
  for (const t of pc.getTransceivers()) if (t.dtlsTransport && t.dtlsTransport.role === 'auto') t.dtlsTransport.role = 'server';
}
