/**
 * The REST API with plain HTTP against the OpenVidu target, shared by test/embedded-openvidu/rest/*.test.ts: the target's
 * set-up (`useRestTarget()`), raw and JSON requests with Basic auth, CE's error JSON, sessions, connections, media-less
 * JSON-RPC participants, a seeded PRNG and a stub recording file.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { openviduTarget, isEmbedded, type OpenViduTarget } from './openvidu-target.js';
import { RpcClient } from './rpc-client.js';
import { sleep } from './until.js';

export let target: OpenViduTarget;
export let AUTH: string;
export let agent: http.Agent;
export const clients = new Set<RpcClient>();
export const cleanups: Array<() => Promise<unknown> | unknown> = [];

export const uid = () => Math.random().toString(36).slice(2, 10);
export const API = '/openvidu/api';

/** Starts the OpenVidu target before the file's tests and closes it (with the participants and sessions made) after. */
export function useRestTarget(): void {
  before(async () => {
    target = await openviduTarget();
    AUTH = 'Basic ' + Buffer.from(`OPENVIDUAPP:${target.secret}`).toString('base64');
    agent = new (target.url.startsWith('https') ? https.Agent : http.Agent)({
      keepAlive: true,
      maxSockets: 4,
      rejectUnauthorized: false,
    } as https.AgentOptions);
  });

  after(async () => {
    for (const c of clients) c.terminate();
    for (const fn of cleanups.reverse()) await fn();
    agent.destroy();
    await target.close();
  });
}

// ---------------------------------------------------------------------------------------------- HTTP helpers

export interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: any;
}

/**
 * One request with the path sent byte for byte (no URL normalisation, unlike fetch), so `..`, `%2e%2e` and friends
 * reach the server as written.
 */
export function raw(
  method: string,
  rawPath: string,
  opts: { headers?: Record<string, string | number>; body?: string | Buffer; auth?: boolean | string; chunks?: Buffer[] } = {},
): Promise<Res> {
  const u = new URL(target.url);
  const headers: Record<string, string | number> = { ...opts.headers };
  const auth = opts.auth ?? true;
  if (auth === true) headers.Authorization = AUTH;
  else if (typeof auth === 'string') headers.Authorization = auth;
  // Node's client sends a DELETE/OPTIONS body with neither Content-Length nor chunking: always declare the length.
  if (opts.body !== undefined && !opts.chunks && !Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h))) {
    headers['Content-Length'] = Buffer.byteLength(opts.body);
  }
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({ host: u.hostname, port: u.port, method, path: rawPath, headers, agent, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let json: unknown;
        if (String(res.headers['content-type'] ?? '').includes('json') && text) {
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.chunks) {
      for (const c of opts.chunks) req.write(c);
      req.end();
    } else req.end(opts.body);
  });
}

/** JSON request helper: objects are JSON-encoded with `Content-Type: application/json`. */
export function api(method: string, p: string, body?: unknown, opts: { auth?: boolean | string; headers?: Record<string, string> } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    headers['Content-Type'] ??= 'application/json';
  }
  return raw(method, p.startsWith('/openvidu') ? p : API + p, { headers, body: payload, auth: opts.auth });
}

/** A 4xx answered by the REST layer: CE's error JSON `{timestamp, status, error, message, path}`. */
export function assertJsonError(r: Res, status: number | number[], what: string) {
  const ok = Array.isArray(status) ? status.includes(r.status) : r.status === status;
  assert.ok(ok, `${what}: expected ${JSON.stringify(status)}, got ${r.status} ${r.text.slice(0, 200)}`);
  if (!isEmbedded()) return; // a real OpenVidu answers many errors with an empty body
  assert.match(String(r.headers['content-type']), /application\/json/, `${what}: error body is JSON`);
  assert.equal(r.json?.status, r.status, `${what}: body.status`);
  assert.equal(typeof r.json?.message, 'string', `${what}: body.message`);
  assert.equal(typeof r.json?.error, 'string', `${what}: body.error`);
  assert.equal(typeof r.json?.timestamp, 'number', `${what}: body.timestamp`);
}

export async function createSession(body: Record<string, unknown> = {}): Promise<any> {
  const r = await api('POST', '/sessions', body);
  assert.equal(r.status, 200, `POST /sessions: ${r.text}`);
  cleanups.push(() => api('DELETE', `/sessions/${r.json.id}`));
  return r.json;
}

export async function createConnection(sessionId: string, body: Record<string, unknown> = {}): Promise<any> {
  const r = await api('POST', `/sessions/${sessionId}/connection`, body);
  assert.equal(r.status, 200, `POST connection: ${r.text}`);
  return r.json;
}

/** A media-less participant (JSON-RPC) that keeps pinging so the server's 15 s ping watchdog never fires. */
export async function participant(token: string, metadata = '') {
  const rpc = await RpcClient.connect(token);
  clients.add(rpc);
  const keepAlive = setInterval(() => rpc.request('ping').catch(() => {}), 4000);
  keepAlive.unref();
  rpc.ws.once('close', () => clearInterval(keepAlive));
  const result = await rpc.join(token, metadata);
  return { rpc, result, id: result.id as string };
}

export async function activeSession(n = 1) {
  const s = await createSession();
  const ps = [];
  for (let i = 0; i < n; i++) ps.push(await participant((await createConnection(s.id, { data: `p${i}` })).token, `client${i}`));
  return { s, ps };
}

/** Seeded PRNG (mulberry32) so the fuzz is reproducible. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    bool: (p = 0.5) => next() < p,
  };
}

// ---------------------------------------------------------------------------------------------- fake recorder

export const FAKE_FILE = (() => {
  const r = prng(42);
  return Buffer.from(Array.from({ length: 10_000 }, () => r.int(256)));
})();

export async function waitRecordingStatus(id: string, status: string, timeoutMs = 10_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: Res | undefined;
  while (Date.now() < deadline) {
    last = await api('GET', `/recordings/${id}`);
    if (last.json?.status === status) return last.json;
    await sleep(50);
  }
  assert.fail(`recording ${id} not ${status} within ${timeoutMs} ms: ${last?.text}`);
}
