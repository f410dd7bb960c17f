import { GenericNack, RTCPeerConnection, RtcpTransportLayerFeedback, type RTCRtpReceiver, type RtpPacket, type MediaStreamTrack } from 'werift';
import { announcedCandidate, answerAsDtlsServer, filterSdpCandidates, peerConfig, type MediaNetwork } from './peer-config.js';
import type { CodecInfo, MediaKind, RtpSource } from './rtp-source.js';
import { IceCandidateQueue, type CandidateInit } from './ice-queue.js';
import { Negotiation } from './negotiation.js';
import { isVp8KeyframeStart, Timeline, wallNow } from './timeline.js';

export interface PublisherInit {
  streamId: string;
  connectionId: string;
  hasAudio: boolean;
  hasVideo: boolean;
  videoDimensions?: { width: number; height: number };
  net: MediaNetwork;
  /** Server ICE candidates that were not in the SDP (trickled). */
  onLocalCandidate?: (c: CandidateInit) => void;
  onConnectionState?: (state: string) => void;
  /** Remote ICE candidates per PeerConnection (default MAX_REMOTE_CANDIDATES). */
  maxRemoteCandidates?: number;
}

const KEYFRAME_MIN_INTERVAL_MS = 250;
/**
 * Video packets kept from the latest keyframe on, for `keyframeBurst`. A VP8 keyframe at 640x480 is 5-15 packets
 * and libwebrtc makes no periodic keyframes: past this many the group is dropped until the next keyframe.
 */
const BURST_MAX_PACKETS = 120;
/** A burst older than this is not sent: a fresh keyframe (PLI) is as quick and does not replay stale frames. */
const BURST_MAX_AGE_MS = 1000;

/**
 * The server end of a publisher's PeerConnection. The browser offers; we answer recvonly. Incoming RTP fans out to
 * listeners (subscriber forwarders, recorders) that survive a renegotiation (`reconnectStream`).
 */
export class PublisherEndpoint implements RtpSource {
  readonly streamId: string;
  readonly connectionId: string;
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
  private dims?: { width: number; height: number };
  private pc?: RTCPeerConnection;
  private readonly receivers: Partial<Record<MediaKind, { receiver: RTCRtpReceiver; track: MediaStreamTrack }>> = {};
  private readonly ssrc: Partial<Record<MediaKind, number>> = {};
  private readonly codecs: Partial<Record<MediaKind, CodecInfo>> = {};
  private readonly listeners: Record<MediaKind, Set<(rtp: RtpPacket) => void>> = { audio: new Set(), video: new Set() };
  private readonly endedListeners = new Set<() => void>();
  private readonly ice: IceCandidateQueue;
  private readonly negotiation = new Negotiation();
  private lastKeyframeRequest = 0;
  private burst: RtpPacket[] = [];
  private burstAt = 0;
  private keyframeWanted = false;
  private keyframeTimer?: NodeJS.Timeout;
  private closed = false;
  /** Counters for stats and benchmarks. */
  readonly stats = { packets: { audio: 0, video: 0 }, keyframeRequests: 0, firstPacketAt: 0, keyframes: 0, lastKeyframeAt: 0, nacksRelayed: 0 };
  /** When the last PeerConnection was offered, answered, connected, and its first RTP and keyframe arrived. */
  timeline = new Timeline();

  constructor(private readonly init: PublisherInit) {
    this.ice = new IceCandidateQueue(init.maxRemoteCandidates);
    this.streamId = init.streamId;
    this.connectionId = init.connectionId;
    this.hasAudio = init.hasAudio;
    this.hasVideo = init.hasVideo;
    this.dims = init.videoDimensions;
  }

  /** Answer the browser's offer (also used for `reconnectStream`: the old PeerConnection is replaced). */
  async answer(offerSdp: string): Promise<string> {
    if (this.closed) throw new Error('publisher closed');
    return this.negotiation.run(() => this.negotiate(offerSdp));
  }

  private async negotiate(offerSdp: string): Promise<string> {
    const old = this.pc;
    this.timeline = new Timeline();
    const timeline = this.timeline;
    timeline.mark('offer');
    this.burst = [];
    const pc = new RTCPeerConnection(peerConfig(this.init.net));
    this.pc = pc;
    this.ice.reset();
    if (old) void old.close().catch(() => {});
    pc.onIceCandidate.subscribe((c) => {
      const candidate = announcedCandidate(this.init.net, c?.candidate);
      if (c && candidate) this.init.onLocalCandidate?.({ ...(c.toJSON() as CandidateInit), candidate });
    });
    pc.iceConnectionStateChange.subscribe((s) => s === 'connected' && timeline.mark('iceConnected'));
    pc.connectionStateChange.subscribe((s) => {
      if (s === 'connected') timeline.mark('connected');
      this.init.onConnectionState?.(s);
    });
    pc.onTrack.subscribe((track) => {
      const kind = track.kind as MediaKind;
      const transceiver = pc.getTransceivers().find((t) => t.receiver.track === track || t.receiver.tracks.includes(track));
      if (!transceiver) return;
      const previous = this.receivers[kind];
      this.receivers[kind] = { receiver: transceiver.receiver, track };
      if (previous && previous.track !== track) this.ssrc[kind] = undefined;
      track.onReceiveRtp.subscribe((rtp) => this.dispatch(kind, rtp, track));
    });
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    for (const t of pc.getTransceivers()) t.setDirection('recvonly');
    answerAsDtlsServer(pc);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    await this.ice.flush((c) => pc.addIceCandidate(c));
    timeline.mark('answered');
    return filterSdpCandidates(this.init.net, pc.localDescription!.sdp);
  }

