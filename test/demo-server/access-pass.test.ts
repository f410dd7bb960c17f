// Access passes and backendAuthorize without a network: the pass itself (tampering, keys, expiry, length), Bearer
// parsing, the token route's body with and without BACKEND_SECRET, and a host hook composed with the backend's.
// Apps run with app.inject against an OpenVidu address that never answers: nothing here needs one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../demo-server/src/app.js';
import { loadConfig } from '../../demo-server/src/config.js';
import type { Authorize } from '../../demo-server/src/plugins/authorize.js';
import { backendAuthorize } from '../../demo-server/src/plugins/backend-authorize.js';
import { ACCESS_PASS_MAX_LENGTH, AccessPassError, AccessPasses } from '../../demo-server/src/services/access-pass.js';
import { pngHeader } from '../helpers/image-headers.js';

const SECRET = 'backend-secret-0123456789-abcdefghijklmnop';
let tmp: string;
const apps: FastifyInstance[] = [];

async function makeApp(env: Record<string, string>, authorize?: Authorize): Promise<FastifyInstance> {
  const dir = await mkdtemp(path.join(tmp, 'app-'));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', OPENVIDU_URL: 'http://127.0.0.1:9', OPENVIDU_SECRET: 'x', ...env });
  const app = await buildApp({ config, logger: false, authorize });
  apps.push(app);
  return app;
}
const token = (app: FastifyInstance, body: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/api/sessions/room-a/token', payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
const upload = (app: FastifyInstance, room: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: `/api/sessions/${room}/snapshots`, payload: pngHeader(64, 48), headers: { 'content-type': 'image/png', ...headers } });

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ov-access-'));
});
after(async () => {
  for (const app of apps) await app.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('access passes', () => {
  const passes = new AccessPasses({ secret: SECRET, seconds: 60 });
  const reason = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof AccessPassError);
      assert.equal(err.statusCode, 403);
      assert.equal(err.code, 'OV_FORBIDDEN');
      return err.reason;
    }
    assert.fail('accepted');
  };

  it('round trip: claims back, permissions sorted and unique; another key, tampering, expiry and junk refused', () => {
    const pass = passes.issue({ room: 'r', connectionId: 'con_1', permissions: ['snapshot', 'clip', 'snapshot'] });
    const c = passes.verify(pass);
    assert.deepEqual([c.room, c.connectionId, c.permissions], ['r', 'con_1', ['clip', 'snapshot']]);
    assert.equal(
      reason(() => new AccessPasses({ secret: `${SECRET}!` }).verify(pass)),
      'bad signature',
    );
    const [v, payload, sig] = pass.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const other = Buffer.from(JSON.stringify({ ...claims, r: 's' })).toString('base64url');
    assert.equal(
      reason(() => passes.verify(`${v}.${other}.${sig}`)),
      'bad signature',
    );
    assert.equal(
      reason(() => passes.verify(`a0.${payload}.${sig}`)),
      'malformed',
    );
    assert.equal(
      reason(() => passes.verify(`${pass}.x`)),
      'malformed',
    );
    assert.equal(
      reason(() => passes.verify('')),
      'malformed',
    );
    assert.equal(
      reason(() => passes.verify(pass + 'A'.repeat(ACCESS_PASS_MAX_LENGTH))),
      'too long',
    );
    const old = new AccessPasses({ secret: SECRET, seconds: 60, now: () => Date.now() - 61_000 });
    assert.equal(
      reason(() => passes.verify(old.issue({ room: 'r', connectionId: 'c', permissions: [] }))),
      'expired',
    );
    // Validly signed (the key derived as the server does) but with claims this server does not know: refused.
    const key = Buffer.from(hkdfSync('sha256', SECRET, 'ov-live-elements', 'access-pass v1', 32));
    const signed = (p: object) => {
      const body = Buffer.from(JSON.stringify(p)).toString('base64url');
      return `a1.${body}.${createHmac('sha256', key).update(`a1.${body}`).digest('base64url')}`;
    };
    assert.equal(passes.verify(signed({ ...claims, p: ['clip'] })).permissions.join(), 'clip', 'the test signs as the server does');
    assert.equal(
      reason(() => passes.verify(signed({ ...claims, p: ['admin'] }))),
      'malformed',
    );
    assert.equal(
      reason(() => passes.verify(signed({ ...claims, p: 'clip' }))),
      'malformed',
    );
    assert.equal(
      reason(() => passes.verify(signed({ ...claims, e: String(claims.e) }))),
      'malformed',
    );
  });

  it('the longest room id, connection id and both permissions fit the bound', () => {
    const pass = passes.issue({ room: 'r'.repeat(64), connectionId: `con_${'x'.repeat(40)}`, permissions: ['clip', 'snapshot'] });
    assert.ok(pass.length < ACCESS_PASS_MAX_LENGTH, String(pass.length));
  });
});

