// The one mapping from an OpenVidu recording to the API's clip, whether the recording came from the REST API (the
// node client's `Recording`) or from a `recordingStatusChanged` webhook: both give the same clip for the same state.
import type { Recording } from 'openvidu-node-client';
import { CLIP_NAME_MAX, type Clip } from '../schemas/clips.js';

/** What the server reads of a recording, from either source. */
export interface RecordingFacts {
  id: string;
  sessionId: string;
  /** The OpenVidu recording name (`clip~<base64url>` for a display name). */
  name?: string;
  /** OpenVidu's status: starting, started, stopped, ready, failed. */
  status: string;
  /** Start time, ms since the epoch (REST `createdAt`, webhook `startTime`). */
  createdAt: number;
  duration?: number;
  size?: number;
  hasAudio?: boolean;
  hasVideo?: boolean;
  /** The file's URL (REST only): the embedded server names a recovered file `<name>.recovered.<ext>`. */
  url?: string | null;
  /** The embedded server's webhook says so outright. */
  recovered?: boolean;
}

const STATUS: Record<string, Clip['status']> = { starting: 'recording', started: 'recording', stopped: 'processing', ready: 'ready', failed: 'failed' };

/** The clip status for an OpenVidu recording status, or undefined for one OpenVidu does not define. */
export function clipStatusOf(status: string): Clip['status'] | undefined {
  return Object.hasOwn(STATUS, status) ? STATUS[status] : undefined;
}

/** Clip display names live in the OpenVidu recording name, which only allows [A-Za-z0-9_-~]. */
const NAME_PREFIX = 'clip~';

export function encodeClipName(display: string): string {
  return NAME_PREFIX + Buffer.from(display, 'utf8').toString('base64url');
}

export function decodeClipName(recordingName: string | undefined, id: string): string {
  if (recordingName?.startsWith(NAME_PREFIX)) {
    try {
      return Buffer.from(recordingName.slice(NAME_PREFIX.length), 'base64url').toString('utf8');
    } catch {
      /* fall through */
    }
  }
  return recordingName && recordingName !== id ? recordingName : '';
}

/** Why a clip name was refused (the message is for the person who typed it). */
export class ClipNameError extends Error {}

/**
 * A display name as stored: trimmed, NFC, 1 to CLIP_NAME_MAX characters (code points), no control characters and no
 * bidirectional embedding, override or isolate characters (which could make a name display as another).
 */
export function normalizeClipName(raw: unknown): string {
  if (typeof raw !== 'string') throw new ClipNameError('The name must be text');
  if (/\p{Cs}/u.test(raw)) throw new ClipNameError('The name is not valid Unicode text'); // a lone surrogate
  const name = raw.trim().normalize('NFC');
  if (/\p{Cc}/u.test(name)) throw new ClipNameError('The name must not contain control characters (line breaks, tabs…)');
  if (/[\u202A-\u202E\u2066-\u2069]/u.test(name))
    throw new ClipNameError('The name must not contain bidirectional embedding, override or isolate characters (U+202A–U+202E, U+2066–U+2069)');
  const length = [...name].length;
  if (length === 0) throw new ClipNameError('The name must not be empty');
  if (length > CLIP_NAME_MAX) throw new ClipNameError(`The name must be at most ${CLIP_NAME_MAX} characters (it has ${length})`);
  return name;
}

/** The facts of a node-client `Recording` (REST). */
export function factsOfRecording(r: Recording): RecordingFacts {
  return {
    id: r.id,
    sessionId: r.sessionId,
    name: r.properties?.name,
    status: r.status,
    createdAt: r.createdAt,
    duration: r.duration,
    size: r.size,
    hasAudio: r.properties?.hasAudio,
    hasVideo: r.properties?.hasVideo,
    url: r.url,
  };
}

/**
 * The clip for a recording; its media and thumbnail URLs are under `apiBase` (where the server's routes live). An
 * unknown status (none today) reads as `recording`, the only one that promises nothing.
 */
export function recordingToClip(r: RecordingFacts, apiBase: string): Clip {
  const status = clipStatusOf(r.status) ?? 'recording';
  const id = encodeURIComponent(r.id);
  const clip: Clip = {
    id: r.id,
    sessionId: r.sessionId,
    name: decodeClipName(r.name, r.id),
    status,
    createdAt: r.createdAt,
    duration: r.duration ?? 0,
    size: r.size ?? 0,
    hasAudio: r.hasAudio ?? true,
    hasVideo: r.hasVideo ?? true,
    mediaUrl: `${apiBase}/clips/${id}/media`,
    thumbnailUrl: `${apiBase}/clips/${id}/thumbnail`,
  };
  if (status === 'failed') clip.error = 'The clip could not be processed';
  if (status === 'ready' && (r.recovered === true || (!!r.url && /\.recovered\.[a-z0-9]+$/i.test(r.url)))) clip.recovered = true;
  return clip;
}
