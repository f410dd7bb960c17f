// BACKEND_SECRET over real HTTP, with the embedded OpenVidu in process (its stub recorder: no ffmpeg) and a
// media-less JSON-RPC participant: only the backend gets tokens, every write needs the access pass of its room with
// the right permission, and a refused write leaves nothing behind. Then the same rules without a network (inject).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/app-server.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { useStubRecorder } from '../helpers/stub-recorder.js';
import { pngHeader } from '../helpers/image-headers.js';
import { apiClient } from '../helpers/api.js';
import { AccessPasses } from '../../demo-server/src/services/access-pass.js';

const SECRET = 'backend-secret-0123456789-abcdefghijklmnop';
const RATE = 20;
let server: TestServer;
let restoreRecorder: () => void;
const rpcs: RpcClient[] = [];

const api = apiClient(() => server.url);
async function json(res: Response): Promise<{ status: number; body: any }> {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

/** The backend asks for a camera token (and its pass). */
async function backendToken(room: string, body: Record<string, unknown> = { name: 'Host' }) {
  const r = await json(await api(`/sessions/${room}/token`, { method: 'POST', json: body, headers: bearer(SECRET) }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as { token: string; connectionId: string; screenGrant?: string; access?: string };
}

/** A participant in the room (a clip needs one), and the pass its backend token came with. */
async function join(room: string, permissions: string[]) {
  const t = await backendToken(room, { name: 'Host', permissions });
  const rpc = await RpcClient.connect(t.token);
  rpcs.push(rpc);
  await rpc.join(t.token);
  return t;
}

/** The same claims, re-encoded with `change`, keeping the old signature. */
function altered(pass: string, change: (claims: any) => void): string {
  const [v, payload, sig] = pass.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  change(claims);
  return `${v}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
}

const png = () => new Uint8Array(pngHeader(64, 48));
const upload = (room: string, headers: Record<string, string>) =>
  api(`/sessions/${room}/snapshots`, { method: 'POST', body: png(), headers: { 'content-type': 'image/png', ...headers } });

before(async () => {
  server = await startTestServer({ BACKEND_SECRET: SECRET, RATE_LIMIT_PER_MINUTE: String(RATE) }, undefined, { openvidu: 'in-process' });
  restoreRecorder = useStubRecorder(server.embedded!, Buffer.from('not a real recording'));
});

after(async () => {
  for (const r of rpcs) r.terminate();
  restoreRecorder?.();
  await server?.stop();
});

describe('BACKEND_SECRET: tokens', () => {
  it('without the secret (none, wrong, a pass, another scheme): 403 OV_FORBIDDEN, before the body is read', async () => {
    const pass = (await backendToken('tok-room', { name: 'A', permissions: ['clip', 'snapshot'] })).access!;
    for (const headers of [{}, bearer(`${SECRET}x`), bearer(SECRET.slice(0, -1)), bearer(pass), { authorization: `Basic ${SECRET}` }]) {
      const r = await json(await api('/sessions/tok-room/token', { method: 'POST', json: { name: 'Mallory' }, headers }));
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.equal(r.body.code, 'OV_FORBIDDEN');
    }
  });

  it('with it: token, screen grant and access (room, camera connection, permissions, expiry in ACCESS_SECONDS)', async () => {
    const t0 = Date.now();
    const t = await backendToken('tok-room', { name: 'Editor', role: 'publisher', permissions: ['snapshot', 'clip'] });
    assert.ok(t.token && t.screenGrant && t.access);
    const claims = new AccessPasses({ secret: SECRET }).verify(t.access);
    assert.equal(claims.room, 'tok-room');
    assert.equal(claims.connectionId, t.connectionId);
    assert.deepEqual(claims.permissions, ['clip', 'snapshot']);
    const life = claims.exp - t0;
    assert.ok(life >= server.config.accessSeconds * 1000 && life < server.config.accessSeconds * 1000 + 60_000, String(life));
    // A subscriber without permissions still gets a pass: it allows no write.
    const sub = await backendToken('tok-room', { name: 'Guest', role: 'subscriber' });
    assert.equal(sub.screenGrant, undefined);
    assert.deepEqual(new AccessPasses({ secret: SECRET }).verify(sub.access!).permissions, []);
  });

  it('the backend body is checked: unknown, repeated or too many permissions → 400', async () => {
    for (const permissions of [['admin'], ['clip', 'clip'], ['clip', 'snapshot', 'clip'], [1], {}]) {
      const r = await json(await api('/sessions/tok-room/token', { method: 'POST', json: { permissions }, headers: bearer(SECRET) }));
      assert.equal(r.status, 400, JSON.stringify(permissions));
    }
  });

  it('a screen token (forwarded by the backend) comes without a pass', async () => {
    const cam = await join('screen-room', ['clip']);
    const r = await json(await api('/sessions/screen-room/token', { method: 'POST', json: { screenGrant: cam.screenGrant }, headers: bearer(SECRET) }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.access, undefined);
  });

  it('the backend is not held to the per-address rate limit: it asks for all its visitors', async () => {
    for (let i = 0; i < RATE + 5; i++) await backendToken('rate-room', { name: `V${i}`, role: 'subscriber' });
  });
});

describe('BACKEND_SECRET: writes need the access pass of their room with the permission', () => {
  const room = 'w-room';
  let good: string;
  let clipId: string;
  let snapshotId: string;
  /** Bad credentials for a write needing `need`, by name. */
  let bad: (need: 'clip' | 'snapshot') => Record<string, Record<string, string>>;

  /** Every write route, with what it needs. */
  const writes = () =>
    [
      ['clip', 'POST', `/sessions/${room}/clips`, { name: 'Forged' }],
      ['clip', 'POST', `/clips/${clipId}/stop`],
      ['clip', 'PATCH', `/clips/${clipId}`, { name: 'Forged' }],
      ['clip', 'POST', `/clips/${clipId}/trim`, { start: 0, end: 1 }],
      ['clip', 'DELETE', `/clips/${clipId}/trim`],
      ['clip', 'POST', `/clips/${clipId}/share`, {}],
      ['clip', 'DELETE', `/clips/${clipId}/share`],
      ['clip', 'DELETE', `/clips/${clipId}`],
      ['clip', 'POST', `/sessions/${room}/replay`, {}],
      ['clip', 'DELETE', `/sessions/${room}/replay`],
      ['snapshot', 'POST', `/sessions/${room}/snapshots`],
      ['snapshot', 'DELETE', `/snapshots/${snapshotId}`],
    ] as const;
  const send = (method: string, p: string, body: unknown, headers: Record<string, string>) =>
    p.endsWith('/snapshots') && method === 'POST' ? upload(room, headers) : api(p, { method, headers, ...(body !== undefined && { json: body }) });

  before(async () => {
    const host = await join(room, ['clip', 'snapshot']);
    good = host.access!;
    const clip = await json(await api(`/sessions/${room}/clips`, { method: 'POST', json: { name: 'Mine' }, headers: bearer(good) }));
    assert.equal(clip.status, 201, JSON.stringify(clip.body));
    clipId = clip.body.id;
    const snap = await json(await upload(room, bearer(good)));
    assert.equal(snap.status, 201, JSON.stringify(snap.body));
    snapshotId = snap.body.id;

    const none = (await backendToken(room, { role: 'subscriber' })).access!;
    const clipOnly = (await backendToken(room, { role: 'subscriber', permissions: ['clip'] })).access!;
    const snapOnly = (await backendToken(room, { role: 'subscriber', permissions: ['snapshot'] })).access!;
    const otherRoom = (await backendToken('other-room', { permissions: ['clip', 'snapshot'] })).access!;
    const all = ['clip', 'snapshot'] as const;
    const forged = new AccessPasses({ secret: 'another-secret-0123456789-abcdefghijklmnop' }).issue({
      room,
      connectionId: host.connectionId,
      permissions: all,
    });
    const expired = new AccessPasses({ secret: SECRET, now: () => Date.now() - 13 * 3_600_000 }).issue({
      room,
      connectionId: host.connectionId,
      permissions: all,
    });
    bad = (need) => ({
      'no pass': {},
      'the pass without Bearer': { authorization: good },
      'the backend secret': bearer(SECRET),
      forged: bearer(forged),
      'altered permissions': bearer(altered(none, (c) => (c.p = ['clip', 'snapshot']))),
      'altered room': bearer(altered(otherRoom, (c) => (c.r = room))),
      'altered expiry': bearer(altered(good, (c) => (c.e = Date.now() + 10 * 365 * 86_400_000))),
      'signature cut': bearer(good.slice(0, -2)),
      'too long': bearer(`${good}${'A'.repeat(600)}`),
      expired: bearer(expired),
      'another room': bearer(otherRoom),
      'no permissions': bearer(none),
      'lacking the permission': bearer(need === 'clip' ? snapOnly : clipOnly),
    });
  });

  it('every write with a bad or missing pass: 403 OV_FORBIDDEN, and nothing happened', async () => {
    for (const [need, method, p, body] of writes()) {
      for (const [why, headers] of Object.entries(bad(need))) {
        const r = await json(await send(method, p, body, headers));
        assert.equal(r.status, 403, `${method} ${p} with ${why}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, 'OV_FORBIDDEN');
      }
    }
    // Reads stay open (no header at all), and show that nothing changed.
    const clips = await json(await api(`/sessions/${room}/clips`));
    assert.equal(clips.status, 200);
    assert.deepEqual(
      clips.body.clips.map((c: any) => [c.id, c.name, c.status]),
      [[clipId, 'Mine', 'recording']],
    );
    const snaps = await json(await api(`/sessions/${room}/snapshots`));
    assert.equal(snaps.status, 200);
    assert.deepEqual(
      snaps.body.snapshots.map((s: any) => s.id),
      [snapshotId],
    );
    assert.equal((await api(`/snapshots/${snapshotId}`)).status, 200);
    assert.equal((await json(await api(`/sessions/${room}/replay`))).body.state, 'off');
    assert.equal((await json(await api(`/clips/${clipId}`))).status, 200);
    assert.equal((await api('/health')).status, 200);
  });

  it('with the right pass every write goes through to its route', async () => {
    const h = bearer(good);
    const renamed = await json(await api(`/clips/${clipId}`, { method: 'PATCH', json: { name: 'Renamed' }, headers: h }));
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.name, 'Renamed');
    const stopped = await json(await api(`/clips/${clipId}/stop`, { method: 'POST', headers: h }));
    assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
    // The route, not the pass, decides these: the stub's clip is not ready, and REPLAY_SECONDS is 0 here.
    for (const [method, p, body, status] of [
      ['POST', `/clips/${clipId}/trim`, { start: 0, end: 1 }, 409],
      ['DELETE', `/clips/${clipId}/trim`, undefined, 200],
      ['POST', `/clips/${clipId}/share`, {}, 409],
      ['DELETE', `/clips/${clipId}/share`, undefined, 204],
      ['POST', `/sessions/${room}/replay`, {}, 409],
      ['DELETE', `/sessions/${room}/replay`, undefined, 200],
    ] as const) {
      const r = await send(method, p, body, h);
      assert.equal(r.status, status, `${method} ${p}: ${await r.text()}`);
    }
    assert.equal((await api(`/snapshots/${snapshotId}`, { method: 'DELETE', headers: h })).status, 204);
    assert.equal((await api(`/clips/${clipId}`, { method: 'DELETE', headers: h })).status, 204);
    assert.deepEqual((await json(await api(`/sessions/${room}/snapshots`))).body.snapshots, []);
  });
});
