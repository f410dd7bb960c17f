import { RTCPeerConnection, RtcpPayloadSpecificFeedback, type RtcpPacket, type RTCRtpSender, type RtpPacket } from 'werift';
import { announcedCandidate, answerAsDtlsServer, filterSdpCandidates, peerConfig, type MediaNetwork } from './peer-config.js';
import type { MediaKind, RtpSource } from './rtp-source.js';
import { IceCandidateQueue, type CandidateInit } from './ice-queue.js';
import { Negotiation } from './negotiation.js';
import { isVp8KeyframeStart, Timeline } from './timeline.js';

export interface SubscriberInit {
  source: RtpSource;
  net: MediaNetwork;
  onLocalCandidate?: (c: CandidateInit) => void;
  onConnectionState?: (state: string) => void;
  /** Remote ICE candidates per PeerConnection (default MAX_REMOTE_CANDIDATES). */
  maxRemoteCandidates?: number;
}

/**
 * Chromium ignores a PLI that comes within ~300 ms of its previous keyframe (e.g. the first one of a stream that
 * has just started): if no keyframe has reached this subscriber by then, ask again.
 */
const KEYFRAME_RETRY_MS = 350;

/** Payload-specific feedback FMT of a Full Intra Request (RFC 5104 §4.3.1). */
const FIR_FMT = 4;
/** werift's per-sender RTP history (RTP_HISTORY_SIZE in rtpSender.js, 0.25): a ring indexed by sequence % size. */
const WERIFT_RTP_HISTORY = 128;

/**
 * Whether werift's sender still holds (and so has just resent) the packet with this outgoing sequence number.
 * Reads werift's private history; if a future werift renames it, every lost packet is asked of the publisher.
 */
function heldBy(sender: RTCRtpSender, seq: number): boolean {
  const cache = (sender as unknown as { rtpCache?: Array<RtpPacket | undefined> }).rtpCache;
  if (!Array.isArray(cache)) return false;
  return cache[seq % WERIFT_RTP_HISTORY]?.header.sequenceNumber === seq;
}

function isFirFor(rtcp: RtcpPacket, ssrc: number): boolean {
  if (rtcp.type !== RtcpPayloadSpecificFeedback.type || rtcp.feedback?.count !== FIR_FMT) return false;
  const entries = (rtcp.feedback as { fir?: Array<{ ssrc: number }> }).fir ?? [];
  return entries.some((e) => e.ssrc === ssrc);
}

/**
 * A subscriber's sequence number in the publisher's numbering. `sender.sendRtp` keeps the incoming numbers and
 * adds an offset that werift only changes on `replaceTrack`/`replaceRTP`, which the SFU never calls: the offset
 * stays 0, so the numbers are the same (the SSRC is what differs, and is mapped by the publisher's side).
 */
const toPublisherSeq = (seq: number) => seq;

/**
 * The server end of one subscription. The browser offers recvonly m-sections (audio, then video); we answer
 * sendonly and forward the publisher's RTP with `sender.sendRtp`, which rewrites SSRC, payload type and sequence
 * numbers for this leg. werift relays no PLI by itself: subscriber PLIs and the moment this leg connects both
 * turn into a keyframe request to the publisher, or a late joiner stays black until the next natural keyframe.
 * A FIR is taken as a keyframe request too; NACKs werift cannot serve from its history are relayed to the publisher.
 */
export class SubscriberEndpoint {
  private pc?: RTCPeerConnection;
  private readonly ice: IceCandidateQueue;
  private readonly negotiation = new Negotiation();
  private detach: Array<() => void> = [];
  private closed = false;
  private keyframeRetry?: NodeJS.Timeout;
  private videoSender?: RTCRtpSender;
  readonly stats = { forwarded: 0, plis: 0, nacks: 0, firs: 0, connectedAt: 0, burstPackets: 0 };
  /** When the last PeerConnection was offered, answered, connected, and its first RTP and keyframe were forwarded. */
  timeline = new Timeline();

  constructor(private readonly init: SubscriberInit) {
    this.ice = new IceCandidateQueue(init.maxRemoteCandidates);
  }

  async answer(offerSdp: string): Promise<string> {
    if (this.closed) throw new Error('subscriber closed');
    return this.negotiation.run(() => this.negotiate(offerSdp));
  }

