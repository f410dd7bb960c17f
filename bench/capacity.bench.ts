// Capacity: how many two-person rooms, each with a clip recording (OpenVidu COMPOSED, an ffmpeg per room), one core
// holds while every subscriber still receives ≥ 95 % of its publisher's frame rate; then the same with one side of
// each room relayed through TURN. The server under test (`npm start`'s server, its OpenVidu child, ffmpeg
// recorders and coturn) runs on core 0; the participants are werift peers in this process, on core 1, replaying
// pre-encoded VP8 at 30 fps + Opus (capacity-media.ts), so that the clients are not what is measured.
// Rooms are added one at a time; after each, a steady window is measured. Settings: BENCH_CAPACITY_MAX_ROOMS (12),
// BENCH_CAPACITY_WINDOW_S (10), BENCH_CAPACITY_BUDGET_S (240, per variant), BENCH_CAPACITY_AUDIO (1),
// BENCH_CAPACITY_VARIANTS (direct,relay), BENCH_CAPACITY_TURN (embedded when `npm start` has it, or own: a coturn
// started here and given to the server as TURN_URLS), BENCH_CAPACITY_SERVER_CPUS (0: the server's taskset list).
import { randomBytes } from 'node:crypto';
import { BenchParticipant } from './capacity-client.js';
import { checkClip, stopClip, type ClipCheck } from './capacity-clips.js';
import { encodeMedia, FPS, Replayer } from './capacity-media.js';
import { cpuBetween, cpuByKind, cpuTimes, embeddedTurnAvailable, freeUdpPort, pinSelf, startOwnTurn, startServer, tree } from './capacity-server.js';
import { printTable, round, type BenchRow } from './lib.js';

const MAX_ROOMS = Number(process.env.BENCH_CAPACITY_MAX_ROOMS ?? 12);
const WINDOW_S = Number(process.env.BENCH_CAPACITY_WINDOW_S ?? 10);
const BUDGET_S = Number(process.env.BENCH_CAPACITY_BUDGET_S ?? 240);
const AUDIO = process.env.BENCH_CAPACITY_AUDIO !== '0';
const VARIANTS = (process.env.BENCH_CAPACITY_VARIANTS ?? 'direct,relay').split(',').filter((v) => v === 'direct' || v === 'relay');
/** After a room is added: its legs' first seconds (keyframe requests, bitrate ramp) are not steady state. */
const SETTLE_MS = 3000;
const MIN_RATIO = 0.95;
/** Server tree CPU (% of one core) taken as "core 0 saturated". */
const SATURATED = 95;
const SERVER_CPU = process.env.BENCH_CAPACITY_SERVER_CPUS ?? '0';
const CLIENT_CPU = '1';

interface Room {
  name: string;
  a: BenchParticipant;
  b: BenchParticipant;
  clipId: string;
  clipStartedAt: number;
}

interface Step {
  rooms: number;
  worst: number;
  serverCpu: number;
  core0: number;
  clientCpu: number;
  sentFps: number;
  /** Server tree CPU by process kind, % of one core. */
  byKind: Record<string, number>;
  /** Every subscriber's ratio, e.g. "1 B←A 99.7 %" (room 1, B receiving A). */
  all: string[];
}

