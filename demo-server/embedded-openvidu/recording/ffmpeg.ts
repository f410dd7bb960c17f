import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { processEnded, processStarted } from './processes.js';

const require = createRequire(import.meta.url);

/** The ffmpeg binary: the caller's choice (e.g. `FFMPEG_PATH`), else the static build from `@ffmpeg-installer/ffmpeg`. */
export function resolveFfmpegPath(explicit?: string): string {
  if (explicit) return explicit;
  return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

/** The ffprobe binary: the caller's choice (e.g. `FFPROBE_PATH`), else `@ffprobe-installer/ffprobe`. */
export function resolveFfprobePath(explicit?: string): string {
  if (explicit) return explicit;
  return (require('@ffprobe-installer/ffprobe') as { path: string }).path;
}

// Every child started here is killed if this process exits, so a crash never leaves an encoder running: at a
// clean exit by the hook below, at any other death by the watchdog of processes.ts.
const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/** `spawn` that registers the child for clean-up at process exit, with the watchdog and in the folder's pid file. */
export function spawnTracked(bin: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
  }
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  const pid = child.pid;
  if (pid) processStarted(pid, args);
  const ended = () => {
    children.delete(child);
    if (pid) processEnded(pid);
  };
  child.once('exit', ended);
  child.once('error', ended);
  return child;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a tool to completion, killing it after `timeoutMs`. Rejects only if it cannot be started or times out. */
export function runTool(bin: string, args: string[], timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(bin, args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${bin} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The telling lines of a tool's stderr for an error message: error-looking lines if any, else the last ones. */
export function stderrTail(stderr: string, lines = 4): string {
  const all = stderr
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = all.filter((l) => /error|fail|invalid|cannot|could not|no such|denied|unable/i.test(l));
  return (errors.length ? errors : all).slice(-lines).join(' | ') || '(no output)';
}

export interface ProbeStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  duration?: number;
  start_time?: number;
  sample_rate?: number;
  channels?: number;
}

export interface ProbeResult {
  /** Seconds (container duration). */
  duration: number;
  size: number;
  streams: ProbeStream[];
}

/** ffprobe a media file (JSON output). */
export async function probe(file: string, opts: { ffprobePath?: string; timeoutMs?: number } = {}): Promise<ProbeResult> {
  const r = await runTool(
    resolveFfprobePath(opts.ffprobePath),
    [
      '-v',
      'error',
      '-show_entries',
      'format=duration,size:stream=codec_type,codec_name,width,height,pix_fmt,start_time,duration,sample_rate,channels',
      '-of',
      'json',
      file,
    ],
    opts.timeoutMs ?? 20_000,
  );
  if (r.code !== 0) throw new Error(`ffprobe ${file} failed: ${stderrTail(r.stderr)}`);
  const j = JSON.parse(r.stdout) as {
    format?: { duration?: string; size?: string };
    streams?: Array<Record<string, string | number | undefined>>;
  };
  const num = (v: unknown) => (v === undefined || v === 'N/A' ? undefined : Number(v));
  return {
    duration: num(j.format?.duration) ?? 0,
    size: num(j.format?.size) ?? 0,
    streams: (j.streams ?? []).map((s) => ({
      codec_type: String(s.codec_type),
      codec_name: String(s.codec_name),
      width: num(s.width),
      height: num(s.height),
      pix_fmt: s.pix_fmt === undefined ? undefined : String(s.pix_fmt),
      duration: num(s.duration),
      start_time: num(s.start_time),
      sample_rate: num(s.sample_rate),
      channels: num(s.channels),
    })),
  };
}

/** Write a JPEG of the frame at `atSeconds` (input seek: decodes from the keyframe before it only). */
export async function makeThumbnail(input: string, output: string, atSeconds: number, opts: { ffmpegPath?: string; timeoutMs?: number } = {}): Promise<void> {
  const at = Math.max(0, atSeconds).toFixed(3);
  const r = await runTool(
    resolveFfmpegPath(opts.ffmpegPath),
    ['-hide_banner', '-v', 'error', '-y', '-ss', at, '-i', input, '-frames:v', '1', '-q:v', '3', '-f', 'image2', output],
    opts.timeoutMs ?? 20_000,
  );
  if (r.code !== 0) throw new Error(`thumbnail of ${input} failed: ${stderrTail(r.stderr)}`);
}
