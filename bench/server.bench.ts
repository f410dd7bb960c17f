// Benchmarks of the reference server over real HTTP (autocannon against a listening server with the embedded
// OpenVidu in its child process, as npm start runs it): the token route beside a bare Fastify route in the same process and run, and snapshot
// uploads of a ~200 KB JPEG. Prints a table and returns rows to bench/run.ts.
import { readFileSync } from 'node:fs';
import { rm, mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Fastify from 'fastify';
// @ts-expect-error -- autocannon ships no type declarations
import autocannonUntyped from 'autocannon';
import { testImage } from '../test/helpers/image-headers.js';
import { startTestServer } from '../test/helpers/app-server.js';
import { printTable, round, type BenchRow } from './lib.js';

const SECONDS = Number(process.env.BENCH_SERVER_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_SERVER_CONNECTIONS ?? 50);
const UPLOAD_CONNECTIONS = Number(process.env.BENCH_UPLOAD_CONNECTIONS ?? 8);

interface CannonOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  connections: number;
  duration: number;
  /** Load from worker threads, so the client does not share the server's event loop (string bodies only). */
  workers?: number;
}
interface Histogram {
  average: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  total: number;
}
interface CannonResult {
  requests: Histogram;
  latency: Histogram;
  throughput: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats?: Record<string, { count: number }>;
}
const cannon = autocannonUntyped as (opts: CannonOptions) => Promise<CannonResult>;

/**
 * CPU time (ms) a process has used, or one of its threads (Linux's /proc; undefined elsewhere). The main thread of
 * this process is the reference server's event loop without autocannon's worker thread.
 */
