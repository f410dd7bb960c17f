// Media for the capacity bench's Node participants: a few seconds of VP8 (and Opus) encoded once by ffmpeg into
// RTP packets held in memory, then replayed in a loop by every publisher with its own sequence numbers and
// timestamps, as a browser's encoder would send them. One timer drives every publisher, so 50 publishers cost no
// more timers than one.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { RtpHeader, RtpPacket, type MediaStreamTrack } from 'werift';
import { resolveFfmpegPath } from '../demo-server/embedded-openvidu/recording/ffmpeg.js';

export const FPS = 30;
/** Loop length: a whole number of keyframe intervals (a keyframe every second), so the loop restarts on one. */
const LOOP_SECONDS = 4;
const VIDEO_CLOCK = 90_000;
const AUDIO_FRAME_MS = 20;

/** One encoded frame: its RTP payloads in order (the last one carries the marker bit). */
type Frame = Buffer[];

export interface EncodedMedia {
  video: Frame[];
  audio: Frame[];
}

/** Runs ffmpeg with `-f rtp` toward a local UDP socket and groups what arrives into frames by RTP timestamp. */
async function capture(inputArgs: string[], codecArgs: string[], payloadType: number): Promise<Frame[]> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.setRecvBufferSize(16 * 2 ** 20);
  const packets: Buffer[] = [];
  sock.on('message', (m) => packets.push(m));
  const port = sock.address().port;
  const args = ['-hide_banner', '-loglevel', 'error', ...inputArgs, '-t', String(LOOP_SECONDS), ...codecArgs];
  args.push('-payload_type', String(payloadType), '-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=1200`);
  // Paced (-re): a burst of a few hundred datagrams could overflow even a large socket buffer on a loaded machine.
  const ff = spawn(resolveFfmpegPath(process.env.FFMPEG_PATH), ['-re', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  ff.stderr!.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((r) => ff.once('exit', r));
  await new Promise((r) => setTimeout(r, 200)); // the last datagrams
  sock.close();
  if (code !== 0) throw new Error(`ffmpeg exited with ${code}: ${err}`);
  const frames = new Map<number, Frame>();
  for (const raw of packets) {
    const p = RtpPacket.deSerialize(raw);
    const list = frames.get(p.header.timestamp) ?? [];
    list.push(p.payload);
    frames.set(p.header.timestamp, list);
  }
  return [...frames.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f);
}

export async function encodeMedia(audio: boolean): Promise<EncodedMedia> {
  const [video, sound] = await Promise.all([
    capture(
      ['-f', 'lavfi', '-i', `testsrc2=size=640x480:rate=${FPS}`],
      // What a browser's realtime VP8 encoder sends for a 640x480 webcam: ~600 kbit/s, no alt-ref frames, no lag.
      ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '600k', '-g', String(FPS), '-keyint_min', String(FPS)].concat([
        '-auto-alt-ref',
        '0',
        '-lag-in-frames',
        '0',
        '-error-resilient',
        '1',
      ]),
      96,
    ),
    audio
      ? capture(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'], ['-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', '-ac', '2'], 111)
      : Promise.resolve([]),
  ]);
  if (video.length < FPS * LOOP_SECONDS * 0.9) throw new Error(`only ${video.length} video frames captured from ffmpeg`);
  return { video, audio: sound };
}

/** A track being fed: its own sequence numbers and timestamps, continuous over the loops. */
class Feed {
  private seq = Math.floor(Math.random() * 0xffff);
  private readonly ts0 = Math.floor(Math.random() * 0xffffffff);
  next = 0;
  sent = 0;
  constructor(
    private readonly track: MediaStreamTrack,
    private readonly frames: Frame[],
    private readonly ticks: number,
    readonly periodMs: number,
    private readonly vp8: boolean,
  ) {}

  /** Sends frame `this.next` and moves on. */
  send() {
    const k = this.next++;
    const frame = this.frames[k % this.frames.length];
    const timestamp = (this.ts0 + k * this.ticks) >>> 0;
    for (let i = 0; i < frame.length; i++) {
      let payload = frame[i];
      // ffmpeg writes a 7-bit VP8 picture id restarting with each run: keep it continuous over the loops.
      if (this.vp8 && payload.length > 3 && payload[0] & 0x80 && payload[1] & 0x80 && !(payload[2] & 0x80)) {
        payload = Buffer.from(payload);
        payload[2] = k & 0x7f;
      }
      const header = new RtpHeader({ sequenceNumber: this.seq, timestamp, marker: i === frame.length - 1, payloadType: 96 });
      this.seq = (this.seq + 1) & 0xffff;
      this.track.writeRtp(new RtpPacket(header, payload));
    }
    if (this.vp8) this.sent++;
  }
}

/** Feeds every publisher's tracks from one clock. */
export class Replayer {
  private readonly feeds = new Set<{ feed: Feed; start: number }>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly media: EncodedMedia) {}

  /** Starts feeding a video track (and an audio one); returns the video feed's frame counter and a stop function. */
  add(video: MediaStreamTrack, audio?: MediaStreamTrack): { sentFrames: () => number; stop: () => void } {
    const start = performance.now();
    const v = { feed: new Feed(video, this.media.video, VIDEO_CLOCK / FPS, 1000 / FPS, true), start };
    const a = audio && this.media.audio.length ? { feed: new Feed(audio, this.media.audio, 960, AUDIO_FRAME_MS, false), start } : undefined;
    this.feeds.add(v);
    if (a) this.feeds.add(a);
    this.timer ??= setInterval(() => this.tick(), 5);
    return {
      sentFrames: () => v.feed.sent,
      stop: () => {
        this.feeds.delete(v);
        if (a) this.feeds.delete(a);
      },
    };
  }

  private tick() {
    const now = performance.now();
    for (const { feed, start } of this.feeds) {
      const due = Math.floor((now - start) / feed.periodMs) + 1;
      // Behind by more than a few frames (the event loop stalled): skip ahead, as a real-time encoder drops frames.
      if (due - feed.next > 5) feed.next = due - 1;
      while (feed.next < due) feed.send();
    }
  }

  close() {
    clearInterval(this.timer);
    this.feeds.clear();
  }
}
