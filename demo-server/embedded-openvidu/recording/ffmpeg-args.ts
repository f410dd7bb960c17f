import type { EncodeSettings, StreamSpec } from './composed-types.js';
import { bestFitLayout, type Rect } from './layout.js';

/*
 * The ffmpeg command lines and SDP of the COMPOSED recorder: live segments (SDP input, xstack + amix), live blank
 * segments and fillers (lavfi black + silence), all encoded with the same settings so that concat can copy them.
 */

/** How often the crash-safe copy's clusters reach the disk: at most this much is lost to a crash. */
export const CRASH_CLUSTER_MS = 250;

/** The crash-safe Matroska copy written beside a segment file. */
export const crashCopyOf = (file: string): string => file.replace(/\.\w+$/, '.mkv');

/**
 * The MP4 video timescale of every piece of a recording. ffmpeg's MP4 muxer takes the encoder's time base
 * (1/frameRate with `-r`) and doubles it up to ≥ 10000: 12800 at 25 fps, for segments and fillers alike. A file
 * remuxed from Matroska (1/1000) would get 16000, and the concat demuxer copies each file's timestamps in the
 * first file's time base: a piece of another timescale is stretched or squeezed (frames 32 ms apart at 25 fps,
 * duplicate timestamps once decoded). Remuxes ask for this one.
 */
export function mp4VideoTimescale(frameRate: number): number {
  let scale = Math.max(1, Math.round(frameRate));
  while (scale < 10000) scale *= 2;
  return scale;
}

/** The SDP ffmpeg reads its RTP input from: one m-line per stream, on `ports[i]` (RTCP on the next port). */
export function sdpFor(host: string, streams: StreamSpec[], ports: number[]): string {
  const lines = ['v=0', `o=- 0 0 IN IP4 ${host}`, 's=openvidu-recording', `c=IN IP4 ${host}`, 't=0 0'];
  streams.forEach((s, i) => {
    const pt = s.codec.payloadType;
    const name = s.codec.mimeType.split('/')[1] ?? (s.kind === 'video' ? 'VP8' : 'opus');
    const channels = s.kind === 'audio' ? `/${s.codec.channels ?? 2}` : '';
    lines.push(`m=${s.kind} ${ports[i]} RTP/AVP ${pt}`, `a=rtpmap:${pt} ${name}/${s.codec.clockRate}${channels}`);
    if (/h264/i.test(name)) lines.push(`a=fmtp:${pt} packetization-mode=1`);
    lines.push('a=recvonly');
  });
  return lines.join('\r\n') + '\r\n';
}

export function encodeArgs(o: EncodeSettings): string[] {
  const a: string[] = [];
  if (o.hasVideo) {
    const fr = String(o.frameRate);
    // A keyframe every second: a trim (stream copy, cut at the keyframe at or before the in point) lands within a second.
    const gop = String(Math.max(1, Math.round(o.frameRate)));
    a.push('-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-r', fr, '-g', gop);
    // Same VUI for live and filler segments, so their H.264 headers match and concat can copy.
    a.push('-colorspace', 'smpte170m', '-color_primaries', 'smpte170m', '-color_trc', 'smpte170m', '-color_range', 'tv');
  }
  if (o.hasAudio) {
    if (o.hasVideo) a.push('-c:a', 'aac', '-b:a', '128k');
    else a.push('-c:a', 'libopus', '-b:a', '96k');
    a.push('-ar', '48000', '-ac', '2');
  }
  return a;
}