  private async negotiate(offerSdp: string): Promise<string> {
    this.teardownForwarding();
    const old = this.pc;
    if (old) void old.close().catch(() => {});
    const { source, net } = this.init;
    this.timeline = new Timeline();
    const timeline = this.timeline;
    timeline.mark('offer');
    const pc = new RTCPeerConnection(peerConfig(net));
    this.pc = pc;
    this.ice.reset();
    pc.onIceCandidate.subscribe((c) => {
      const candidate = announcedCandidate(net, c?.candidate);
      if (c && candidate) this.init.onLocalCandidate?.({ ...(c.toJSON() as CandidateInit), candidate });
    });
    pc.iceConnectionStateChange.subscribe((s) => s === 'connected' && timeline.mark('iceConnected'));
    pc.connectionStateChange.subscribe((s) => {
      if (s === 'connected') {
        timeline.mark('connected');
        this.stats.connectedAt = Date.now();
        if (source.hasVideo && pc === this.pc) this.startVideo(pc);
      }
      this.init.onConnectionState?.(s);
    });
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    for (const t of pc.getTransceivers()) {
      const kind = t.kind as MediaKind;
      const wanted = kind === 'video' ? source.hasVideo : kind === 'audio' ? source.hasAudio : false;
      t.setDirection(wanted ? 'sendonly' : 'inactive');
      if (!wanted) continue;
      const sender = t.sender;
      this.detach.push(
        source.onRtp(kind, (rtp) => {
          if (pc !== this.pc) return;
          this.stats.forwarded++;
          if (kind === 'video' && pc.connectionState === 'connected') {
            timeline.mark('firstVideoForwarded');
            if (isVp8KeyframeStart(rtp.payload)) timeline.mark('firstKeyframeForwarded');
          }
          sender.sendRtp(rtp).catch(() => {});
        }),
      );
      if (kind === 'video') {
        this.videoSender = sender;
        const subs = [
          sender.onPictureLossIndication.subscribe(() => {
            this.stats.plis++;
            timeline.mark('firstPliReceived');
            source.requestKeyframe();
          }),
          // werift answers a NACK from its own history of this leg (resent before this runs); what it does not
          // hold (older, or sent before this leg was up) only the publisher can resend.
          sender.onGenericNack.subscribe((nack) => {
            if (nack.mediaSourceSsrc !== sender.ssrc) return;
            this.stats.nacks++;
            const missing = nack.lost.filter((seq) => !heldBy(sender, seq));
            if (missing.length) source.requestRetransmission(missing.map(toPublisherSeq));
          }),
          // werift ignores FIR (RFC 5104) and its router drops it before any sender sees it (a FIR's media SSRC
          // is 0; the target is inside): read it off the transport. It asks for a keyframe, as a PLI does.
          t.dtlsTransport.onRtcp.subscribe((rtcp) => {
            if (pc !== this.pc || !isFirFor(rtcp, sender.ssrc)) return;
            this.stats.firs++;
            source.requestKeyframe();
          }),
        ];
        this.detach.push(() => subs.forEach((s) => s.unSubscribe()));
      }
    }
    answerAsDtlsServer(pc);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    await this.ice.flush((c) => pc.addIceCandidate(c));
    timeline.mark('answered');
    return filterSdpCandidates(net, pc.localDescription!.sdp);
  }

  /**
   * The video leg is up: send the latest keyframe and what followed it if the publisher made one a moment ago
   * (a stream that just started: its first keyframe went out while this leg was still in DTLS), else ask the
   * publisher for one. Ask again after KEYFRAME_RETRY_MS if none has come through.
   */
  private startVideo(pc: RTCPeerConnection): void {
    const { source } = this.init;
    const sender = this.videoSender;
    if (!sender) return;
    const burst = source.keyframeBurst();
    if (burst.length) {
      this.timeline.mark('keyframeBurst');
      this.timeline.mark('firstKeyframeForwarded');
      this.stats.burstPackets += burst.length;
      for (const rtp of burst) sender.sendRtp(rtp).catch(() => {});
      return;
    }
    source.requestKeyframe();
    clearTimeout(this.keyframeRetry);
    this.keyframeRetry = setTimeout(() => {
      if (pc === this.pc && !this.closed && this.timeline.marks.firstKeyframeForwarded === undefined) source.requestKeyframe();
    }, KEYFRAME_RETRY_MS);
  }

  /** False when this PeerConnection has taken its share of candidates (the candidate is dropped). */
  async addRemoteCandidate(c: CandidateInit): Promise<boolean> {
    return this.ice.add(c, this.pc?.remoteDescription ? (x) => this.pc!.addIceCandidate(x) : undefined);
  }

  get connectionState(): string {
    return this.pc?.connectionState ?? 'new';
  }

  private teardownForwarding() {
    clearTimeout(this.keyframeRetry);
    this.videoSender = undefined;
    for (const d of this.detach) d();
    this.detach = [];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.negotiation.abort(new Error('endpoint closed'));
    this.teardownForwarding();
    await this.pc?.close().catch(() => {});
  }
}
