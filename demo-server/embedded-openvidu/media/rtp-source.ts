import type { RtpPacket } from 'werift';

export type MediaKind = 'audio' | 'video';

export interface CodecInfo {
  payloadType: number;
  /** e.g. `video/VP8`, `audio/opus` */
  mimeType: string;
  clockRate: number;
  channels?: number;
}

/**
 * One published stream as the SFU's consumers (subscribers, recorders) see it. Listeners stay attached when the
 * publisher renegotiates (`reconnectStream`), so consumers never need to re-subscribe.
 */
export interface RtpSource {
  readonly streamId: string;
  readonly connectionId: string;
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
  /** Codec of the incoming track, known once the publisher's answer is set. */
  codec(kind: MediaKind): CodecInfo | undefined;
  /** Latest known video size (from the publish request or `streamPropertyChanged`). */
  videoDimensions(): { width: number; height: number } | undefined;
  onRtp(kind: MediaKind, listener: (rtp: RtpPacket) => void): () => void;
  /** Ask the publisher for a keyframe (PLI). Throttled. */
  requestKeyframe(): void;
  /**
   * The video packets from the latest keyframe on, when they are few (a keyframe a moment ago): a subscriber whose
   * leg just connected gets them at once instead of waiting for the keyframe its PLI asks for. Empty otherwise.
   */
  keyframeBurst(): readonly RtpPacket[];
  /** Ask the publisher to resend video packets (a NACK), by the sequence numbers it sent them with. */
  requestRetransmission(sequenceNumbers: number[]): void;
  /** Called once when the stream ends (unpublish, leave, eviction). */
  onEnded(listener: () => void): () => void;
}
