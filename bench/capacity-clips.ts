// The capacity bench's clips: stopped at the end of a ramp, awaited until ready, and checked for what a recorder
// that cannot keep up would lose: the clip's length against the time it was recording, and the video frames it holds
// per second of it (the clip settings ask for CLIP_FRAME_RATE, 25 by default).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveFfprobePath } from '../demo-server/embedded-openvidu/recording/ffmpeg.js';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 120_000;

export interface ClipCheck {
  status: string;
  /** Clip duration ÷ the wall time between its start and stop request. */
  lengthRatio: number;
  /** Video frames in the file ÷ its duration. */
  fps: number;
}

interface ClipJson {
  status: string;
  duration: number;
  mediaUrl: string;
}

async function get(base: string, id: string): Promise<ClipJson> {
  const res = await fetch(`${base}/api/clips/${encodeURIComponent(id)}`);
  if (!res.ok) throw new Error(`clip ${id} → ${res.status}`);
  return (await res.json()) as ClipJson;
}

export async function stopClip(base: string, id: string): Promise<number> {
  await fetch(`${base}/api/clips/${encodeURIComponent(id)}/stop`, { method: 'POST' });
  return Date.now();
}

/** Waits for the clip to end ready or failed, then counts its video frames (packets: no decoding). */
export async function checkClip(base: string, id: string, startedAt: number, stoppedAt: number): Promise<ClipCheck> {
  let clip = await get(base, id);
  for (const end = Date.now() + READY_TIMEOUT_MS; clip.status !== 'ready' && clip.status !== 'failed' && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 200));
    clip = await get(base, id);
  }
  if (clip.status !== 'ready' || !clip.duration) return { status: clip.status, lengthRatio: 0, fps: 0 };
  const url = new URL(clip.mediaUrl, base).href;
  const args = ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', url];
  const { stdout } = await run(resolveFfprobePath(process.env.FFPROBE_PATH), args, { timeout: 60_000 });
  return { status: clip.status, lengthRatio: clip.duration / ((stoppedAt - startedAt) / 1000), fps: Number(stdout.trim()) / clip.duration };
}
