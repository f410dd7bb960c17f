// Soak: does the server give back what a day of visitors takes? `npm start`'s server runs in its own process
// (bench/soak-server.ts); 500 rooms are each created, joined by two JSON-RPC participants, given a clip and left,
// then 5,000 tokens are made and never used. Once OpenVidu's garbage collector has run and V8 has collected, the
// server's RSS must be back within 10 % of where it started, and no map may hold anything per room ever seen.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RpcClient } from '../test/helpers/rpc-client.js';
import { printTable, root, round, rssMiB, type BenchRow } from './lib.js';

const ROOMS = Number(process.env.BENCH_SOAK_ROOMS ?? 500);
const UNUSED_TOKENS = Number(process.env.BENCH_SOAK_TOKENS ?? 5000);
const WARMUP_ROOMS = 20;
/** Rooms in flight at once (each one runs an ffmpeg while its clip records). */
const ROOM_CONCURRENCY = 4;
const TOKEN_CONCURRENCY = 16;
/** OpenVidu's garbage collector, made quick for the soak (CE's defaults are 900 s and 3600 s). */
const GC_INTERVAL_S = 1;
const GC_THRESHOLD_S = 3;

interface Figures {
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  maps: Record<string, number | undefined>;
}

class SoakServer {
  private seq = 0;
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(dataDir: string): Promise<SoakServer> {
    const child = fork(path.join(root, 'bench/soak-server.ts'), [], {
      cwd: root,
      execArgv: ['--expose-gc', '--import', 'tsx'],
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        // One address makes every request here: the per-client limits would (rightly) stop it.
        RATE_LIMIT_PER_MINUTE: '1000000',
        OPENVIDU_SESSIONS_GARBAGE_INTERVAL: String(GC_INTERVAL_S),
        OPENVIDU_SESSIONS_GARBAGE_THRESHOLD: String(GC_THRESHOLD_S),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the soak server did not start within 30 s')), 30_000);
      child.once('exit', (code) => reject(new Error(`the soak server exited with ${code}`)));
      child.on('message', (m: { type?: string; url?: string }) => {
        if (m.type !== 'ready') return;
        clearTimeout(timer);
        resolve(m.url!);
      });
    });
    return new SoakServer(child, url);
  }

  /** Full GC in the server, then its memory and map sizes. */
  figures(): Promise<Figures> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      const on = (m: Figures & { id?: number }) => {
        if (m.id !== id) return;
        this.child.off('message', on);
        resolve(m);
      };
      this.child.on('message', on);
      this.child.send({ type: 'figures', id });
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
      setTimeout(() => this.child.kill('SIGKILL'), 15_000).unref();
    });
  }
}

async function api<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...init.headers } });
  const body = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${res.status} ${body}`);
  return (body ? JSON.parse(body) : undefined) as T;
}

/** Run `fn` over 0…n-1, `concurrency` at a time. */
async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** One room's life: two participants join, a clip is recorded and becomes ready, an SSE reader watches, all leave. */
async function cycleRoom(base: string, room: string): Promise<void> {
  const token = () => api<{ token: string }>(`${base}/api/sessions/${room}/token`, { method: 'POST', body: JSON.stringify({ name: 'soak' }) });
  const clients: RpcClient[] = [];
  const events = new AbortController();
  try {
    for (let k = 0; k < 2; k++) {
      const { token: t } = await token();
      const c = await RpcClient.connect(t);
      clients.push(c);
      await c.join(t, JSON.stringify({ clientData: `p${k}` }));
    }
    const sse = await fetch(`${base}/api/sessions/${room}/events`, { signal: events.signal });
    if (!sse.ok) throw new Error(`events → ${sse.status}`);
    const clip = await api<{ id: string }>(`${base}/api/sessions/${room}/clips`, { method: 'POST', body: '{}' });
    await api(`${base}/api/clips/${encodeURIComponent(clip.id)}/stop`, { method: 'POST' });
    for (const deadline = Date.now() + 30_000; ;) {
      const c = await api<{ status: string }>(`${base}/api/clips/${encodeURIComponent(clip.id)}`);
      if (c.status === 'ready') break;
      if (c.status === 'failed' || Date.now() > deadline) throw new Error(`clip ${clip.id} ended ${c.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const c of clients) await c.request('leaveRoom', {});
  } finally {
    events.abort();
    for (const c of clients) c.close();
  }
}

