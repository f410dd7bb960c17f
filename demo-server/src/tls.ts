// `HTTPS=1 npm start`: a self-signed certificate for this machine's addresses, and OpenVidu's WebSocket forwarded on
// the page's own origin, so a phone on the same network accepts one certificate warning and joins.
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { generate } from 'selfsigned';

/** This machine's IPv4 addresses on its networks (not loopback), first the likeliest LAN one. */
export function lanAddresses(): string[] {
  const all = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && a.family === 'IPv4' && !a.internal)
    .map((a) => a.address);
  const privateFirst = (ip: string) => (/^(192\.168|10|172\.(1[6-9]|2\d|3[01]))\./.test(ip) ? 0 : 1);
  return all.sort((a, b) => privateFirst(a) - privateFirst(b));
}

export interface Certificate {
  key: string;
  cert: string;
  /** Names and addresses the certificate is valid for. */
  hosts: string[];
}

const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

/**
 * The certificate in `<dir>/tls/`, made (again) when missing, expiring within 30 days, or not covering every one of
 * `hosts` (the machine moved to another network). The key file is readable by its owner only.
 */
export async function loadOrCreateCertificate(dir: string, hosts: string[]): Promise<Certificate> {
  const tlsDir = path.join(dir, 'tls');
  const files = { key: path.join(tlsDir, 'key.pem'), cert: path.join(tlsDir, 'cert.pem'), meta: path.join(tlsDir, 'cert.json') };
  try {
    const meta = JSON.parse(await readFile(files.meta, 'utf8')) as { hosts: string[]; notAfter: string };
    if (hosts.every((h) => meta.hosts.includes(h)) && Date.parse(meta.notAfter) - Date.now() > RENEW_BEFORE_MS) {
      return { key: await readFile(files.key, 'utf8'), cert: await readFile(files.cert, 'utf8'), hosts: meta.hosts };
    }
  } catch {
    // none yet, or unreadable: make a new one
  }
  const notAfter = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'ov-live-elements demo' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: hosts.map((h) => (net.isIP(h) ? { type: 7 as const, ip: h } : { type: 2 as const, value: h })) },
    ],
  });
  await mkdir(tlsDir, { recursive: true, mode: 0o700 });
  const write = async (file: string, text: string, mode: number) => {
    await writeFile(`${file}.tmp`, text, { mode });
    await rename(`${file}.tmp`, file);
  };
  await write(files.key, pems.private, 0o600);
  await write(files.cert, pems.cert, 0o644);
  await write(files.meta, JSON.stringify({ hosts, notAfter: notAfter.toISOString() }), 0o644);
  return { key: pems.private, cert: pems.cert, hosts };
}

/**
 * Forward WebSocket upgrades for `/openvidu` to the embedded OpenVidu on loopback, byte for byte; any other upgrade
 * is refused. The browser then talks to OpenVidu through this server's origin and certificate.
 */
export function forwardOpenViduSocket(server: Pick<Server, 'on'>, targetPort: number): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '');
    if (pathname !== '/openvidu') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    upstream.on('connect', () => {
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    const end = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', end);
    socket.on('error', end);
    upstream.on('close', end);
    socket.on('close', end);
  });
}

/**
 * The WebSocket URL OpenVidu hands browsers: the page's own origin as the public sees it. PUBLIC_URL's host and
 * port when set (ws: for an http: one; behind a NAT or a reverse proxy the server's own address is not reachable);
 * else, with a real certificate, its first DNS name (not a wildcard) on the HTTPS `port`, so the browser accepts it.
 * Undefined when neither names a host.
 */
export function publicSocketUrl(publicUrl: string | undefined, certificateNames: string[], port: number): string | undefined {
  if (publicUrl) {
    const u = new URL(publicUrl);
    // PUBLIC_URL's port is the one browsers use (it may differ from PORT behind port forwarding).
    return `${u.protocol === 'https:' ? 'wss' : 'ws'}://${u.host}`;
  }
  const name = certificateNames.find((n) => !n.includes('*') && !net.isIP(n));
  return name ? `wss://${name}${port === 443 ? '' : `:${port}`}` : undefined;
}
