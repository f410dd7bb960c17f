// Screen grants: the server, not the client, links a screen-share connection to its owner. A publisher's camera
// token comes with a grant (an HMAC over room, connection and server-side name, with an expiry); the screen token is
// minted only against it, with server data `{name, role, screenOf}` that every participant receives and trusts.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiError } from '../errors.js';

export interface ScreenGrantClaims {
  sessionId: string;
  /** The owner's camera connection. */
  connectionId: string;
  /** The owner's name as the server set it in the camera connection's server data. */
  name: string;
}

/**
 * Long enough for a share late in a long meeting, short enough that a grant copied out of a page goes stale. The
 * real bound is the owner's connection: the token route also checks it is still active at every use.
 */
export const SCREEN_GRANT_TTL_MS = 12 * 3_600_000;
const VERSION = 'v1';
/** Room id (64) + connection id + name (100 UTF-16 units, up to 6 bytes each in JSON) in base64url: ~1 KB at most. */
export const SCREEN_GRANT_MAX_LENGTH = 2048;

const invalid = (why: string) => new ApiError(403, 'OV_SCREEN_GRANT_INVALID', `The screen grant is not valid: ${why}`);

export class ScreenGrants {
  readonly #key: Buffer;
  readonly #ttlMs: number;
  readonly #now: () => number;

  /**
   * `secret`: derive the key from it (the OpenVidu secret: every instance of a scaled-out server then accepts the
   * others' grants, and whoever knows it can mint any token anyway). Without one, a random key per process.
   */
  constructor(opts: { secret?: string; ttlMs?: number; now?: () => number } = {}) {
    this.#key = opts.secret ? Buffer.from(hkdfSync('sha256', opts.secret, 'ov-live-elements', 'screen-grant v1', 32)) : randomBytes(32);
    this.#ttlMs = opts.ttlMs ?? SCREEN_GRANT_TTL_MS;
    this.#now = opts.now ?? Date.now;
  }

  #sign(payload: string): Buffer {
    return createHmac('sha256', this.#key).update(`${VERSION}.${payload}`).digest();
  }

  issue(c: ScreenGrantClaims): string {
    const payload = Buffer.from(JSON.stringify({ s: c.sessionId, c: c.connectionId, n: c.name, e: this.#now() + this.#ttlMs })).toString('base64url');
    return `${VERSION}.${payload}.${this.#sign(payload).toString('base64url')}`;
  }

  /** The claims of a grant for `sessionId`, or an ApiError (403 `OV_SCREEN_GRANT_INVALID`) saying why not. */
  verify(grant: string, sessionId: string): ScreenGrantClaims {
    const [version, payload, sig, ...rest] = grant.split('.');
    if (version !== VERSION || !payload || !sig || rest.length) throw invalid('malformed');
    const given = Buffer.from(sig, 'base64url');
    const want = this.#sign(payload);
    // Compared in constant time; a wrong length is refused first (timingSafeEqual needs equal lengths).
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw invalid('bad signature');
    let p: { s?: unknown; c?: unknown; n?: unknown; e?: unknown };
    try {
      p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw invalid('malformed');
    }
    if (typeof p.s !== 'string' || typeof p.c !== 'string' || typeof p.n !== 'string' || typeof p.e !== 'number') throw invalid('malformed');
    if (p.e <= this.#now()) throw invalid('expired; join the room again to share the screen');
    if (p.s !== sessionId) throw invalid('it belongs to another room');
    return { sessionId: p.s, connectionId: p.c, name: p.n };
  }
}

/** Server data of a connection: JSON with every `%` escaped, so it never contains OpenVidu's `%/%` separator. */
export function serverData(data: Record<string, string>): string {
  return JSON.stringify(data).replace(/%/g, '\\u0025');
}