async function api<T>(base: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${p}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${p} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function openRoom(base: string, name: string, relay: boolean, replayer: Replayer): Promise<Room> {
  const a = await BenchParticipant.join(base, name, 'Ana', false, replayer);
  let b: BenchParticipant | undefined;
  try {
    b = await BenchParticipant.join(base, name, 'Ben', relay, replayer);
    await Promise.all([a.publish(AUDIO), b.publish(AUDIO)]);
    await Promise.all([a.subscribe(b), b.subscribe(a)]);
    const clipStartedAt = Date.now();
    const clip = await api<{ id: string }>(base, `/api/sessions/${name}/clips`, {});
    return { name, a, b, clipId: clip.id, clipStartedAt };
  } catch (err) {
    await Promise.all([a.leave(), b?.leave()]);
    throw err;
  }
}

/** ffmpeg processes under the server: one per recording running. */
function recorders(serverPid: number): number {
  return [...tree([serverPid]).values()].filter((p) => p.comm === 'ffmpeg').length;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !(await ok()); await new Promise((r) => setTimeout(r, 100)))
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

/** One steady window over every room: each subscriber's received frames / its publisher's sent frames, and CPU. */
async function measure(rooms: Room[], roots: number[]): Promise<Step> {
  const pairs = rooms.flatMap((r) => [
    { pub: r.a, sub: r.b, label: `${r.name.split('-').pop()} B←A` },
    { pub: r.b, sub: r.a, label: `${r.name.split('-').pop()} A←B` },
  ]);
  const before = pairs.map((p) => [p.pub.sentFrames(), p.sub.receivedFrames()]);
  const t0 = tree(roots);
  const c0 = cpuTimes(parseInt(SERVER_CPU, 10));
  const own0 = process.cpuUsage();
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
  const wall = (performance.now() - w0) / 1000;
  const c1 = cpuTimes(parseInt(SERVER_CPU, 10));
  const own = process.cpuUsage(own0);
  const t1 = tree(roots);
  const ratios = pairs.map((p, i) => (p.sub.receivedFrames() - before[i][1]) / Math.max(1, p.pub.sentFrames() - before[i][0]));
  const sent = pairs.map((p, i) => (p.pub.sentFrames() - before[i][0]) / wall);
  return {
    rooms: rooms.length,
    worst: Math.min(...ratios),
    serverCpu: (cpuBetween(t0, t1) / wall) * 100,
    core0: ((c1.busy - c0.busy) / (c1.total - c0.total)) * 100,
    clientCpu: ((own.user + own.system) / 1e6 / wall) * 100,
    sentFps: Math.min(...sent),
    all: pairs.map((p, i) => `${p.label} ${round(ratios[i] * 100, 1)} %`),
    byKind: Object.fromEntries(Object.entries(cpuByKind(t0, t1, roots[0])).map(([k, v]) => [k, (v / wall) * 100])),
  };
}

const kinds = (s: Step) =>
  Object.entries(s.byKind)
    .filter(([, v]) => v >= 0.5)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${round(v)} %`)
    .join(', ');

async function closeRooms(base: string, rooms: Room[]): Promise<ClipCheck[]> {
  const stoppedAt: number[] = [];
  for (const r of rooms) stoppedAt.push(await stopClip(base, r.clipId).catch(() => Date.now()));
  await Promise.all(rooms.flatMap((r) => [r.a.leave(), r.b.leave()]));
  // Each clip ends ready (or failed): what the recorders made is checked, and core 0 is quiet for the next variant.
  const checks: ClipCheck[] = [];
  for (const [i, r] of rooms.entries())
    checks.push(await checkClip(base, r.clipId, r.clipStartedAt, stoppedAt[i]).catch((e: Error) => ({ status: e.message, lengthRatio: 0, fps: 0 })));
  return checks;
}

async function ramp(variant: 'direct' | 'relay', base: string, roots: number[], replayer: Replayer) {
  const steps: Step[] = [];
  const rooms: Room[] = [];
  const candidates = new Set<string>();
  const t0 = Date.now();
  let clips: ClipCheck[] = [];
  let stop = `${MAX_ROOMS} rooms (the bench's limit)`;
  try {
    for (let n = 1; n <= MAX_ROOMS; n++) {
      const room = await openRoom(base, `capacity-${variant}-${process.pid}-${n}`, variant === 'relay', replayer);
      rooms.push(room);
      for (const t of [...room.a.candidateTypes.map((c) => `A ${c}`), ...room.b.candidateTypes.map((c) => `B ${c}`)]) candidates.add(t);
      await until(`${n} recorders`, () => recorders(roots[0]) >= n, 20_000);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const s = await measure(rooms, roots);
      steps.push(s);
      const running = recorders(roots[0]);
      if (running < n) throw new Error(`${n} rooms but ${running} recorders running after the window`);
      console.log(
        `  ${variant} ${n} room(s): worst ${round(s.worst * 100, 1)} %, server tree ${round(s.serverCpu)} %, core 0 ${round(s.core0)} %, ` +
          `client ${round(s.clientCpu)} %, slowest publisher ${round(s.sentFps, 1)} fps (${kinds(s)})`,
      );
      if (s.worst < MIN_RATIO) {
        console.log(`  ${variant} ${n} room(s), every subscriber: ${s.all.join(', ')}`);
        stop = `${n} rooms: a subscriber got ${round(s.worst * 100, 1)} % of the frames`;
        break;
      }
      if (s.serverCpu >= SATURATED) {
        stop = `${n} rooms: core 0 saturated (${round(s.serverCpu)} %)`;
        break;
      }
      if ((Date.now() - t0) / 1000 > BUDGET_S) {
        stop = `${n} rooms: time budget ${BUDGET_S} s`;
        break;
      }
    }
  } finally {
    clips = await closeRooms(base, rooms);
    const failed = clips.filter((c) => c.status !== 'ready');
    if (failed.length) console.log(`  ${variant}: ${failed.length} of ${clips.length} clips did not end ready: ${failed.map((c) => c.status).join(', ')}`);
  }
  return { steps, stop, candidates: [...candidates].sort(), clips };
}

export async function run(): Promise<BenchRow[]> {
  const restore = pinSelf(CLIENT_CPU);
  const media = await encodeMedia(AUDIO);
  const replayer = new Replayer(media);
  const secret = randomBytes(18).toString('base64url');
  const embedded = VARIANTS.includes('relay') && embeddedTurnAvailable();
  const own = VARIANTS.includes('relay') && !embedded ? await startOwnTurn(SERVER_CPU, secret) : undefined;
  const turnEnv: Record<string, string> = embedded
    ? { TURN: 'embedded', TURN_PORT: String(await freeUdpPort()), TURN_RELAY_PORT_RANGE: '50100-50399', TURN_SECRET: secret }
    : own
      ? { TURN_URLS: own.urls, TURN_SECRET: secret }
      : {};
  const turnHow = embedded ? 'TURN=embedded' : own ? 'own turnserver (TURN_URLS)' : '';
  const server = await startServer(SERVER_CPU, turnEnv);
  const roots = [server.pid, ...(own?.child.pid ? [own.child.pid] : [])];
  const rows: BenchRow[] = [];
  try {
    for (const variant of VARIANTS as Array<'direct' | 'relay'>) {
      const r = await ramp(variant, server.url, roots, replayer);
      const passing = r.steps.filter((s, i) => s.worst >= MIN_RATIO && r.steps.slice(0, i).every((p) => p.worst >= MIN_RATIO));
      const last = passing[passing.length - 1];
      const perStep = r.steps.map((s) => `${s.rooms}: ${round(s.worst * 100, 1)} % / ${round(s.serverCpu)} % CPU`).join('; ');
      const clientMax = Math.max(...r.steps.map((s) => s.clientCpu));
      const ready = r.clips.filter((c) => c.status === 'ready');
      const clipNote = ready.length
        ? `clips ${ready.length}/${r.clips.length} ready, length ≥ ${round(Math.min(...ready.map((c) => c.lengthRatio)) * 100)} % of the time recorded, ` +
          `${round(Math.min(...ready.map((c) => c.fps)), 1)}–${round(Math.max(...ready.map((c) => c.fps)), 1)} fps recorded`
        : `no clip ready of ${r.clips.length}`;
      rows.push({
        name: `two-person rooms with a clip recording on one core${variant === 'relay' ? `, one side through TURN (${turnHow})` : ''}`,
        value: last?.rooms ?? 0,
        unit: 'rooms',
        target: `every subscriber ≥ ${MIN_RATIO * 100} % of ${FPS} fps`,
        detail:
          `server tree ${last ? `${round(last.serverCpu)} % of core 0 at that count (${kinds(last)}; core 0 busy ${round(last.core0)} %)` : '–'}; ` +
          `stopped at ${r.stop}; per step (worst fps ratio / server CPU): ${perStep}; ` +
          `client core max ${round(clientMax)} %; ${clipNote}; candidates ${r.candidates.join(', ')}`,
      });
    }
  } finally {
    await server.stop();
    await own?.stop();
    replayer.close();
    pinSelf(restore);
  }
  printTable({ capacity: rows });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
  process.exit(0);
}
