// The screen grant of the token route: a publisher's camera token comes with a signed, expiring grant bound to its
// room, connection and server-side name; a screen token (server data `{name, role, screenOf}`) is minted only
// against a valid grant whose owner is connected. Everything else is refused with OV_SCREEN_GRANT_INVALID.
// Real HTTP against the reference server on an embedded OpenVidu; owners join over the real JSON-RPC socket.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../demo-server/src/app.js';
import { loadConfig } from '../../demo-server/src/config.js';
import { ScreenGrants } from '../../demo-server/src/services/screen-grant.js';
import { startEmbeddedOpenVidu, type EmbeddedOpenVidu } from '../../demo-server/embedded-openvidu/index.js';
import { RpcClient } from '../helpers/rpc-client.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const SECRET = 'IDENTITY_TEST_SECRET_q7';

let ov: EmbeddedOpenVidu;
let dataDir: string;
let app: FastifyInstance;
let base: string;
const clients: RpcClient[] = [];
let seq = 0;
const room = () => `ident-${Date.now().toString(36)}-${++seq}`;

interface Res {
  status: number;
  json: any;
}
async function post(url: string, body: unknown): Promise<Res> {
  const res = await fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}
const token = (session: string, body: unknown) => post(`/api/sessions/${session}/token`, body);

/** A camera token, joined over the real socket: the grant's owner is then an active connection. */
async function owner(session: string, name = 'Ann') {
  const res = await token(session, { name });
  assert.equal(res.status, 201, JSON.stringify(res.json));
  const c = await RpcClient.connect(res.json.token);
  clients.push(c);
  await c.join(res.json.token, JSON.stringify({ clientData: name }));
  return { ...res.json, client: c } as { token: string; connectionId: string; screenGrant: string; client: RpcClient };
}

/** OpenVidu's own view of a connection (its REST API, with the secret): serverData is what everyone receives. */
async function connectionOf(session: string, connectionId: string) {
  const res = await fetch(`${ov.url}/openvidu/api/sessions/${session}/connection/${connectionId}`, {
    headers: { authorization: 'Basic ' + Buffer.from(`OPENVIDUAPP:${SECRET}`).toString('base64') },
  });
  assert.equal(res.status, 200);
  return (await res.json()) as { serverData: string; role: string; status: string };
}

function refused(res: Res, what: string) {
  assert.ok(res.status === 403 || res.status === 400, `${what}: ${res.status} ${JSON.stringify(res.json)}`);
  assert.equal(res.json.code, 'OV_SCREEN_GRANT_INVALID', `${what}: ${JSON.stringify(res.json)}`);
  assert.equal(res.json.token, undefined);
}

