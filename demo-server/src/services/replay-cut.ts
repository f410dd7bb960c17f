// Cutting clips out of a replay buffer's segments: the concat demuxer joins the parts (stream copy, no re-encoding),
// the first one from a keyframe; a thumbnail is taken beside it. Each ffmpeg/ffprobe child is bounded in time and
// killed when the service closes (`children`).
import { writeFile } from 'node:fs/promises';
import { removeFile } from './atomic-file.js';
import { copyToMp4, ffmpegPath, ffprobePath, listKeyframes, runTool, type ToolOptions } from './clip-cutter.js';
import { concatList, type CutPlan } from './replay-segments.js';

/** Keyframes and duration of a downloaded segment (its packet index only: nothing decoded). */
export async function probeSegment(file: string, opts: ToolOptions): Promise<{ duration: number; keyframes: number[] }> {
  const { keyframes, duration } = await listKeyframes(file, opts);
  return { keyframes, duration: Number.isFinite(duration) ? duration : (keyframes.at(-1) ?? 0) };
}

/** A media file's duration, seconds (ffprobe's container duration). */
export async function probeDuration(file: string, opts: ToolOptions): Promise<number> {
  const out = await runTool(ffprobePath(opts.ffprobePath), ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], opts);
  const d = Number(out.trim());
  return Number.isFinite(d) ? d : NaN;
}

/**
 * Write the plan's media to `media` (MP4, faststart) and, in parallel, a JPEG of its first frame to `thumbnail`
 * (skipped with `hasVideo: false`; a failed thumbnail is reported, not thrown). Answers the media's duration as
 * ffprobe reads it (the plan's when it cannot). The concat list is written beside `media` and removed.
 */
export async function cutPlan(
  o: { plan: CutPlan; media: string; thumbnail?: string; hasVideo: boolean } & ToolOptions,
): Promise<{ duration: number; thumbnail: boolean }> {
  const list = `${o.media}.txt`;
  await writeFile(list, concatList(o.plan.parts));
  const first = o.plan.parts[0];
  try {
    const cut = runTool(
      ffmpegPath(o.ffmpegPath),
      ['-hide_banner', '-v', 'error', '-nostdin', '-y', '-f', 'concat', '-safe', '0', '-i', list, ...copyToMp4(o.media)],
      o,
    );
    // The frame the cut starts on: the first part's in point is a keyframe, decoded at once.
    const ss = (first.inpoint ?? 0).toFixed(6);
    const thumb =
      o.thumbnail && o.hasVideo
        ? runTool(
            ffmpegPath(o.ffmpegPath),
            ['-hide_banner', '-v', 'error', '-nostdin', '-y', '-ss', ss, '-i', first.file, '-frames:v', '1', '-q:v', '3', '-f', 'image2', o.thumbnail],
            o,
          ).then(
            () => true,
            () => false,
          )
        : Promise.resolve(false);
    const [, thumbnail] = await Promise.all([cut, thumb]);
    const probed = await probeDuration(o.media, o).catch(() => NaN);
    return { duration: Number.isFinite(probed) ? probed : o.plan.duration, thumbnail };
  } finally {
    await removeFile(list);
  }
}

/**
 * At most `max` cuts at once, then a queue of `maxQueued`; beyond, `busy()` is thrown. Stream copies are cheap, but a
 * crowd of clicks must not start a crowd of ffmpegs.
 */
export class CutSlots {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly maxQueued: number,
    private readonly busy: () => Error,
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.max) this.active++;
    else if (this.queue.length >= this.maxQueued) throw this.busy();
    else await new Promise<void>((resolve) => this.queue.push(resolve)); // the slot is handed over as it is
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}
