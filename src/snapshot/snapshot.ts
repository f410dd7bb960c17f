import { OvError, toOvError } from '../errors.js';
import { fetchJson } from '../http.js';
import type { Snapshot, SnapshotFormat } from '../types.js';

export interface FrameOptions {
  format?: SnapshotFormat;
  /** 0–1 for JPEG/WebP. Default 0.92. */
  quality?: number;
  /** Give up waiting for a first frame after this long. Default 5000 ms. */
  timeoutMs?: number;
}

type FrameVideo = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: () => void) => number;
  cancelVideoFrameCallback?: (handle: number) => void;
};

/** Resolves once the video has a decoded frame with known dimensions. */
function waitForFrame(video: FrameVideo, timeoutMs: number): Promise<void> {
  if (video.readyState >= 2 && video.videoWidth > 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let handle: number | undefined;
    const done = (err?: Error) => {
      clearTimeout(timer);
      video.removeEventListener('loadeddata', check);
      video.removeEventListener('resize', check);
      if (handle !== undefined) video.cancelVideoFrameCallback?.(handle);
      if (err) reject(err);
      else resolve();
    };
    const check = () => {
      if (video.readyState >= 2 && video.videoWidth > 0) done();
    };
    const timer = setTimeout(() => done(new OvError('SNAPSHOT_FAILED', 'The video has no frame to capture yet')), timeoutMs);
    if (video.requestVideoFrameCallback) {
      const onFrame = () => {
        if (video.videoWidth > 0) done();
        else handle = video.requestVideoFrameCallback!(onFrame);
      };
      handle = video.requestVideoFrameCallback(onFrame);
    }
    video.addEventListener('loadeddata', check);
    video.addEventListener('resize', check);
  });
}

function toBlob(canvas: HTMLCanvasElement, format: SnapshotFormat, quality: number): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new OvError('SNAPSHOT_FAILED', 'The frame could not be encoded'))), format, quality),
  );
}

/**
 * Captures the current frame of a `<video>` or a MediaStream at the video's native resolution (`videoWidth` ×
 * `videoHeight`, not its CSS size), waiting for a first frame if needed.
 */
export async function captureFrame(source: HTMLVideoElement | MediaStream, options: FrameOptions = {}): Promise<Blob> {
  const format = options.format ?? 'image/jpeg';
  const quality = options.quality ?? 0.92;
  const timeoutMs = options.timeoutMs ?? 5000;
  let video: FrameVideo;
  let detached: HTMLVideoElement | undefined;
  try {
    if (source instanceof MediaStream) {
      if (!source.getVideoTracks().some((t) => t.readyState === 'live')) throw new OvError('SNAPSHOT_FAILED', 'The stream has no live video track');
      // A detached, muted video: plays without a user gesture and without being in the page.
      detached = document.createElement('video');
      detached.muted = true;
      detached.playsInline = true;
      detached.srcObject = source;
      void detached.play().catch(() => undefined);
      video = detached;
    } else {
      video = source;
    }
    await waitForFrame(video, timeoutMs);
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new OvError('SNAPSHOT_FAILED', 'No 2D canvas context');
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    const blob = await toBlob(canvas, format, quality);
    // Chromium falls back to PNG for a type it cannot encode: say so rather than upload the wrong thing.
    if (blob.type !== format) throw new OvError('SNAPSHOT_FAILED', `This browser cannot encode ${format}`);
    return blob;
  } catch (err) {
    throw toOvError(err, 'SNAPSHOT_FAILED');
  } finally {
    if (detached) {
      detached.pause();
      detached.srcObject = null;
    }
  }
}

export interface UploadOptions {
  name?: string;
  streamId?: string;
  signal?: AbortSignal;
  /** An access pass, sent as `Authorization: Bearer <access>`. */
  access?: string;
}

/** POSTs the image bytes to `${api}/sessions/:session/snapshots`; the server answers the stored Snapshot (with its size). */
export async function uploadSnapshot(api: string, session: string, blob: Blob, options: UploadOptions = {}): Promise<Snapshot> {
  const query = new URLSearchParams();
  if (options.name) query.set('name', options.name);
  if (options.streamId) query.set('streamId', options.streamId);
  const qs = query.toString();
  const url = `${api.replace(/\/$/, '')}/sessions/${encodeURIComponent(session)}/snapshots${qs ? `?${qs}` : ''}`;
  return fetchJson(
    url,
    { method: 'POST', body: blob, headers: { 'content-type': blob.type || 'application/octet-stream' }, signal: options.signal },
    { code: 'SNAPSHOT_FAILED', network: 'SNAPSHOT_FAILED', forbidden: 'SNAPSHOT_FAILED', what: `the snapshots endpoint ${url}`, access: options.access },
    (b) => ((b as Snapshot | undefined)?.id ? (b as Snapshot) : undefined),
  );
}
