// Share links: `/watch/<clipId>?exp=<unix s>&sig=<base64url>`. The signature is an HMAC-SHA256, under the server's
// share key, of (version, clip id, expiry, the clip's share salt). The salt lives in the clip metadata store: a new
// salt revokes every link of the clip at once; the clip id and expiry cannot be changed without the key.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type Config } from '../config.js';
import type { Services } from '../app.js';
import { ApiError } from '../errors.js';
import type { Clip } from '../schemas/clips.js';

/** Bytes of a signature (HMAC-SHA256), and its length in base64url without padding. */
const SIG_BYTES = 32;
export const SHARE_SIG_LENGTH = 43;
/**
 * A signature as it appears in a link: 43 base64url characters, the last one with its 2 unused bits zero, so each
 * signature has exactly one spelling (Node's decoder would accept the other three).
 */
export const SHARE_SIG_PATTERN = `^[A-Za-z0-9_-]{${SHARE_SIG_LENGTH - 1}}[AEIMQUYcgkosw048]$`;
/** An expiry as it appears in a link: unix seconds in decimal, no sign, no leading zero, no exponent. */
export const SHARE_EXP_PATTERN = '^[1-9][0-9]{0,11}$';
/** What the key file holds: 32 random bytes in base64url (a trailing newline is allowed). */
const KEY_FILE_RE = /^([A-Za-z0-9_-]{42}[AEIMQUYcgkosw048])\n?$/;
const SIG_RE = new RegExp(SHARE_SIG_PATTERN);
const VERSION = 1;
const MAX_EXP = 1e12;

/** Every key derived for this one use, so a secret given in SHARE_KEYS is never used as is for anything else. */
const deriveKey = (secret: Buffer | string) => Buffer.from(hkdfSync('sha256', secret, '', 'ov-live-elements share-link v1', 32));

export class ShareKeyRing {
  readonly #keys: Buffer[];

  /** `secrets`: the first signs, every one verifies (rotation: put the new key first, keep the old one second). */
  constructor(secrets: ReadonlyArray<Buffer | string>) {
    if (!secrets.length) throw new Error('ShareKeyRing needs at least one key');
    this.#keys = secrets.map(deriveKey);
  }

  get size() {
    return this.#keys.length;
  }

  #mac(key: Buffer, clipId: string, exp: number, salt: string): Buffer {
    // A JSON array: unambiguous whatever the fields hold (no separator a field could contain).
    return createHmac('sha256', key)
      .update(JSON.stringify(['ov-share', VERSION, clipId, exp, salt]))
      .digest();
  }

  /** The link signature of `clipId` until `exp` (unix seconds) under `salt`, base64url. */
  sign(clipId: string, exp: number, salt: string): string {
    if (!Number.isSafeInteger(exp) || exp <= 0 || exp >= MAX_EXP) throw new RangeError(`bad expiry ${exp}`);
    return this.#mac(this.#keys[0], clipId, exp, salt).toString('base64url');
  }

  /** Whether `sig` signs (clipId, exp, salt) under any key. Malformed input is refused before any HMAC is computed. */
  verify(clipId: string, exp: number, salt: string, sig: string): boolean {
    if (typeof sig !== 'string' || !SIG_RE.test(sig)) return false;
    if (!Number.isSafeInteger(exp) || exp <= 0 || exp >= MAX_EXP) return false;
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== SIG_BYTES) return false;
    let ok = false;
    // Every key is tried (no early exit), each compared in constant time on equal-length buffers.
    for (const key of this.#keys) ok = timingSafeEqual(given, this.#mac(key, clipId, exp, salt)) || ok;
    return ok;
  }
}

/**
 * The key kept in `file`, made at first start: 32 random bytes, mode 0600. Created under a temporary name and
 * linked into place (fails if the file appeared meanwhile: never overwritten), so two servers starting on one data
 * folder end up with the same key. An unreadable or malformed file stops the server: a new key would silently
 * break every link made so far.
 */
export async function loadOrCreateKeyFile(file: string): Promise<Buffer> {
  const existing = await readKeyFile(file);
  if (existing) return existing;
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(`${randomBytes(SIG_BYTES).toString('base64url')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => {});
  }
  const key = await readKeyFile(file);
  if (!key) throw new ConfigError(`The share-link key file ${file} vanished while it was being created`);
  return key;
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ConfigError(
      `The share-link key file ${file} cannot be read (${code ?? (err as Error).message}): give the server access to it, or set SHARE_KEYS`,
    );
  }
  const m = KEY_FILE_RE.exec(text);
  if (!m)
    throw new ConfigError(
      `The share-link key file ${file} is malformed (expected 43 base64url characters): restore it, set SHARE_KEYS, ` +
        'or delete it to make a new key (every share link made so far then stops working)',
    );
  return Buffer.from(m[1], 'base64url');
}

/** The key ring of a configuration: SHARE_KEYS, or the key file in the data folder. */
export async function loadShareKeyRing(config: Pick<Config, 'shareKeys' | 'dataDir'>): Promise<ShareKeyRing> {
  if (config.shareKeys.length) return new ShareKeyRing(config.shareKeys);
  return new ShareKeyRing([await loadOrCreateKeyFile(path.join(config.dataDir, 'share-key'))]);
}

const rings = new WeakMap<Services, Promise<ShareKeyRing>>();
/** One key ring per app (the share and watch routes both use it; the key file is read once). */
export function shareKeyRing(services: Services): Promise<ShareKeyRing> {
  let ring = rings.get(services);
  if (!ring) rings.set(services, (ring = loadShareKeyRing(services.config)));
  return ring;
}

/** The query of a share link. */
export function shareQuery(exp: number, sig: string): string {
  return `exp=${exp}&sig=${sig}`;
}

/** Why a share link does not open its clip (the watch routes answer 404, 403, 403 and 409). */
export type ShareRefusal = 'gone' | 'invalid' | 'expired' | 'not-ready';

/**
 * The clip a share link opens, with its metadata applied, or why not. In this order: no metadata (a deleted clip,
 * or one never shared), a bad signature, an expired link (only said of a genuine one), the clip gone from OpenVidu
 * or replaced by a later recording with the same id, not ready. Forged links cost an HMAC per key and no call to
 * OpenVidu. Failures to reach OpenVidu are thrown (503).
 */
export async function openShareLink(
  services: Pick<Services, 'clipMeta' | 'gateway'>,
  ring: ShareKeyRing,
  link: { clipId: string; exp: number; sig: string },
  now: number,
): Promise<{ clip: Clip } | { refused: ShareRefusal }> {
  const meta = services.clipMeta.get(link.clipId);
  if (!meta) return { refused: 'gone' };
  const salt = meta.shareSalt;
  if (!salt || !ring.verify(link.clipId, link.exp, salt, link.sig)) return { refused: 'invalid' };
  if (link.exp * 1000 <= now) return { refused: 'expired' };
  let clip: Clip;
  try {
    clip = await services.gateway.getClip(link.clipId);
  } catch (err) {
    if (err instanceof ApiError && err.statusCode === 404) return { refused: 'gone' };
    throw err;
  }
  // The metadata may be that of a deleted clip whose id a later recording took: its links never open the new one.
  if ((await services.clipMeta.shareSalt(clip, false)) !== salt) return { refused: 'gone' };
  if (clip.status !== 'ready') return { refused: 'not-ready' };
  return { clip: services.clipMeta.apply(clip) };
}