/** Polls until OpenVidu has closed every session (its garbage collector included), or 60 s. */
async function settle(server: SoakServer): Promise<Figures> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const f = await server.figures();
    if (!f.maps['openvidu sessions'] || Date.now() > deadline) return f;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function run(): Promise<BenchRow[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ov-soak-'));
  const server = await SoakServer.start(dataDir);
  const pid = server.child.pid!;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 500);
  try {
    // Warm-up: every code path (ffmpeg recorder, SSE, GC) loaded and JIT-compiled before the baseline.
    await pool(WARMUP_ROOMS, ROOM_CONCURRENCY, (i) => cycleRoom(server.url, `soak-warm-${i}`));
    await pool(WARMUP_ROOMS, TOKEN_CONCURRENCY, (i) =>
      api(`${server.url}/api/sessions/soak-warm-idle-${i}/token`, { method: 'POST', body: '{}' }).then(() => {}),
    );
    const start = await settle(server);

    let t = performance.now();
    await pool(ROOMS, ROOM_CONCURRENCY, (i) => cycleRoom(server.url, `soak-${i}`));
    const roomsS = (performance.now() - t) / 1000;
    t = performance.now();
    await pool(UNUSED_TOKENS, TOKEN_CONCURRENCY, (i) => api(`${server.url}/api/sessions/soak-idle-${i}/token`, { method: 'POST', body: '{}' }).then(() => {}));
    const tokensS = (performance.now() - t) / 1000;
    const loaded = await server.figures();
    const end = await settle(server);

    const ratio = end.rssMiB / start.rssMiB;
    const maps = (f: Figures) =>
      Object.entries(f.maps)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    const rows: BenchRow[] = [
      {
        name: `${ROOMS} rooms: 2 JSON-RPC joins, SSE, a clip ready, leave`,
        value: round(roomsS, 1),
        unit: 's',
        detail: `${ROOM_CONCURRENCY} at a time; ${round((roomsS * 1000) / ROOMS)} ms per room`,
      },
      { name: `${UNUSED_TOKENS} tokens never used (one room each)`, value: round(tokensS, 1), unit: 's', detail: `${TOKEN_CONCURRENCY} at a time` },
      { name: 'RSS after warm-up + GC (start)', value: round(start.rssMiB, 1), unit: 'MiB', detail: `heap ${round(start.heapUsedMiB, 1)} MiB` },
      {
        name: 'RSS peak during the soak',
        value: round(peak, 1),
        unit: 'MiB',
        detail: `right after the tokens, before GC: heap ${round(loaded.heapUsedMiB, 1)} MiB; ${maps(loaded)}`,
      },
      { name: 'RSS after OpenVidu GC + V8 GC (end)', value: round(end.rssMiB, 1), unit: 'MiB', detail: `heap ${round(end.heapUsedMiB, 1)} MiB` },
      {
        name: 'RSS end / start',
        value: round(ratio * 100, 1),
        unit: '%',
        target: '≤ 110 %',
        detail: `heap end/start ${round((end.heapUsedMiB / start.heapUsedMiB) * 100, 1)} %`,
      },
      { name: 'long-lived maps at the end', value: Object.values(end.maps).reduce((a: number, v) => a + (v ?? 0), 0), unit: 'entries', detail: maps(end) },
    ];
    printTable({ soak: rows });
    return rows;
  } finally {
    clearInterval(sampler);
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}
