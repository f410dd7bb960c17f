// TURN for browsers: time-limited REST credentials for a coturn run with `use-auth-secret` (the TURN REST API draft,
// draft-uberti-behave-turn-rest). Each connection gets its own username `<expiry in Unix seconds>:<random id>`, and
// as password base64(HMAC-SHA1(secret, username)); coturn recomputes it from the shared secret and refuses it after
// the expiry. The secret itself stays in this process: neither OpenVidu nor any browser sees it.
import { createHmac, randomBytes } from 'node:crypto';

/** One entry of OpenVidu's `customIceServers` (CE 2.32's IceServerProperties: `url`, `username`, `credential`). */
export interface IceServer {
  url: string;
  username: string;
  credential: string;
}

/** coturn's password for a REST username: base64(HMAC-SHA1(secret, username)). */
export function turnCredential(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/**
 * coturn's REST username: the expiry first (coturn reads the number before the separator, `:` by default), then an
 * id of this connection only: random, never a name a user chose (it shows in coturn's logs and its quota counts).
 */
export function turnUsername(expiresAt: number, id: string): string {
  return `${expiresAt}:${id}`;
}

export interface TurnCredentialsOptions {
  /** TURN URLs as OpenVidu accepts them: `turn:host:3478?transport=udp`, `turn:host:3478?transport=tcp`, `turns:host:5349`. */
  urls: string[];
  /** coturn's `static-auth-secret`. */
  secret: string;
  /** How long a credential is valid, seconds: as long as the longest meeting, since a browser may need TURN again on an ICE restart. */
  seconds: number;
  /** Clock (ms), for tests. */
  now?: () => number;
}

export class TurnCredentials {
  readonly #secret: string;
  readonly #urls: readonly string[];
  readonly #seconds: number;
  readonly #now: () => number;

  constructor(opts: TurnCredentialsOptions) {
    if (!opts.urls.length || !opts.secret) throw new Error('TurnCredentials needs TURN URLs and a secret');
    this.#urls = [...opts.urls];
    this.#secret = opts.secret;
    this.#seconds = opts.seconds;
    this.#now = opts.now ?? Date.now;
  }

  /** The ICE servers of one new connection: every TURN URL with one fresh username and its credential. */
  forConnection(): IceServer[] {
    const expiresAt = Math.floor(this.#now() / 1000) + this.#seconds;
    const username = turnUsername(expiresAt, randomBytes(12).toString('base64url'));
    const credential = turnCredential(this.#secret, username);
    return this.#urls.map((url) => ({ url, username, credential }));
  }

  /** Never the secret, whatever serializes this object (a log line, an error's details). */
  toJSON() {
    return { urls: this.#urls, seconds: this.#seconds };
  }
}
