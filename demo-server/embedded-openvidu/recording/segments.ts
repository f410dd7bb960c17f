import type dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RtpSource } from '../media/rtp-source.js';
import { nowMs, sleep } from './clock.js';
import type { ComposedRecorderStats, EncodeSettings, Segment, SourceEntry, SpawnEncoder, StreamSpec } from './composed-types.js';
import { blankArgs, rtpArgs, sdpFor } from './ffmpeg-args.js';
import { stderrTail } from './ffmpeg.js';
import { allocatePortPairs, boundUdpPorts, releasePorts } from './ports.js';
import { Forwarder } from './rtp-forwarder.js';

const BIND_TIMEOUT_MS = 5000;
const ORIGIN_TIMEOUT_MS = 3000;
/** How long the old segment keeps running once the new one has media (its output lags ~0.1 s behind). */
const OVERLAP_MS = 500;
const EXIT_TIMEOUT_MS = 5000;
const ROSTER_DEBOUNCE_MS = 50;

/** utime + stime of a live process, in seconds (Linux /proc; undefined elsewhere). */
function procCpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

export interface SegmentMachineOptions {
  settings: EncodeSettings;
  /** Where ffmpeg is fed (the SDP's connection address). */
  host: string;
  ffmpegPath: string;
  partsDir: string;
  keepParts: boolean;
  spawn: SpawnEncoder;
  stats: ComposedRecorderStats;
  log(msg: string, extra?: object): void;
  /** The streams the recording should compose now. */
  roster(): StreamSpec[];
  signature(streams: StreamSpec[]): string;
  /** A forwarded stream changed SSRC: the publisher renegotiated. */
  restartSource(e: SourceEntry): void;
  /** A segment's time 0 became known or it exited: what the journal records changed. */
  journalChanged(): void;
  /** A segment's time 0 became known or an old one ended: fillers can be encoded ahead. */
  prewarm(): void;
  fileDuration(file: string): Promise<number>;
}

/**
 * The segment state machine: one ffmpeg per roster, replaced make-before-break when the roster changes (the new
 * segment runs before the old one is stopped), started again once when its start fails.
 */
export class SegmentMachine {
  readonly segments: Segment[] = [];
  current?: Segment;
  /** The socket the forwarders send from (bound by the recorder before the first segment). */
  sock?: dgram.Socket;
  /** Roster changes start segments from here on. */
  started = false;
  stopping = false;
  failure?: Error;
  private busy?: Promise<void>;
  private dirty = false;
  private reconfigureTimer?: NodeJS.Timeout;

  constructor(private readonly o: SegmentMachineOptions) {}

  /** A roster change: reconfigure soon (changes that come together make one new segment). */
  schedule(): void {
    if (!this.started || this.stopping || this.reconfigureTimer) return;
    this.reconfigureTimer = setTimeout(() => {
      this.reconfigureTimer = undefined;
      this.kick();
    }, ROSTER_DEBOUNCE_MS);
  }

  kick(): void {
    if (this.stopping) return;
    if (this.busy) {
      this.dirty = true;
      return;
    }
    this.busy = this.reconfigure().finally(() => {
      this.busy = undefined;
      if (this.dirty && !this.stopping) {
        this.dirty = false;
        this.kick();
      }
    });
  }

  /** Resolves once no reconfiguration runs. */
  async settled(): Promise<void> {
    await this.busy;
  }

