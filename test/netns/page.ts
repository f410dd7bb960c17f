// What the namespace tests read in a page of the demo: the ICE candidate pair each RTCPeerConnection uses, whether a
// remote video is really advancing, and the API seen from the page (its origin, its cookies).
import type { BrowserContext, Page } from 'playwright-core';

export interface Candidate {
  type: string;
  protocol: string;
  relayProtocol?: string;
  address: string;
}
export interface Pair {
  /** Whether the peer connection sends (the participant's own camera) or receives (a remote one). */
  direction: 'publish' | 'subscribe';
  local: Candidate;
  remote: Candidate;
}

/** Every RTCPeerConnection the page makes (openvidu-browser makes them) is kept in `window.__pcs`. */
export async function observe(context: BrowserContext) {
  await context.addInitScript(() => {
    const pcs: RTCPeerConnection[] = [];
    const w = window as unknown as Record<string, unknown>;
    w.__pcs = pcs;
    const PC = RTCPeerConnection;
    w.RTCPeerConnection = class extends PC {
      constructor(config?: RTCConfiguration) {
        super(config);
        pcs.push(this);
      }
    };
  });
}

/** The selected candidate pair of each connected peer connection of the page. */
export const selectedPairs = (page: Page): Promise<Pair[]> =>
  page.evaluate(async () => {
    const out: Pair[] = [];
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState !== 'connected') continue;
      const stats = await pc.getStats();
      let pair: RTCIceCandidatePairStats | undefined;
      stats.forEach((s) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
      });
      if (!pair) continue;
      // (No named function in here: the compiler's naming helper does not exist in the page.)
      const [local, remote] = [pair.localCandidateId, pair.remoteCandidateId].map((id) => {
        const c = stats.get(id);
        return { type: c.candidateType, protocol: c.protocol, relayProtocol: c.relayProtocol, address: c.address ?? c.ip };
      });
      const sends = pc.getTransceivers().some((t) => t.currentDirection === 'sendonly' || t.currentDirection === 'sendrecv');
      out.push({ direction: sends ? 'publish' : 'subscribe', local, remote });
    }
    return out;
  });

/** For a failure message: each peer connection's states and the local candidate types it gathered. */
export const peerStates = (page: Page) =>
  page.evaluate(async () => {
    const out: string[] = [];
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      const kinds = new Set<string>();
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'local-candidate') kinds.add(`${s.candidateType}/${s.protocol}${s.relayProtocol ? `(${s.relayProtocol})` : ''}`);
      });
      out.push(`${pc.connectionState}/${pc.iceConnectionState} [${[...kinds].join(' ')}]`);
    }
    return out;
  });

/** The current time of every remote video shown by the page's <ov-live-room> that has decoded a frame. */
export const remoteVideoTimes = (page: Page): Promise<number[]> =>
  page.evaluate(() => {
    const room = document.querySelector('ov-live-room');
    return [...(room?.shadowRoot?.querySelectorAll('ov-video-tile') ?? [])]
      .filter((t) => !(t as HTMLElement & { stream?: { isLocal: boolean } }).stream?.isLocal)
      .map((t) => t.shadowRoot?.querySelector('video'))
      .filter((v): v is HTMLVideoElement => !!v && v.videoWidth > 0)
      .map((v) => v.currentTime);
  });

/** A call to the server's API from the page: JSON in, `{status, body}` out. */
export const apiFromPage = (page: Page, method: string, p: string, json?: unknown) =>
  page.evaluate(
    async ([method, p, json]) => {
      const r = await fetch(`/api${p}`, {
        method,
        headers: json === undefined ? {} : { 'content-type': 'application/json' },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    },
    [method, p, json] as const,
  );
