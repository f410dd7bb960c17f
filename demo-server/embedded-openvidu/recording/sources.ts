import type { CodecInfo, MediaKind, RtpSource } from '../media/rtp-source.js';
import type { Segment, SourceEntry, StreamSpec } from './composed-types.js';

/** A source whose other kind has not sent anything after this long is recorded with what it has. */
const CODEC_GRACE_MS = 2000;
/**
 * A source in the layout that sends nothing for this long (network trouble) is taken out of it until it sends
 * again: one silent input stalls the whole composition. Idle screen shares still send a frame a second.
 */
const STALL_MS = 3000;

function defaultCodec(kind: MediaKind, payloadType: number): CodecInfo {
  return kind === 'video' ? { payloadType, mimeType: 'video/VP8', clockRate: 90000 } : { payloadType, mimeType: 'audio/opus', clockRate: 48000, channels: 2 };
}

export interface SourceRosterOptions {
  hasAudio: boolean;
  hasVideo: boolean;
  log(msg: string, extra?: object): void;
  /** The roster may have changed: the segment machine compares it with the running segment. */
  changed(): void;
  /** The source ended (its publisher left). */
  ended(streamId: string): void;
}

/**
 * The publishers a COMPOSED recording takes, in the order they came, with what each sends: a source is in the
 * layout once its codecs are known (or its grace period is over) and while it does not stall.
 */
export class SourceRoster {
  private readonly sources = new Map<string, SourceEntry>();
  private order = 0;

  constructor(private readonly o: SourceRosterOptions) {}

  get(streamId: string): SourceEntry | undefined {
    return this.sources.get(streamId);
  }

  all(): SourceEntry[] {
    return [...this.sources.values()];
  }

  track(src: RtpSource): void {
    if (this.sources.has(src.streamId)) return;
    const want: MediaKind[] = [];
    if (this.o.hasVideo && src.hasVideo) want.push('video');
    if (this.o.hasAudio && src.hasAudio) want.push('audio');
    if (want.length === 0) return;
    const e: SourceEntry = { src, order: this.order++, want, codecs: {}, generation: 0, graceOver: false, lastPacket: {}, stalled: {}, offs: [] };
    this.sources.set(src.streamId, e);
    e.offs.push(src.onEnded(() => this.o.ended(src.streamId)));
    for (const kind of want) {
      const known = src.codec(kind);
      if (known) e.codecs[kind] = known;
      e.offs.push(
        src.onRtp(kind, (rtp) => {
          e.lastPacket[kind] = Date.now();
          if (!e.codecs[kind]) {
            // The payload types only become known with the first packet; until then the source is not in the layout.
            e.codecs[kind] = src.codec(kind) ?? defaultCodec(kind, rtp.header.payloadType);
            this.o.changed();
          }
          if (e.stalled[kind]) {
            e.stalled[kind] = false;
            this.o.log('publisher sends again', { streamId: src.streamId, kind });
            this.o.changed();
          }
        }),
      );
    }
    if (want.some((k) => !e.codecs[k])) {
      e.graceTimer = setTimeout(() => {
        e.graceOver = true;
        this.o.changed();
      }, CODEC_GRACE_MS);
    } else e.graceOver = true;
  }

  untrack(e: SourceEntry): void {
    clearTimeout(e.graceTimer);
    for (const off of e.offs) off();
    e.offs = [];
    this.sources.delete(e.src.streamId);
  }

  /** The publisher renegotiated (new SSRC): its streams get a new segment. */
  restart(e: SourceEntry): void {
    if (this.sources.get(e.src.streamId) !== e) return;
    e.generation++;
    for (const k of e.want) {
      const c = e.src.codec(k);
      if (c) e.codecs[k] = c;
    }
    this.o.log('publisher restarted its streams', { streamId: e.src.streamId });
    this.o.changed();
  }

  /** Take out of the layout the streams of the running segment that have sent nothing for STALL_MS. */
  checkStalls(seg: Segment): void {
    const now = Date.now();
    for (const s of seg.streams) {
      const e = s.entry;
      if (e.stalled[s.kind] || this.sources.get(e.src.streamId) !== e) continue;
      const last = Math.max(e.lastPacket[s.kind] ?? 0, seg.attachedAt ?? now);
      if (now - last > STALL_MS) {
        e.stalled[s.kind] = true;
        this.o.log('publisher sends nothing, left out of the layout until it does', { streamId: e.src.streamId, kind: s.kind });
        this.o.changed();
      }
    }
  }

  /** The streams to compose now: videos first (in arrival order), then audios. */
  roster(): StreamSpec[] {
    const entries = [...this.sources.values()].sort((a, b) => a.order - b.order);
    const video: StreamSpec[] = [];
    const audio: StreamSpec[] = [];
    for (const e of entries) {
      const kinds = e.want.filter((k) => e.codecs[k] && !e.stalled[k]);
      if (kinds.length === 0 || (kinds.length < e.want.length && !e.graceOver)) continue;
      for (const kind of kinds) (kind === 'video' ? video : audio).push({ entry: e, kind, codec: e.codecs[kind]! });
    }
    return [...video, ...audio];
  }
}

/** What makes two rosters need different encoders. */
export function rosterSignature(streams: StreamSpec[]): string {
  return JSON.stringify(streams.map((s) => [s.entry.src.streamId, s.entry.generation, s.kind, s.codec.payloadType, s.codec.mimeType]));
}