  /** Stop every encoder (forwarding until each exits). */
  async shutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconfigureTimer);
    await this.busy;
    await Promise.all(this.segments.filter((s) => !s.exited).map((s) => this.endSegment(s)));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.o.log('recording failed', { error: err.message });
  }

  /** Bring the running segment in line with the current roster (make-before-break). Never throws. */
  private async reconfigure(): Promise<void> {
    try {
      const streams = this.o.roster();
      const signature = this.o.signature(streams);
      if (this.current && !this.current.exited && this.current.signature === signature) return;
      if (this.failure) return;
      const old = this.current;
      let seg: Segment | undefined;
      for (let attempt = 0; !seg; attempt++) {
        try {
          seg = await this.startSegment(streams, signature);
        } catch (err) {
          // A port taken between our check and ffmpeg's bind, typically: one more try with fresh ports.
          if (attempt >= 1 || this.stopping) throw err;
          this.o.log('segment start failed, retrying', { error: (err as Error).message });
        }
      }
      this.current = seg;
      if (!old || old.exited) return;
      const deadline = Date.now() + ORIGIN_TIMEOUT_MS;
      while (seg.origin === undefined && !this.stopping && !seg.exited && Date.now() < deadline) await sleep(10);
      // Both run for a moment; stop() ends every running segment itself.
      for (const until = Date.now() + OVERLAP_MS; Date.now() < until && !this.stopping;) await sleep(20);
      if (this.stopping) return;
      await this.endSegment(old);
      this.o.prewarm();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private async startSegment(streams: StreamSpec[], signature: string): Promise<Segment> {
    const index = this.segments.length;
    const blank = streams.length === 0;
    const seg: Segment = {
      index,
      file: path.join(this.o.partsDir, `segment-${index}.${this.o.settings.ext}`),
      signature,
      streams,
      blank,
      exited: false,
      stopping: false,
      starting: true,
      ports: [],
      forwarders: [],
      offs: [],
      stderr: '',
    };
    let args: string[];
    if (blank) {
      args = blankArgs(this.o.settings, seg.file, undefined);
    } else {
      seg.ports = await allocatePortPairs(streams.length);
      const sdpFile = path.join(this.o.partsDir, `segment-${index}.sdp`);
      await writeFile(sdpFile, sdpFor(this.o.host, streams, seg.ports));
      args = rtpArgs(this.o.settings, streams, sdpFile, seg.file);
    }
    this.segments.push(seg);
    this.o.stats.segments++;
    const spawnedAt = nowMs();
    const proc = this.o.spawn(this.o.ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    seg.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => {
      seg.stderr = (seg.stderr + d.toString()).slice(-16_000);
      // lavfi segments start producing as soon as the output is set up.
      if (blank && seg.origin === undefined && seg.stderr.includes('Output #0')) this.originKnown(seg, nowMs());
    });
    seg.exit = new Promise<void>((resolve) => {
      const done = () => {
        if (seg.exited) return;
        seg.exited = true;
        if (seg.origin !== undefined) this.o.journalChanged();
        const times = [...seg.stderr.matchAll(/time=\s*(\d+):(\d+):([\d.]+)/g)];
        const last = times[times.length - 1];
        if (last) seg.reportedTime = Number(last[1]) * 3600 + Number(last[2]) * 60 + Number(last[3]);
        this.detach(seg);
        if (this.o.keepParts) void writeFile(seg.file.replace(/\.\w+$/, '.log'), `${seg.stderr}\nexit ${proc.exitCode} ${proc.signalCode}\n`).catch(() => {});
        if (!seg.stopping && !seg.starting) {
          this.fail(new Error(`ffmpeg (segment ${index}) exited unexpectedly (code ${proc.exitCode}, signal ${proc.signalCode}): ${stderrTail(seg.stderr)}`));
        }
        resolve();
      };
      proc.once('close', done); // after 'exit', once stderr (with the final report) is drained
      proc.once('error', (err) => {
        seg.stderr += `\n${err.message}`;
        done();
      });
    });
    this.o.log('segment started', { index, streams: streams.map((s) => `${s.entry.src.streamId}/${s.kind}/${s.codec.payloadType}`), ports: seg.ports });

    if (blank) {
      // Running once it has set up its output (this also catches a binary that cannot start).
      const deadline = Date.now() + BIND_TIMEOUT_MS;
      while (seg.origin === undefined && !seg.exited && !this.stopping && Date.now() < deadline) await sleep(10);
      if (seg.exited) throw new Error(`ffmpeg (segment ${index}) failed to start: ${stderrTail(seg.stderr)}`);
      if (seg.origin === undefined) this.originKnown(seg, spawnedAt + 50);
      seg.starting = false;
      return seg;
    }

    // Packets sent before ffmpeg has bound its sockets are lost: wait for every port of the SDP.
    const wanted = seg.ports.flatMap((p) => [p, p + 1]);
    const deadline = Date.now() + BIND_TIMEOUT_MS;
    for (;;) {
      if (seg.exited) throw new Error(`ffmpeg (segment ${index}) exited before binding its ports: ${stderrTail(seg.stderr)}`);
      const bound = await boundUdpPorts();
      if (wanted.every((p) => bound.has(p))) break;
      if (Date.now() > deadline || this.stopping) {
        if (this.stopping) break;
        seg.stopping = true;
        proc.kill('SIGKILL');
        await seg.exit;
        throw new Error(`ffmpeg (segment ${index}) did not bind its UDP ports within ${BIND_TIMEOUT_MS} ms`);
      }
      await sleep(10);
    }
    seg.starting = false;
    if (seg.exited) throw new Error(`ffmpeg (segment ${index}) exited while starting: ${stderrTail(seg.stderr)}`);
    this.attach(seg);
    return seg;
  }

  private originKnown(seg: Segment, wallMs: number): void {
    seg.origin = wallMs;
    this.o.journalChanged();
    // A hole before this segment is now known: encode its filler while the recording goes on.
    setImmediate(() => this.o.prewarm());
  }

  private attach(seg: Segment): void {
    const sock = this.sock!;
    const keyframeSources = new Set<RtpSource>();
    const attachedAt = nowMs();
    seg.attachedAt = Date.now();
    seg.streams.forEach((s, i) => {
      const src = s.entry.src;
      const gate = s.kind === 'video' && /vp8/i.test(s.codec.mimeType);
      const fwd = new Forwarder(sock, this.o.host, seg.ports[i], s.codec.clockRate, s.codec.payloadType, gate, {
        first: (t) => {
          if (seg.origin === undefined) this.originKnown(seg, t);
        },
        reset: () => this.o.restartSource(s.entry),
        requestKeyframe: () => src.requestKeyframe(),
        flowing: () => this.o.log('keyframe', { index: seg.index, streamId: src.streamId, afterMs: Math.round(nowMs() - attachedAt) }),
      });
      seg.forwarders.push(fwd);
      seg.offs.push(src.onRtp(s.kind, (rtp) => fwd.handle(rtp)));
      if (s.kind === 'video') {
        keyframeSources.add(src);
        fwd.markKeyframeRequested();
      }
    });
    // The new ffmpeg can only start decoding a stream at a keyframe.
    for (const src of keyframeSources) src.requestKeyframe();
  }

  private detach(seg: Segment): void {
    for (const off of seg.offs) off();
    seg.offs = [];
    for (const f of seg.forwarders) f.close();
    releasePorts(seg.ports);
  }

  /**
   * Stop a segment's ffmpeg so that it finishes its file; forwarding continues until it exits. Once running,
   * ffmpeg notices SIGINT only between packets: with no packet coming (its publishers are gone) it would sit in
   * its RTP read for 10 s, and a second signal would abort the file's trailer too. An RTCP BYE on every stream
   * ends its input instead, cleanly. SIGKILL if it hangs anyway.
   */
  async endSegment(seg: Segment): Promise<void> {
    if (!seg.exited && seg.proc) {
      const proc = seg.proc;
      seg.stopping = true;
      seg.cpuSeconds = procCpuSeconds(proc.pid);
      for (const f of seg.forwarders) f.sendBye();
      proc.kill('SIGINT');
      const kill = setTimeout(() => {
        this.o.log('ffmpeg did not exit after SIGINT, killing it', { index: seg.index });
        proc.kill('SIGKILL');
      }, EXIT_TIMEOUT_MS);
      await seg.exit;
      clearTimeout(kill);
    }
    if (seg.cpuSeconds !== undefined) this.o.stats.encoderCpuSeconds += seg.cpuSeconds;
    if (seg !== this.current) seg.duration ??= this.o.fileDuration(seg.file);
  }
}
