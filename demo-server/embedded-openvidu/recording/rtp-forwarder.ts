import type dgram from 'node:dgram';
import { Vp8RtpPayload, type RtpPacket } from 'werift';
import { nowMs } from './clock.js';

/** How often a forwarded stream's synthetic RTCP sender report is repeated. */
const SR_INTERVAL_MS = 2000;
/** Chromium drops a PLI that comes within ~300 ms of its previous keyframe (e.g. one a new subscriber asked for). */
const KEYFRAME_RETRY_MS = 350;

/** An RTCP sender report (RFC 3550 §6.4.1) tying `rtpTs` to the wall-clock time `wallMs`. */
export function rtcpSenderReport(ssrc: number, wallMs: number, rtpTs: number, packets: number, octets: number): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  const secs = Math.floor(wallMs / 1000);
  b.writeUInt32BE((secs + 2208988800) >>> 0, 8);
  b.writeUInt32BE(Math.floor(((wallMs - secs * 1000) / 1000) * 2 ** 32) >>> 0, 12);
  b.writeUInt32BE(rtpTs >>> 0, 16);
  b.writeUInt32BE(packets >>> 0, 20);
  b.writeUInt32BE(octets >>> 0, 24);
  return b;
}

/** The first packet of a VP8 keyframe. */
export function isVp8KeyframeStart(payload: Buffer): boolean {
  try {
    const p = Vp8RtpPayload.deSerialize(payload);
    return p.isKeyframe && p.isPartitionHead;
  } catch {
    return false;
  }
}

export interface ForwarderHooks {
  /** First packet of the stream forwarded. The earliest over the segment's streams is its time 0 in ffmpeg's output. */
  first(wallMs: number): void;
  /** The stream restarted (new SSRC: the publisher renegotiated). */
  reset(): void;
  requestKeyframe(): void;
  /** The gated video stream starts flowing (first keyframe). */
  flowing?(): void;
}

/**
 * Forwards one stream to one ffmpeg port pair. Packets are sent unchanged (SSRC, PT, seq, ts). An RTCP SR built
 * from the first packet's arrival time reaches ffmpeg before any RTP, so every stream of the segment lands on one
 * NTP timeline (without it, ffmpeg starts each stream at pts 0 on its own first packet). VP8 is held back until a
 * keyframe.
 */
export class Forwarder {
  private map?: { wall0: number; ts0: number };
  private ssrc?: number;
  private flowing: boolean;
  private packets = 0;
  private octets = 0;
  private srTimer?: NodeJS.Timeout;
  private lastKeyframeRequest = 0;
  private closed = false;
  private resetSent = false;

  constructor(
    private readonly sock: dgram.Socket,
    private readonly host: string,
    private readonly port: number,
    private readonly clockRate: number,
    private readonly payloadType: number,
    private readonly gateVp8: boolean,
    private readonly hooks: ForwarderHooks,
  ) {
    this.flowing = !gateVp8;
  }

  handle(rtp: RtpPacket): void {
    if (this.closed) return;
    const h = rtp.header;
    if (h.payloadType !== this.payloadType) return;
    if (this.ssrc === undefined) this.ssrc = h.ssrc;
    else if (h.ssrc !== this.ssrc) {
      if (!this.resetSent) {
        this.resetSent = true;
        this.hooks.reset();
      }
      return;
    }
    if (!this.map) {
      const t = nowMs();
      this.map = { wall0: t, ts0: h.timestamp };
      this.sendSr();
      this.srTimer = setInterval(() => this.sendSr(), SR_INTERVAL_MS);
      // The packet itself goes out right after the SR (same socket, so in order) and ffmpeg reads a stream's RTCP
      // socket before its RTP socket. Dropping it instead would lose the keyframe the segment just asked for.
    }
    if (!this.flowing) {
      if (!isVp8KeyframeStart(rtp.payload)) {
        if (Date.now() - this.lastKeyframeRequest > KEYFRAME_RETRY_MS) {
          this.lastKeyframeRequest = Date.now();
          this.hooks.requestKeyframe();
        }
        return;
      }
      this.flowing = true;
      this.hooks.flowing?.();
    }
    if (this.packets++ === 0) this.hooks.first(nowMs());
    this.octets += rtp.payload.length;
    this.sock.send(rtp.serialize(), this.port, this.host);
  }

  markKeyframeRequested(): void {
    this.lastKeyframeRequest = Date.now();
  }

  private sendSr(): void {
    if (!this.map || this.closed || this.ssrc === undefined) return;
    const t = nowMs();
    const ts = this.map.ts0 + Math.round(((t - this.map.wall0) * this.clockRate) / 1000);
    this.sock.send(rtcpSenderReport(this.ssrc, t, ts, this.packets, this.octets), this.port + 1, this.host);
  }

  /**
   * RTCP BYE: once every stream of its SDP has said BYE, ffmpeg's RTP demuxer reports the end of its input. Sent
   * as a compound packet (empty RR + BYE): ffmpeg ignores anything shorter than 12 bytes.
   */
  sendBye(): void {
    if (this.closed) return;
    const ssrc = (this.ssrc ?? 0) >>> 0;
    const b = Buffer.alloc(16);
    b[0] = 0x80; // V=2, no report blocks
    b[1] = 201; // RR
    b.writeUInt16BE(1, 2);
    b.writeUInt32BE(ssrc, 4);
    b[8] = 0x81; // V=2, one SSRC
    b[9] = 203; // BYE
    b.writeUInt16BE(1, 10);
    b.writeUInt32BE(ssrc, 12);
    this.sock.send(b, this.port + 1, this.host);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.srTimer);
  }
}
