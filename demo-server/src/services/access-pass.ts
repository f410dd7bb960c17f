// Access passes: with BACKEND_SECRET, a trusted backend (e.g. a CMS plugin) asks for each token and says what its
// participant may do; the token comes with a pass, signed here, that the browser shows on its writes. The pass is
// an HMAC over room, camera connection, permissions and expiry: the browser can read it but not change it.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { ApiError } from '../errors.js';

/** What a pass may allow: recording and editing clips (and the replay buffer), or taking and deleting snapshots. */
export type Permission = 'clip' | 'snapshot';
export const PERMISSIONS: readonly Permission[] = ['clip', 'snapshot'];

export interface AccessClaims {
  /** The room the pass is for; writes on any other room are refused. */
  room: string;
  /** The camera connection the pass came with (for the host's logs and hooks; not checked on writes). */
  connectionId: string;
  permissions: Permission[];
  /** Expiry, ms since the epoch. */
  exp: number;
}

const VERSION = 'a1';
/** Room (64) + connection id + two permissions + expiry as base64url JSON, plus the signature: well under 512. */
export const ACCESS_PASS_MAX_LENGTH = 512;

/** Why a pass was refused: logged by the server, never sent to the client (it answers 403 OV_FORBIDDEN). */
export class AccessPassError extends ApiError {
  constructor(readonly reason: string) {
    super(403, 'OV_FORBIDDEN', 'You are not allowed to do this');
  }
}

export class AccessPasses {
  readonly #key: Buffer;
  readonly #ttlMs: number;
  readonly #now: () => number;

  /**
   * `secret`: BACKEND_SECRET. The key is derived from it (HKDF, its own label), so every instance of a scaled-out
   * server accepts the others' passes, and a pass is no screen grant.
   */
  constructor(opts: { secret: string; seconds?: number; now?: () => number }) {
    this.#key = Buffer.from(hkdfSync('sha256', opts.secret, 'ov-live-elements', 'access-pass v1', 32));
    this.#ttlMs = (opts.seconds ?? 12 * 3600) * 1000;
    this.#now = opts.now ?? Date.now;
  }

  #sign(payload: string): Buffer {
    return createHmac('sha256', this.#key).update(`${VERSION}.${payload}`).digest();
  }

  issue(c: { room: string; connectionId: string; permissions: readonly Permission[] }): string {
    const permissions = PERMISSIONS.filter((p) => c.permissions.includes(p)); // sorted, unique
    const claims = { r: c.room, c: c.connectionId, p: permissions, e: this.#now() + this.#ttlMs };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${VERSION}.${payload}.${this.#sign(payload).toString('base64url')}`;
  }

  /** The claims of a valid, unexpired pass; otherwise an AccessPassError saying why (for the log). */
  verify(pass: string): AccessClaims {
    if (pass.length > ACCESS_PASS_MAX_LENGTH) throw new AccessPassError('too long');
    const [version, payload, sig, ...rest] = pass.split('.');
    if (version !== VERSION || !payload || !sig || rest.length) throw new AccessPassError('malformed');
    const given = Buffer.from(sig, 'base64url');
    const want = this.#sign(payload);
    // Constant time; a wrong length is refused first (timingSafeEqual needs equal lengths, and leaks nothing then).
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw new AccessPassError('bad signature');
    let p: { r?: unknown; c?: unknown; p?: unknown; e?: unknown };
    try {
      p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw new AccessPassError('malformed');
    }
    if (
      typeof p.r !== 'string' ||
      typeof p.c !== 'string' ||
      typeof p.e !== 'number' ||
      !Array.isArray(p.p) ||
      !p.p.every((x) => PERMISSIONS.includes(x as Permission))
    )
      throw new AccessPassError('malformed');
    if (p.e <= this.#now()) throw new AccessPassError('expired');
    return { room: p.r, connectionId: p.c, permissions: p.p as Permission[], exp: p.e };
  }
}