function cpuMs(pid: number | undefined, thread?: number): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(thread ? `/proc/${pid}/task/${thread}/stat` : `/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

/** autocannon, plus the longest stall of this process's event loop (the reference server's) meanwhile. */
async function autocannon(opts: CannonOptions): Promise<CannonResult & { maxLoopDelayMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  try {
    const r = await cannon(opts);
    return { ...r, maxLoopDelayMs: Math.round(h.max / 1e6) };
  } finally {
    h.disable();
  }
}

/** A ~200 KB camera-like JPEG: testsrc2 at 1280x720 with noise (flat test patterns compress to ~60 KB). */
async function makeJpeg(dir: string): Promise<Buffer> {
  return testImage(path.join(dir, 'frame.jpg'), '1280x720', { filter: 'noise=alls=16:allf=u', quality: 3 });
}

const rate = (r: CannonResult) => r.requests.total / (r.duration || SECONDS);
const statuses = (r: CannonResult) =>
  Object.entries(r.statusCodeStats ?? {})
    .map(([s, v]) => `${s}×${v.count}`)
    .join(' ');

/** The gateway's private cache of OpenVidu sessions, emptied to time a cold cache. */
interface GatewayInternals {
  sessions: Map<string, unknown>;
}

/** Pending connections (unused tokens) of a room, from OpenVidu's REST API as any client would read them. */
async function pendingConnections(server: { openvidu?: { url: string; secret: string } }, room: string): Promise<number> {
  if (!server.openvidu) return 0;
  const res = await fetch(new URL(`/openvidu/api/sessions/${room}?pendingConnections=true`, server.openvidu.url), {
    headers: { Authorization: 'Basic ' + Buffer.from(`OPENVIDUAPP:${server.openvidu.secret}`).toString('base64') },
  });
  const body = (await res.json().catch(() => undefined)) as { connections?: { content?: { status?: string }[] } } | undefined;
  return body?.connections?.content?.filter((c) => c.status === 'pending').length ?? 0;
}

export async function run(): Promise<BenchRow[]> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ov-bench-server-'));
  const server = await startTestServer({ RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'silent' });
  const gateway = server.app.services.gateway as unknown as GatewayInternals;
  const bare = Fastify({ logger: false });
  bare.get('/bare', async () => ({ ok: true }));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}`;
  const tokenUrl = (room: string) => `${server.url}/api/sessions/${room}/token`;
  const tokenReq = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench', role: 'subscriber' }) };
  const uploadReq = { method: 'POST', headers: { 'content-type': 'image/jpeg' } };
  const rows: BenchRow[] = [];
  try {
    const jpeg = await makeJpeg(tmp);

    // 1. Snapshot uploads. The binary body cannot be passed to a worker thread, so this client runs in-process (it
    //    is light next to the server's work per request: a 200 KB body, magic-byte sniffing, two fsync'ed files).
    await autocannon({ ...uploadReq, url: `${server.url}/api/sessions/bench-warm/snapshots`, body: jpeg, connections: 2, duration: 1 });
    const uploadRes = await autocannon({
      ...uploadReq,
      url: `${server.url}/api/sessions/bench/snapshots`,
      body: jpeg,
      connections: UPLOAD_CONNECTIONS,
      duration: SECONDS,
    });
    const stored = server.app.services.snapshots.list('bench').length;

    // 2. The bare route and 3. the token route, same settings, load from a worker thread.
    await autocannon({ url: `${bareUrl}/bare`, connections: 10, duration: 1, workers: 1 });
    const bareRes = await autocannon({ url: `${bareUrl}/bare`, connections: CONNECTIONS, duration: SECONDS, workers: 1 });
    // Start from a fresh cache entry, so the one Session creation happens in the warm-up.
    gateway.sessions.delete('bench');
    await autocannon({ ...tokenReq, url: tokenUrl('bench'), connections: 10, duration: 1, workers: 1 });
    const rss0 = process.memoryUsage().rss;
    const cpu0 = { server: cpuMs(process.pid, process.pid), openvidu: cpuMs(server.openvidu?.pid) };
    const tokenRes = await autocannon({ ...tokenReq, url: tokenUrl('bench'), connections: CONNECTIONS, duration: SECONDS, workers: 1 });
    const rss1 = process.memoryUsage().rss;
    const cpu1 = { server: cpuMs(process.pid, process.pid), openvidu: cpuMs(server.openvidu?.pid) };
    // CPU per token: what the machine's load changes least (the rates and latencies follow the share of CPU we get).
    const perToken = (a?: number, b?: number) => (a === undefined || b === undefined ? NaN : Math.round(((b - a) * 1000) / tokenRes.requests.total));
    const pending = await pendingConnections(server, 'bench');

    // 4. The same route under a moderate load, in a fresh room: the latency a user sees when the server is not saturated.
    const tokenLightRes = await autocannon({ ...tokenReq, url: tokenUrl('bench-light'), connections: 10, duration: SECONDS, workers: 1 });

    // 5. A cold cache under load (a new server instance, or OpenVidu closed the room): CONNECTIONS token requests
    //    at once, in the room that now holds every unused token of phase 3 (none of them is downloaded).
    gateway.sessions.delete('bench');
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const rssA = process.memoryUsage().rss;
    const t0 = performance.now();
    const burst = await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        const res = await fetch(tokenUrl('bench'), tokenReq);
        await res.arrayBuffer();
        return { status: res.status, ms: performance.now() - t0 };
      }),
    );
    const burstMs = Math.round(performance.now() - t0);
    const rssB = process.memoryUsage().rss;
    lag.disable();
    const burstOk = burst.filter((b) => b.status === 201).length;
    const counts = new Map<number, number>();
    for (const b of burst) counts.set(b.status, (counts.get(b.status) ?? 0) + 1);
    const burstStatuses = [...counts].map(([st, n]) => `${st}×${n}`).join(' ');

    const tokenRate = rate(tokenRes);
    const bareRate = rate(bareRes);
    rows.push(
      {
        name: 'token route throughput',
        value: round(tokenRate),
        unit: 'req/s',
        detail: `${CONNECTIONS} conns, ${SECONDS} s; ${tokenRes.requests.total} tokens (${statuses(tokenRes)}), errors ${tokenRes.errors}, timeouts ${tokenRes.timeouts}, longest event-loop stall ${tokenRes.maxLoopDelayMs} ms`,
      },
      { name: 'token route latency p50', value: tokenRes.latency.p50, unit: 'ms' },
      { name: 'token route latency p99', value: tokenRes.latency.p99, unit: 'ms', target: '≤ 20 ms', detail: `max ${tokenRes.latency.max} ms` },
      {
        name: 'token route CPU per token',
        value: perToken(cpu0.server, cpu1.server),
        unit: 'µs',
        detail: `the reference server's event loop (its main thread, not autocannon's); the OpenVidu process ${perToken(cpu0.openvidu, cpu1.openvidu)} µs`,
      },
      {
        name: 'bare Fastify route throughput',
        value: round(bareRate),
        unit: 'req/s',
        detail: `GET /bare → {ok:true}, same process, ${CONNECTIONS} conns, ${SECONDS} s (${statuses(bareRes)})`,
      },
      { name: 'bare Fastify route latency p50', value: bareRes.latency.p50, unit: 'ms' },
      { name: 'bare Fastify route latency p99', value: bareRes.latency.p99, unit: 'ms' },
      {
        name: 'token / bare throughput',
        value: round((100 * tokenRate) / bareRate, 1),
        unit: '%',
        detail: 'the whole stack (helmet, CORS, rate limit, validation, authorize hook) plus a REST call to the OpenVidu process',
      },
      {
        name: 'token route latency p50 @ 10 conns',
        value: tokenLightRes.latency.p50,
        unit: 'ms',
        detail: `${round(rate(tokenLightRes))} req/s (${statuses(tokenLightRes)}), longest event-loop stall ${tokenLightRes.maxLoopDelayMs} ms`,
      },
      {
        name: 'token route latency p99 @ 10 conns',
        value: tokenLightRes.latency.p99,
        unit: 'ms',
        target: '≤ 20 ms',
        detail: `max ${tokenLightRes.latency.max} ms`,
      },
      {
        name: 'memory after the token phase',
        value: round((rss1 - rss0) / 2 ** 20),
        unit: 'MiB',
        detail: `RSS growth over phase 3; ${pending} unused tokens = pending connections now held by the embedded OpenVidu in room "bench"; RSS ${round(rss1 / 2 ** 20)} MiB`,
      },
      {
        name: 'cold session cache under load',
        value: burstMs,
        unit: 'ms',
        detail: `${CONNECTIONS} token requests on a cold cache in a room with ${pending} pending connections: ${burstOk}/${CONNECTIONS} answered 201 (${burstStatuses}), event loop stalled ${Math.round(lag.max / 1e6)} ms, RSS +${round((rssB - rssA) / 2 ** 20)} MiB`,
      },
      {
        name: 'snapshot uploads',
        value: round(rate(uploadRes), 1),
        unit: 'req/s',
        detail: `${Math.round(jpeg.length / 1024)} KB JPEG, ${UPLOAD_CONNECTIONS} conns, ${SECONDS} s (${statuses(uploadRes)}; errors ${uploadRes.errors}, timeouts ${uploadRes.timeouts}; longest event-loop stall ${uploadRes.maxLoopDelayMs} ms), ${stored} stored, ${round((rate(uploadRes) * jpeg.length * 8) / 1e6)} Mbit/s of images in`,
      },
      { name: 'snapshot upload latency p50', value: uploadRes.latency.p50, unit: 'ms' },
      { name: 'snapshot upload latency p99', value: uploadRes.latency.p99, unit: 'ms' },
    );
    if (tokenRes.non2xx || tokenRes.errors)
      console.warn(`  token route: ${tokenRes.non2xx} non-2xx answers, ${tokenRes.errors} errors (${statuses(tokenRes)})`);
    if (uploadRes.non2xx || uploadRes.errors)
      console.warn(`  uploads: ${uploadRes.non2xx} non-2xx answers, ${uploadRes.errors} errors (${statuses(uploadRes)})`);
  } finally {
    await bare.close();
    // Uploads cut off by the end of the run may still be writing their files: let them finish before removing.
    await new Promise((r) => setTimeout(r, 1000));
    await server.stop({ keepData: true });
    await rm(server.dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    await rm(tmp, { recursive: true, force: true });
  }
  printTable({ server: rows });
  return rows;
}
