// TLS_CERT / TLS_KEY: a real certificate (e.g. certbot's fullchain.pem and privkey.pem), checked at start and
// reloaded when the files change, without a restart. certbot renews by writing new files under archive/ and swapping
// the symlinks in live/: both are seen (a directory watch where the platform has one, and a stat poll everywhere).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import tls, { type SecureContext } from 'node:tls';

export interface CertificateFiles {
  /** The certificate chain (PEM, the server's certificate first): certbot's fullchain.pem. */
  cert: string;
  /** Its private key (PEM): certbot's privkey.pem. */
  key: string;
}

export interface LoadedCertificate {
  cert: string;
  key: string;
  /** The DNS names and addresses it covers (subjectAltName). */
  names: string[];
  validTo: Date;
  /** SHA-256 fingerprint of the server's certificate, `AB:CD:…`. */
  fingerprint256: string;
}

/** Why a certificate pair cannot be served, in one line naming the setting and the file. */
export class CertificateFileError extends Error {
  readonly code = 'TLS_CERT';
}

async function read(setting: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'EACCES' ? ": the server's user needs read access (certbot keeps privkey.pem readable by root only)" : '';
    throw new CertificateFileError(`${setting} ${file} cannot be read (${e.code ?? e.message})${hint}`);
  }
}

const oneLine = (err: unknown) => String((err as Error).message ?? err).split('\n')[0];

/**
 * Read and check a certificate and its key: both readable, a PEM certificate and a PEM private key, the key being
 * the certificate's, and the certificate valid now. Throws a {@link CertificateFileError} otherwise.
 */
