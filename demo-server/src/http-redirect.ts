// HTTP_REDIRECT_PORT: plain HTTP (port 80) sends browsers to HTTPS, and answers ACME HTTP-01 challenges from a
// webroot, so `certbot certonly --webroot -w <DATA_DIR>/acme-challenge -d example.com` works while the server runs.
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import path from 'node:path';

export interface HttpRedirectOptions {
  /** The plain-HTTP port (0: a free one, for tests). */
  port: number;
  /** The address to listen on (HOST's). */
  host: string;
  /** The HTTPS port browsers are sent to (omitted from the URL when 443). */
  httpsPort: number;
  /** PUBLIC_URL: when set, every redirect goes to its host, whatever the request's Host says. */
  publicUrl?: string;
  /** certbot's webroot: challenges are read from `<acmeWebroot>/.well-known/acme-challenge/<token>`. */
  acmeWebroot: string;
  log: { warn(msg: string): void };
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;
/** A key authorization is a token, a dot and a 43-character thumbprint: anything much larger is not one. */
const MAX_CHALLENGE_BYTES = 1024;

/** The host (and port) of the HTTPS URL for a request's Host header; undefined when it is not a plain host name. */
export function redirectAuthority(hostHeader: string | undefined, httpsPort: number, publicUrl?: string): string | undefined {
  if (publicUrl) {
    const u = new URL(publicUrl);
    return u.protocol === 'https:' ? u.host : withPort(u.hostname, httpsPort);
  }
  if (!hostHeader) return undefined;
  // A name or IPv4 address with an optional port, or a bracketed IPv6 address with one: nothing else (no path,
  // user info, space or percent sign) reaches the Location header.
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::[0-9]{1,5})?$/.exec(hostHeader);
  if (!m) return undefined;
  const host = m[1];
  if (host.startsWith('[') ? !net.isIPv6(host.slice(1, -1)) : !HOSTNAME.test(host)) return undefined;
  return withPort(host.toLowerCase().replace(/\.$/, ''), httpsPort);
}

const withPort = (host: string, port: number) => (port === 443 ? host : `${host}:${port}`);

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The challenge file for `token`, read without following a symlink and without reading more than a challenge. */
async function readChallenge(webroot: string, token: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path.join(webroot, '.well-known', 'acme-challenge', token), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > MAX_CHALLENGE_BYTES) return undefined;
    const buf = Buffer.alloc(stat.size);
    const { bytesRead } = await handle.read(buf, 0, stat.size, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function handle(opts: HttpRedirectOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = req.url ?? '';
  // Origin-form only ("/path?query"): an absolute-form or "*" target names no path of ours.
  if (!target.startsWith('/')) return send(res, 400, 'Bad request target\n');
  const pathname = target.split('?')[0];
  if (pathname.startsWith(CHALLENGE_PREFIX)) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
    // The raw path, never decoded: the token is the file name only when it is a plain token.
    const token = pathname.slice(CHALLENGE_PREFIX.length);
    if (!TOKEN.test(token)) return send(res, 404, 'Not found\n');
    const body = await readChallenge(opts.acmeWebroot, token);
    if (!body) return send(res, 404, 'Not found\n');
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  const authority = redirectAuthority(req.headers.host, opts.httpsPort, opts.publicUrl);
  if (!authority) return send(res, 400, 'Bad Host header\n');
  // 308 keeps the method and body of a form or API call (301 would turn a POST into a GET).
  const location = `https://${authority}${target.startsWith('//') ? '/' + target.replace(/^\/+/, '') : target}`;
  send(res, 308, `Moved to ${location}\n`, { Location: location });
}

/** Start the plain-HTTP redirect (and ACME challenge) server; the webroot is made when missing. */
export async function startHttpRedirect(opts: HttpRedirectOptions): Promise<{ port: number; close(): Promise<void> }> {
  await mkdir(path.join(opts.acmeWebroot, '.well-known', 'acme-challenge'), { recursive: true, mode: 0o755 });
  const server = http.createServer((req, res) => {
    handle(opts, req, res).catch((err: Error) => {
      opts.log.warn(`HTTP redirect: ${err.message}`);
      if (!res.headersSent) send(res, 500, 'Internal error\n');
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EACCES'
          ? `HTTP_REDIRECT_PORT ${opts.port} needs privileges (run as root or grant CAP_NET_BIND_SERVICE), or set HTTP_REDIRECT_PORT=0`
          : err.code === 'EADDRINUSE'
            ? `HTTP_REDIRECT_PORT ${opts.port} is in use (another web server?): stop it or set HTTP_REDIRECT_PORT=0`
            : `HTTP_REDIRECT_PORT ${opts.port}: ${err.message}`;
      reject(Object.assign(new Error(why), { code: err.code }));
    });
    server.listen({ port: opts.port, host: opts.host }, () => resolve());
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