  /** False when this PeerConnection has taken its share of candidates (the candidate is dropped). */
  async addRemoteCandidate(c: CandidateInit): Promise<boolean> {
    return this.ice.add(c, this.pc?.remoteDescription ? (x) => this.pc!.addIceCandidate(x) : undefined);
  }

  private dispatch(kind: MediaKind, rtp: RtpPacket, track: MediaStreamTrack): void {
    if (this.receivers[kind]?.track !== track) return; // a replaced PeerConnection still draining
    if (!this.stats.firstPacketAt) this.stats.firstPacketAt = Date.now();
    this.stats.packets[kind]++;
    this.timeline.mark(`firstRtp.${kind}`);
    if (kind === 'video') this.keepForBurst(rtp);
    if (this.ssrc[kind] === undefined) {
      this.ssrc[kind] = rtp.header.ssrc;
      const c = track.codec;
      if (c) this.codecs[kind] = { payloadType: c.payloadType, mimeType: c.mimeType, clockRate: c.clockRate, channels: c.channels };
      if (kind === 'video' && this.keyframeWanted) this.requestKeyframe();
    }
    for (const l of this.listeners[kind]) l(rtp);
  }

  private keepForBurst(rtp: RtpPacket): void {
    if (isVp8KeyframeStart(rtp.payload)) {
      this.stats.keyframes++;
      this.timeline.mark('firstKeyframe');
      this.burst = [rtp];
      this.burstAt = this.stats.lastKeyframeAt = Date.now();
    } else if (this.burst.length >= BURST_MAX_PACKETS) {
      this.burst = [];
    } else if (this.burst.length) {
      this.burst.push(rtp);
    }
  }

  keyframeBurst(): readonly RtpPacket[] {
    return Date.now() - this.burstAt <= BURST_MAX_AGE_MS ? this.burst : [];
  }

  codec(kind: MediaKind): CodecInfo | undefined {
    return this.codecs[kind];
  }

  videoDimensions() {
    return this.dims;
  }

  setVideoDimensions(d: { width: number; height: number }) {
    this.dims = d;
  }

  onRtp(kind: MediaKind, listener: (rtp: RtpPacket) => void): () => void {
    this.listeners[kind].add(listener);
    return () => this.listeners[kind].delete(listener);
  }

  onEnded(listener: () => void): () => void {
    if (this.closed) {
      queueMicrotask(listener);
      return () => {};
    }
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  /**
   * Send a PLI to the publisher. Chromium repeats PLIs until it decodes and libwebrtc's VP8 encoder makes no
   * periodic keyframes, so requests are coalesced to one per KEYFRAME_MIN_INTERVAL_MS rather than dropped.
   */
  requestKeyframe(): void {
    if (!this.hasVideo || this.closed) return;
    const video = this.receivers.video;
    const ssrc = this.ssrc.video;
    if (!video || ssrc === undefined) {
      this.keyframeWanted = true; // sent when the first video packet arrives
      return;
    }
    this.keyframeWanted = false;
    const wait = this.lastKeyframeRequest + KEYFRAME_MIN_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.keyframeTimer ??= setTimeout(() => {
        this.keyframeTimer = undefined;
        this.requestKeyframe();
      }, wait);
      return;
    }
    this.lastKeyframeRequest = Date.now();
    this.stats.keyframeRequests++;
    this.timeline.mark('firstPli', wallNow());
    void video.receiver.sendRtcpPLI(ssrc).catch(() => {});
  }

  /** Relay a subscriber's NACK (already mapped to the publisher's sequence numbers) as one NACK for our SSRC. */
  requestRetransmission(sequenceNumbers: number[]): void {
    const video = this.receivers.video;
    const ssrc = this.ssrc.video;
    if (!video || ssrc === undefined || this.closed || !sequenceNumbers.length) return;
    this.stats.nacksRelayed++;
    const r = video.receiver;
    const nack = new GenericNack({ senderSsrc: r.rtcpSsrc, mediaSourceSsrc: ssrc, lost: sequenceNumbers });
    void r.dtlsTransport.sendRtcp([new RtcpTransportLayerFeedback({ feedback: nack })]).catch(() => {});
  }

  get connectionState(): string {
    return this.pc?.connectionState ?? 'new';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.negotiation.abort(new Error('endpoint closed'));
    clearTimeout(this.keyframeTimer);
    for (const l of this.endedListeners) {
      try {
        l();
      } catch {
        /* a consumer's clean-up must not stop the others */
      }
    }
    this.endedListeners.clear();
    this.burst = [];
    this.listeners.audio.clear();
    this.listeners.video.clear();
    await this.pc?.close().catch(() => {});
  }
}