export function outputArgs(o: EncodeSettings, file: string, crashCopy: boolean): string[] {
  // Plain (not fragmented) MP4: its edit list hides the AAC priming, so video frames sit exactly on k/frameRate
  // from 0, which keeps the joined file's frames on one frame-rate grid (fragmented MP4 stretches the first frame
  // instead). A segment whose ffmpeg is killed is unreadable: the Matroska copy is what survives a crash.
  const format = o.ext === 'webm' ? 'webm' : 'mp4';
  if (!crashCopy || !o.crashCopy) return ['-f', format, file];
  // With the tee muxer ffmpeg cannot know what the outputs need: global headers as both formats want, and the
  // timestamps left for each output to shift as it would alone. The main file is then byte for byte the same.
  const esc = (f: string) => f.replace(/[\\'|]/g, '\\$&');
  const copy = `[f=matroska:onfail=ignore:cluster_time_limit=${CRASH_CLUSTER_MS}:flush_packets=1]${esc(crashCopyOf(file))}`;
  return ['-flags', '+global_header', '-avoid_negative_ts', 'disabled', '-f', 'tee', `[f=${format}]${esc(file)}|${copy}`];
}

/** Black + silence: in real time for a segment without publishers, or `seconds` long for a filler. */
export function blankArgs(o: EncodeSettings, file: string, seconds: number | undefined): string[] {
  const live = seconds === undefined;
  const a = ['-hide_banner', '-nostdin', '-nostats', '-y'];
  const input = (spec: string) => a.push(...(live ? ['-re'] : []), '-f', 'lavfi', '-i', spec);
  if (o.hasVideo) input(`color=c=black:s=${o.width}x${o.height}:r=${o.frameRate}`);
  if (o.hasAudio) input('anullsrc=r=48000:cl=stereo');
  if (o.hasVideo) a.push('-map', '0:v');
  if (o.hasAudio) a.push('-map', `${o.hasVideo ? 1 : 0}:a`);
  if (!live) a.push('-t', seconds.toFixed(3));
  return [...a, ...encodeArgs(o), ...outputArgs(o, file, live)];
}

export function rtpArgs(o: EncodeSettings, streams: StreamSpec[], sdpFile: string, file: string): string[] {
  const W = o.width;
  const H = o.height;
  const fr = o.frameRate;
  const graph: string[] = [];
  const videoIdx: number[] = [];
  const audioIdx: number[] = [];
  streams.forEach((s, i) => (s.kind === 'video' ? videoIdx : audioIdx).push(i));
  const maps: string[] = [];
  if (o.hasVideo) {
    if (videoIdx.length === 0) {
      graph.push(`color=c=black:s=${W}x${H}:r=${fr}[v]`);
    } else {
      const { tiles, fill, box } = bestFitLayout(videoIdx.length, W, H);
      const fit = (t: Rect, i: number, label: string) => {
        // Scale to fit the tile keeping the aspect ratio (even sizes), then centre on black.
        const r = (t.w / t.h).toFixed(6);
        const sw = `if(gt(a\\,${r})\\,${t.w}\\,2*trunc(${t.h}*a/2))`;
        const sh = `if(gt(a\\,${r})\\,2*trunc(${t.w}/a/2)\\,${t.h})`;
        graph.push(`[0:${i}]fps=${fr},scale=w='${sw}':h='${sh}',setsar=1,pad=${t.w}:${t.h}:(ow-iw)/2:(oh-ih)/2:black,format=yuv420p[${label}]`);
      };
      if (videoIdx.length === 1) {
        fit({ x: 0, y: 0, w: W, h: H }, videoIdx[0], 'v');
      } else {
        const inputs: string[] = [];
        const layout: string[] = [];
        videoIdx.forEach((idx, k) => {
          fit(tiles[k], idx, `t${k}`);
          inputs.push(`[t${k}]`);
          layout.push(`${tiles[k].x}_${tiles[k].y}`);
        });
        fill.forEach((f, k) => {
          graph.push(`color=c=black:s=${f.w}x${f.h}:r=${fr},format=yuv420p[f${k}]`);
          inputs.push(`[f${k}]`);
          layout.push(`${f.x}_${f.y}`);
        });
        const pad = box.w === W && box.h === H ? '' : `,pad=${W}:${H}:${box.x}:${box.y}:black`;
        graph.push(`${inputs.join('')}xstack=inputs=${inputs.length}:layout=${layout.join('|')}${pad}[v]`);
      }
    }
    maps.push('-map', '[v]');
  }
  if (o.hasAudio) {
    const fmt = 'aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo';
    if (audioIdx.length === 0) graph.push(`anullsrc=r=48000:cl=stereo[a]`);
    else if (audioIdx.length === 1) graph.push(`[0:${audioIdx[0]}]aresample=async=1000,${fmt}[a]`);
    else {
      audioIdx.forEach((idx, k) => graph.push(`[0:${idx}]aresample=async=1000,${fmt}[a${k}]`));
      // amix scales every input by 1/n; a browser mixing the tracks would sum them.
      const mix = `amix=inputs=${audioIdx.length}:duration=longest:dropout_transition=0,volume=${audioIdx.length}`;
      graph.push(`${audioIdx.map((_, k) => `[a${k}]`).join('')}${mix},${fmt}[a]`);
    }
    maps.push('-map', '[a]');
  }
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-y',
    '-protocol_whitelist',
    'file,udp,rtp',
    '-reorder_queue_size',
    '64',
    '-max_delay',
    '200000',
    // Short probing: ffmpeg writes nothing until it is done (a segment stopped while probing has no media), and
    // the keyframe gate makes video arrive within ~0.1 s anyway.
    '-analyzeduration',
    '300000',
    '-i',
    sdpFile,
    '-filter_complex',
    graph.join(';'),
    ...maps,
    ...encodeArgs(o),
    ...outputArgs(o, file, true),
  ];
}
