/** Wall-clock milliseconds with sub-millisecond precision, comparable with a page's `performance.timeOrigin + now()`. */
export const wallNow = () => performance.timeOrigin + performance.now();

/**
 * First moments of an endpoint's life (offer received, answered, ICE and DTLS connected, first RTP, first keyframe),
 * for debug logs and the publish-to-view benchmark. Each name keeps its first time only.
 */
export class Timeline {
  readonly marks: Record<string, number> = {};

  mark(name: string, at = wallNow()): void {
    this.marks[name] ??= at;
  }
}

/**
 * True when a VP8 RTP payload starts a keyframe (RFC 7741: S bit set, partition 0, and the P bit of the VP8
 * frame header clear). Reads a few bytes, allocates nothing.
 */
export function isVp8KeyframeStart(payload: Uint8Array): boolean {
  if (payload.length < 2) return false;
  const d = payload[0];
  if (!(d & 0x10) || (d & 0x0f) !== 0) return false; // S bit, PID 0
  let i = 1;
  if (d & 0x80) {
    const x = payload[i++];
    if (x & 0x80) i += payload[i] & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
    if (x & 0x40) i++; // TL0PICIDX
    if (x & 0x30) i++; // TID / KEYIDX
  }
  return i < payload.length && (payload[i] & 0x01) === 0;
}
