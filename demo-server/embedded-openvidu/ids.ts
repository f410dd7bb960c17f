import { randomBytes } from 'node:crypto';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = UPPER + 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * `n` characters of `alphabet`, uniformly. One draw of random bytes per id, not one call per character (ids are
 * made for every token); bytes at or above the largest multiple of the alphabet's size are skipped, so no
 * character is likelier than another.
 */
function pick(alphabet: string, n: number): string {
  const limit = 256 - (256 % alphabet.length);
  let s = '';
  while (s.length < n) {
    for (const b of randomBytes(n - s.length + 4)) {
      if (b >= limit) continue;
      s += alphabet[b % alphabet.length];
      if (s.length === n) break;
    }
  }
  return s;
}

/** OpenVidu's id shapes: a prefix, one upper-case letter, then alphanumerics (protocol §4.5). */
const id = (prefix: string, n: number) => `${prefix}${pick(UPPER, 1)}${pick(ALNUM, n)}`;

export const newSessionId = () => id('ses_', 9);
export const newConnectionId = () => id('con_', 9);
export const newTokenId = () => id('tok_', 15);

const VIDEO_TYPE_PREFIX: Record<string, string> = { CAMERA: 'CAM', SCREEN: 'SCR', CUSTOM: 'CUS', IPCAM: 'IPC' };

/** `str_CAM_Ab1c_con_X…`: the connection id stays the suffix, as OpenVidu recovers it from there. */
export function newStreamId(connectionId: string, typeOfVideo: string | undefined, hasVideo: boolean): string {
  const kind = hasVideo ? (VIDEO_TYPE_PREFIX[typeOfVideo ?? 'CAMERA'] ?? 'CAM') : 'MIC';
  return `str_${kind}_${id('', 3)}_${connectionId}`;
}

/** Opaque per-WebSocket JSON-RPC session id (Kurento uses 26 base-32 characters). */
export function newRpcSessionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(26);
  let s = '';
  for (const b of bytes) s += alphabet[b & 31];
  return s;
}

export const SESSION_ID_RE = /^[a-zA-Z0-9_-]+$/;
export const RECORDING_NAME_RE = /^[a-zA-Z0-9_\-~]+$/;
/** Recording ids are session ids with an optional `~N` suffix: never a path. */
export const RECORDING_ID_RE = /^[a-zA-Z0-9_-]+(~[0-9]+)?$/;
