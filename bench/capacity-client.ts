// A cheap participant for the capacity bench: openvidu-browser's JSON-RPC over the real WebSocket (test/helpers
// rpc-client.ts) and werift peer connections in place of a browser's, publishing the replayed VP8/Opus of
// capacity-media.ts and counting the video frames it receives. Optionally through TURN only (relay candidates), with
// the credentials the server handed this connection in joinRoom's customIceServers, as a browser would use them.
import { MediaStreamTrack, RTCPeerConnection, useOPUS, useVP8, type PeerConfig } from 'werift';
import { peerConfig } from '../demo-server/embedded-openvidu/media/peer-config.js';
import { RpcClient } from '../test/helpers/rpc-client.js';
import type { Replayer } from './capacity-media.js';

const CONNECT_TIMEOUT_MS = 20_000;
/** openvidu-browser's heartbeat: the server closes a socket that misses three. */
const PING_MS = 5000;
/** Frames (by RTP timestamp) followed at once: later ones push the oldest out, complete or not. */
const RECENT = 64;

interface IceServer {
  url: string;
  username?: string;
  credential?: string;
}

async function connected(pc: RTCPeerConnection, what: string): Promise<void> {
  for (const end = Date.now() + CONNECT_TIMEOUT_MS; pc.connectionState !== 'connected';) {
    if (pc.connectionState === 'failed' || Date.now() > end) throw new Error(`${what}: peer connection ${pc.connectionState}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The selected pair's local candidate type of a connected werift peer connection (host / srflx / relay). */
function localCandidateType(pc: RTCPeerConnection): string {
  return pc.iceTransports[0]?.connection.nominated?.localCandidate.type ?? 'unknown';
}

/**
 * Counts complete VP8 frames: the frame's first packet (VP8 descriptor S=1, partition 0), its marker packet, and
 * every sequence number between them, each counted once (a retransmission fills a gap, a duplicate does not count).
 */
class FrameCounter {
  private readonly frames = new Map<number, { first?: number; last?: number; seqs: Set<number>; done: boolean }>();

  /** Adds a packet; true when it completes its frame. */
  add(timestamp: number, seq: number, marker: boolean, payload: Buffer): boolean {
    let f = this.frames.get(timestamp);
    if (!f) {
      f = { seqs: new Set(), done: false };
      this.frames.set(timestamp, f);
      if (this.frames.size > RECENT) this.frames.delete(this.frames.keys().next().value!);
    }
    if (f.done) return false;
    f.seqs.add(seq);
    if (payload.length && payload[0] & 0x10 && (payload[0] & 0x07) === 0) f.first = seq;
    if (marker) f.last = seq;
    if (f.first === undefined || f.last === undefined) return false;
    if (f.seqs.size !== ((f.last - f.first) & 0xffff) + 1) return false;
    f.done = true;
    return true;
  }
}

export class BenchParticipant {
  connectionId = '';
  streamId = '';
  /** Candidate type of this participant's peer connections once connected, e.g. ['relay', 'relay']. */
  readonly candidateTypes: string[] = [];
  private readonly pcs: RTCPeerConnection[] = [];
  private feed?: { sentFrames: () => number; stop: () => void };
  private received = 0;
  private config: Partial<PeerConfig> = {};
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    private readonly rpc: RpcClient,
    private readonly replayer: Replayer,
  ) {
    this.heartbeat = setInterval(() => void rpc.request('ping', {}).catch(() => {}), PING_MS);
  }

  /** Gets a token from the reference server, connects and joins; `relay`: TURN only, from the join's ICE servers. */
  static async join(base: string, room: string, name: string, relay: boolean, replayer: Replayer): Promise<BenchParticipant> {
    const res = await fetch(`${base}/api/sessions/${encodeURIComponent(room)}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    if (res.status !== 201) throw new Error(`token for ${room} → ${res.status} ${await res.text()}`);
    const { token } = (await res.json()) as { token: string };
    const rpc = await RpcClient.connect(token);
    const p = new BenchParticipant(rpc, replayer);
    try {
      const joined = (await rpc.join(token, JSON.stringify({ clientData: name }))) as { id: string; customIceServers?: IceServer[] };
      p.connectionId = joined.id;
      p.config = relay ? relayConfig(joined.customIceServers ?? []) : peerConfig({ host: '127.0.0.1' });
      return p;
    } catch (err) {
      await p.leave();
      throw err;
    }
  }

  /** publishVideo with a sendonly offer (audio + video), then the replayed media once connected. */
  async publish(audio: boolean): Promise<void> {
    const pc = this.peer();
    const video = new MediaStreamTrack({ kind: 'video' });
    const sound = audio ? new MediaStreamTrack({ kind: 'audio' }) : undefined;
    if (sound) pc.addTransceiver(sound, { direction: 'sendonly' });
    pc.addTransceiver(video, { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const r = (await this.rpc.request('publishVideo', {
      sdpOffer: pc.localDescription!.sdp,
      hasAudio: audio,
      hasVideo: true,
      audioActive: audio,
      videoActive: true,
      typeOfVideo: 'CAMERA',
      frameRate: 30,
      videoDimensions: JSON.stringify({ width: 640, height: 480 }),
      doLoopback: false,
    })) as { id: string; sdpAnswer: string };
    this.streamId = r.id;
    await pc.setRemoteDescription({ type: 'answer', sdp: r.sdpAnswer });
    await connected(pc, `${this.connectionId} publishing`);
    this.candidateTypes.push(localCandidateType(pc));
    this.feed = this.replayer.add(video, sound);
  }

  /** receiveVideoFrom another participant's stream; resolves once its first video frame has arrived. */
  async subscribe(other: BenchParticipant): Promise<void> {
    const pc = this.peer();
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    const frames = new FrameCounter();
    pc.onTrack.subscribe((track) => {
      if (track.kind !== 'video') return;
      track.onReceiveRtp.subscribe((rtp) => {
        if (frames.add(rtp.header.timestamp, rtp.header.sequenceNumber, rtp.header.marker, rtp.payload)) this.received++;
      });
    });
    await pc.setLocalDescription(await pc.createOffer());
    const r = (await this.rpc.request('receiveVideoFrom', { sender: other.streamId, sdpOffer: pc.localDescription!.sdp })) as { sdpAnswer: string };
    await pc.setRemoteDescription({ type: 'answer', sdp: r.sdpAnswer });
    await connected(pc, `${this.connectionId} receiving ${other.streamId}`);
    this.candidateTypes.push(localCandidateType(pc));
    for (const end = Date.now() + CONNECT_TIMEOUT_MS; this.received === 0;) {
      if (Date.now() > end) throw new Error(`${this.connectionId}: no video from ${other.streamId}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Video frames this participant has sent / received complete. */
  sentFrames(): number {
    return this.feed?.sentFrames() ?? 0;
  }

  receivedFrames(): number {
    return this.received;
  }

  async leave(): Promise<void> {
    clearInterval(this.heartbeat);
    this.feed?.stop();
    await this.rpc.request('leaveRoom', {}).catch(() => {});
    this.rpc.close();
    await Promise.all(this.pcs.map((pc) => pc.close().catch(() => {})));
  }

  private peer(): RTCPeerConnection {
    const pc = new RTCPeerConnection(this.config);
    this.pcs.push(pc);
    return pc;
  }
}

/** TURN over UDP only, from OpenVidu's customIceServers (`url`, `username`, `credential`). */
function relayConfig(servers: IceServer[]): Partial<PeerConfig> {
  const turn = servers.find((s) => /^turn:.*transport=udp/.test(s.url)) ?? servers.find((s) => s.url.startsWith('turn:'));
  if (!turn?.username || !turn.credential) throw new Error(`joinRoom gave no TURN server with credentials: ${JSON.stringify(servers)}`);
  return {
    iceServers: [{ urls: turn.url, username: turn.username, credential: turn.credential }],
    iceTransportPolicy: 'relay',
    iceUseIpv6: false,
    codecs: { video: [useVP8()], audio: [useOPUS()] },
    headerExtensions: { video: [], audio: [] },
  };
}