/** The grant's parts: `v1.<payload>.<signature>`, payload base64url JSON. */
function parts(grant: string) {
  const [v, payload, sig] = grant.split('.');
  return { v, claims: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>, sig };
}
const rebuild = (v: string, claims: unknown, sig: string) => `${v}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;

describe('screen grants: identity comes from the server', () => {
  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ov-identity-'));
    ov = await startEmbeddedOpenVidu({ port: 0, secret: SECRET, recordingPath: path.join(dataDir, 'recordings'), logger: quiet });
    const config = loadConfig({ DATA_DIR: dataDir, OPENVIDU_URL: ov.url, OPENVIDU_SECRET: SECRET, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000' });
    app = await buildApp({ config, logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const c of clients) c.close();
    await app?.close();
    await ov?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a publisher gets a grant with its camera token, a subscriber none', async () => {
    const session = room();
    const pub = await token(session, { name: 'Ann' });
    assert.equal(pub.status, 201);
    assert.equal(typeof pub.json.screenGrant, 'string');
    assert.deepEqual(Object.keys(pub.json).sort(), ['connectionId', 'screenGrant', 'sessionId', 'token']);
    const sub = await token(session, { name: 'Sue', role: 'subscriber' });
    assert.equal(sub.status, 201);
    assert.equal(sub.json.screenGrant, undefined);
    // The camera connections carry no screen marker.
    for (const r of [pub, sub]) assert.equal(JSON.parse((await connectionOf(session, r.json.connectionId)).serverData).screenOf, undefined);
  });

  it('a valid grant mints a publisher token whose server data links it to its owner, and no further grant', async () => {
    const session = room();
    const ann = await owner(session, 'Ann 🎥 %/% "quoted"');
    const res = await token(session, { screenGrant: ann.screenGrant });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.equal(res.json.sessionId, session);
    assert.equal(res.json.screenGrant, undefined, 'a screen token brings no grant of its own');
    assert.notEqual(res.json.connectionId, ann.connectionId);
    const c = await connectionOf(session, res.json.connectionId);
    assert.equal(c.role, 'PUBLISHER');
    assert.deepEqual(JSON.parse(c.serverData), { name: 'Ann 🎥 %/% "quoted"', role: 'publisher', screenOf: ann.connectionId });
    // The separator never appears inside server data, so `client%/%server` splits on its last separator.
    assert.ok(!c.serverData.includes('%/%'), c.serverData);
    // Sharing again (stop, start) uses the same grant.
    assert.equal((await token(session, { screenGrant: ann.screenGrant })).status, 201);
    // The screen connection joins like any other, and everyone receives its server data.
    const s = await RpcClient.connect(res.json.token);
    clients.push(s);
    await s.join(res.json.token, JSON.stringify({ clientData: 'Ann', screenOf: 'con_SOMEONE_ELSE' }));
    const joined = await ann.client.waitFor('participantJoined', (p) => p.id === res.json.connectionId);
    const metadata = String(joined.metadata);
    assert.deepEqual(JSON.parse(metadata.slice(metadata.lastIndexOf('%/%') + 3)).screenOf, ann.connectionId);
  });

  it('forged, tampered, expired, foreign-room and wrong-connection grants are refused', async () => {
    const session = room();
    const ann = await owner(session);
    const bob = await owner(session, 'Bob');
    const { v, claims, sig } = parts(ann.screenGrant);

    refused(await token(session, { screenGrant: 'x' }), 'garbage');
    refused(await token(session, { screenGrant: 1 }), 'a number (coerced to "1" like every scalar)');
    refused(await token(session, { screenGrant: `v1.${Buffer.from('{}').toString('base64url')}.${'A'.repeat(43)}` }), 'unsigned');
    refused(await token(session, { screenGrant: rebuild(v, claims, parts(bob.screenGrant).sig) }), "another grant's signature");
    refused(await token(session, { screenGrant: rebuild(v, { ...claims, n: 'Bob' }, sig) }), 'tampered name');
    refused(await token(session, { screenGrant: rebuild(v, { ...claims, c: bob.connectionId }, sig) }), 'tampered connection');
    refused(await token(session, { screenGrant: rebuild(v, { ...claims, e: Date.now() + 86_400_000 }, sig) }), 'tampered expiry');
    refused(await token(session, { screenGrant: ann.screenGrant.slice(0, -2) }), 'truncated signature');
    // Signed with another server's key (another secret).
    refused(
      await token(session, {
        screenGrant: new ScreenGrants({ secret: 'another secret' }).issue({ sessionId: session, connectionId: ann.connectionId, name: 'Ann' }),
      }),
      'another key',
    );

    // Correctly signed (same secret), but expired.
    const past = new ScreenGrants({ secret: SECRET, now: () => Date.now() - 13 * 3_600_000 });
    const expired = await token(session, { screenGrant: past.issue({ sessionId: session, connectionId: ann.connectionId, name: 'Ann' }) });
    refused(expired, 'expired');
    assert.match(expired.json.message, /expired/i);

    // Another room's grant.
    const other = room();
    await owner(other, 'Olly');
    const foreign = await token(other, { screenGrant: ann.screenGrant });
    refused(foreign, 'grant of another room');

    // Correctly signed for a connection that is not in the room (never joined, or left).
    const signer = new ScreenGrants({ secret: SECRET });
    refused(await token(session, { screenGrant: signer.issue({ sessionId: session, connectionId: 'con_NOSUCHCONNX', name: 'Ann' }) }), 'unknown connection');
    const pending = await token(session, { name: 'Pat' });
    refused(await token(session, { screenGrant: pending.json.screenGrant }), 'owner never connected');
    await bob.client.request('leaveRoom');
    await ann.client.waitFor('participantLeft', (p) => p.connectionId === bob.connectionId);
    refused(await token(session, { screenGrant: bob.screenGrant }), 'owner left');

    // Ann's own grant still works after all that.
    assert.equal((await token(session, { screenGrant: ann.screenGrant })).status, 201);
  });

  it('the longest grant (a 100-character name of control characters) fits the schema', async () => {
    const session = room();
    const name = '\u0001'.repeat(100);
    const res = await token(session, { name });
    assert.equal(res.status, 201);
    const c = await RpcClient.connect(res.json.token);
    clients.push(c);
    await c.join(res.json.token, '{}');
    const screen = await token(session, { screenGrant: res.json.screenGrant });
    assert.equal(screen.status, 201, JSON.stringify(screen.json));
    assert.equal(JSON.parse((await connectionOf(session, screen.json.connectionId)).serverData).name, name);
  });

  it('the body is either {name, role} or {screenGrant}: mixing or malformed → 400', async () => {
    const session = room();
    const ann = await owner(session);
    for (const body of [
      { screenGrant: ann.screenGrant, name: 'Eve' },
      { screenGrant: ann.screenGrant, role: 'publisher' },
      { screenGrant: '' },
      { screenGrant: 'x'.repeat(5000) },
      { screenGrant: ann.screenGrant, screenOf: 'con_X' },
      { screenOf: ann.connectionId },
      { name: 'Eve', screenOf: ann.connectionId },
    ]) {
      const res = await token(session, body);
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)} → ${res.status} ${JSON.stringify(res.json)}`);
      assert.equal(res.json.token, undefined);
    }
  });
});