describe('backendAuthorize in an app (no network)', () => {
  it('Bearer: the scheme in any case and extra spaces; a snapshot write with a pass of its room; 403 for one that does not exist', async () => {
    const app = await makeApp({ BACKEND_SECRET: SECRET });
    const pass = new AccessPasses({ secret: SECRET }).issue({ room: 'room-a', connectionId: 'con_1', permissions: ['snapshot'] });
    assert.equal((await upload(app, 'room-a')).statusCode, 403);
    for (const authorization of [`Bearer ${pass}`, `bearer  ${pass} `, `BEARER ${pass}`])
      assert.equal((await upload(app, 'room-a', { authorization })).statusCode, 201);
    assert.equal((await upload(app, 'room-b', { authorization: `Bearer ${pass}` })).statusCode, 403);
    // A snapshot that does not exist has no room to check the pass against.
    const gone = await app.inject({ method: 'DELETE', url: '/api/snapshots/nope', headers: { authorization: `Bearer ${pass}` } });
    assert.equal(gone.statusCode, 403);
    assert.equal(JSON.parse(gone.body).code, 'OV_FORBIDDEN');
  });

  it('without BACKEND_SECRET the token body is as before: permissions → 400, and the docs show no access', async () => {
    const app = await makeApp({});
    const r = await token(app, { name: 'A', permissions: ['clip'] });
    assert.equal(r.statusCode, 400, r.body);
    const doc = JSON.parse((await app.inject('/api/openapi.json')).body);
    const op = JSON.stringify(doc.paths['/api/sessions/{sessionId}/token'].post);
    assert.doesNotMatch(op, /permissions|access/);
  });

  it('a host hook replaces the built-in one; composed, both must allow; only the secret grants permissions', async () => {
    const mine: Authorize = (request) => request.headers['x-site'] === 'yes';
    const backend = backendAuthorize({ secret: SECRET });
    const app = await makeApp({ BACKEND_SECRET: SECRET }, async (req, action, res) => (await mine(req, action, res)) && (await backend(req, action, res)));
    const pass = new AccessPasses({ secret: SECRET }).issue({ room: 'room-a', connectionId: 'c', permissions: ['snapshot'] });
    assert.equal((await upload(app, 'room-a', { authorization: `Bearer ${pass}` })).statusCode, 403, 'host hook refuses');
    assert.equal((await upload(app, 'room-a', { 'x-site': 'yes' })).statusCode, 403, 'no pass');
    assert.equal((await upload(app, 'room-a', { 'x-site': 'yes', authorization: `Bearer ${pass}` })).statusCode, 201);
    assert.equal((await token(app, { name: 'A' }, { 'x-site': 'yes' })).statusCode, 403, 'no secret');
    // A host hook that lets anyone ask for tokens: permissions still need the backend's secret.
    const open = await makeApp({ BACKEND_SECRET: SECRET }, () => true);
    const r = await token(open, { name: 'A', permissions: ['clip'] });
    assert.equal(r.statusCode, 403, r.body);
    assert.equal(JSON.parse(r.body).code, 'OV_FORBIDDEN');
  });
});
