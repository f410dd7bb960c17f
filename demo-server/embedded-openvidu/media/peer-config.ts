import { type PeerConfig, type RTCPeerConnection, useOPUS, useVP8 } from 'werift';

export interface MediaNetwork {
  /**
   * The address ICE uses on the server side. `127.0.0.1` (the default) keeps every packet on loopback;
   * `0.0.0.0` gathers every interface so phones on the LAN can connect.
   */
  host: string;
  /** Optional UDP port range for the server's ICE candidates. */
  portRange?: [number, number];
}

const ANY = new Set(['0.0.0.0', '::', '']);
/** The discard port: nothing listens there, so a STUN query to it gets no answer. */
const NO_STUN_PORT = 9;

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
  if (ANY.has(net.host)) return { ...base, iceAdditionalHostAddresses: ['127.0.0.1'] };
  return {
    ...base,
    iceAdditionalHostAddresses: [net.host],
    iceInterfaceAddresses: { udp4: net.host },
    // werift silently falls back to every interface when none matches: pin the pair to our address.
    iceFilterCandidatePair: (pair) => pair.localCandidate.host === net.host,
  };
}

/** Drop server candidates that are not on the configured address (belt and braces for loopback runs). */
export function keepCandidate(net: MediaNetwork, candidateLine: string | undefined): boolean {
  if (!candidateLine) return false;
  if (ANY.has(net.host)) return true;
  const parts = candidateLine.replace(/^a=/, '').split(' ');
  return parts[4] === net.host;
}

export function filterSdpCandidates(net: MediaNetwork, sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') || keepCandidate(net, l))
    .join('\r\n');
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