export async function loadCertificateFiles(files: CertificateFiles, now = new Date()): Promise<LoadedCertificate> {
  const [cert, key] = await Promise.all([read('TLS_CERT', files.cert), read('TLS_KEY', files.key)]);
  let x509: X509Certificate;
  try {
    if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no "BEGIN CERTIFICATE" block');
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new CertificateFileError(`TLS_CERT ${files.cert} holds no PEM certificate (${oneLine(err)})`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new CertificateFileError(`TLS_KEY ${files.key} holds no PEM private key (${oneLine(err)})`);
  }
  if (!x509.checkPrivateKey(privateKey))
    throw new CertificateFileError(`TLS_KEY ${files.key} is not the key of TLS_CERT ${files.cert}: give the pair from the same renewal`);
  const validTo = new Date(x509.validTo);
  if (validTo.getTime() <= now.getTime()) throw new CertificateFileError(`TLS_CERT ${files.cert} expired on ${validTo.toISOString()}: renew it`);
  if (new Date(x509.validFrom).getTime() > now.getTime())
    throw new CertificateFileError(`TLS_CERT ${files.cert} is not valid before ${new Date(x509.validFrom).toISOString()}`);
  try {
    tls.createSecureContext({ cert, key }); // what the server will do: fails on what the checks above let through
  } catch (err) {
    throw new CertificateFileError(`TLS_CERT ${files.cert} and TLS_KEY ${files.key} cannot be served (${oneLine(err)})`);
  }
  const names = (x509.subjectAltName ?? '')
    .split(', ')
    .map((n) => n.replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
  return { cert, key, names, validTo, fingerprint256: x509.fingerprint256 };
}

/** What the HTTPS server serves, and the certificate swapped in on renewal. */
export interface ServedCertificate {
  /** Options for `http2.createSecureServer` (Fastify's `https`). */
  readonly https: { key: string; cert: string; allowHTTP1: true; SNICallback: NonNullable<tls.TlsOptions['SNICallback']> };
  current(): LoadedCertificate;
  /** Serve `next` to every new connection (those open keep theirs). */
  use(next: LoadedCertificate): void;
}

/**
 * Serve `real` to every connection that names a host (SNI: every browser), and `unnamed` (this machine's self-signed
 * certificate, valid for its addresses) to those that name none: connections to an IP address, as OpenVidu's webhook to
 * `https://127.0.0.1:PORT`, which checks it against that certificate (NODE_EXTRA_CA_CERTS) and could never match the
 * real one. `localhost` gets the self-signed one too.
 */
export function serveCertificate(real: LoadedCertificate, unnamed: { key: string; cert: string }): ServedCertificate {
  let current = real;
  let context: SecureContext = tls.createSecureContext({ key: real.key, cert: real.cert });
  const local = tls.createSecureContext({ key: unnamed.key, cert: unnamed.cert });
  return {
    https: {
      key: unnamed.key,
      cert: unnamed.cert,
      allowHTTP1: true,
      SNICallback: (servername, cb) => cb(null, servername.toLowerCase() === 'localhost' ? local : context),
    },
    current: () => current,
    use(next) {
      context = tls.createSecureContext({ key: next.key, cert: next.cert });
      current = next;
    },
  };
}

export interface CertificateLog {
  info(msg: string): void;
  error(msg: string): void;
}

export interface WatchOptions {
  /** Stat poll of both files (follows symlinks); also the safety net where directory watches miss a change. */
  intervalMs?: number;
  /** Changes within this delay are read once (certbot swaps the certificate and the key one after the other). */
  debounceMs?: number;
  /** A pair that fails is read again once after this delay before it is reported (the swap may be half done). */
  retryMs?: number;
  /** Watch the files' directories too (default); the poll alone sees a change within `intervalMs`. */
  watchDirectories?: boolean;
}

/**
 * Reload the certificate when its files change (the files, their symlinks or their directories); a pair that reads
 * and checks is served to new connections, one that does not is logged and the one served is kept.
 */
export function watchCertificate(
  served: Pick<ServedCertificate, 'current' | 'use'>,
  files: CertificateFiles,
  log: CertificateLog,
  opts: WatchOptions = {},
): { close(): void; reload(): Promise<void> } {
  const { intervalMs = 10_000, debounceMs = 500, retryMs = 3000, watchDirectories = true } = opts;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let lastError: string | undefined;

  const attempt = async (retried: boolean): Promise<void> => {
    if (closed) return;
    try {
      const next = await loadCertificateFiles(files);
      lastError = undefined;
      if (next.fingerprint256 === served.current().fingerprint256 && next.key === served.current().key) return;
      served.use(next);
      log.info(`TLS certificate reloaded: ${next.names.join(', ')} valid until ${next.validTo.toISOString()} (${next.fingerprint256.slice(0, 23)}…)`);
    } catch (err) {
      const msg = (err as Error).message;
      if (!retried) {
        schedule(retryMs, true);
        return;
      }
      if (msg === lastError) return; // the same failure seen by the poll again: said once
      lastError = msg;
      log.error(`TLS certificate not reloaded, the previous one is still served: ${msg}`);
    }
  };
  const schedule = (delay: number, retried = false) => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(() => attempt(retried));
    }, delay);
  };
  const changed = () => schedule(debounceMs);

  const paths = [...new Set([files.cert, files.key])];
  for (const p of paths) fs.watchFile(p, { interval: intervalMs, persistent: false }, changed);
  const watchers: fs.FSWatcher[] = [];
  // The directories of the files as named (certbot's live/, where the symlinks are swapped) and of their targets.
  const dirs = new Set(paths.map((p) => path.dirname(p)));
  for (const p of paths) {
    try {
      dirs.add(path.dirname(fs.realpathSync(p)));
    } catch {
      // unreadable now: the poll sees it come back
    }
  }
  for (const dir of watchDirectories ? dirs : []) {
    try {
      const w = fs.watch(dir, { persistent: false }, changed);
      w.on('error', () => w.close()); // the directory went: the poll remains
      watchers.push(w);
    } catch {
      // no directory watch on this platform or file system: the poll remains
    }
  }
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const p of paths) fs.unwatchFile(p, changed);
      for (const w of watchers) w.close();
    },
    /** Read the files now (as a change would); resolves once done. */
    async reload() {
      await running;
      await attempt(true);
    },
  };
}
