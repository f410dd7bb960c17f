import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';

/*
 * UDP ports for the segments' ffmpeg: an even RTP port + the odd RTCP port (ffmpeg has no rtcp-mux for SDP input),
 * never shared between the segments of this process, and checked free on the wildcard address ffmpeg binds.
 */

const reservedPorts = new Set<number>();
const PORT_MIN = 20000;
const PORT_MAX = 60000;
let portCursor = PORT_MIN + 2 * Math.floor((Math.random() * (PORT_MAX - PORT_MIN)) / 2);

function bindTest(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ port, address: '0.0.0.0', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** `count` RTP ports (each with its RTCP port + 1), reserved until releasePorts(). */
export async function allocatePortPairs(count: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < count; tries++) {
    if (tries > 2000) {
      releasePorts(out);
      throw new Error('no free UDP port pair for the recorder');
    }
    const p = portCursor;
    portCursor += 2;
    if (portCursor >= PORT_MAX) portCursor = PORT_MIN;
    if (reservedPorts.has(p)) continue;
    reservedPorts.add(p);
    const [a, b] = await Promise.all([bindTest(p), bindTest(p + 1)]);
    if (a && b) out.push(p);
    else reservedPorts.delete(p);
  }
  return out;
}

export function releasePorts(ports: readonly number[]): void {
  for (const p of ports) reservedPorts.delete(p);
}

/** The UDP ports bound on this machine (Linux /proc; empty elsewhere). */
export async function boundUdpPorts(): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = await readFile(f, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local) ports.add(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return ports;
}
