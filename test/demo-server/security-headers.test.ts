// The security headers computed once (plugins/security-headers.ts) are exactly @fastify/helmet's, with the reference
// server's options and with helmet's defaults, on successes and on errors refused by a later hook.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import { referenceServerHeaders, securityHeadersPlugin } from '../../demo-server/src/plugins/security-headers.js';

/** The reference server's options (the same function app.ts uses). */
const serverOptions: FastifyHelmetOptions = referenceServerHeaders(false);

async function headersWith(plugin: 'helmet' | 'cached', options: FastifyHelmetOptions) {
  const app = Fastify({ logger: false });
  await app.register(plugin === 'helmet' ? helmet : securityHeadersPlugin, options);
  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/refused') return reply.code(403).send({ refused: true });
  });
  app.get('/ok', async () => ({ ok: true }));
  app.get('/refused', async () => ({ ok: true }));
  const out = [];
  for (const url of ['/ok', '/ok', '/refused', '/missing']) {
    const res = await app.inject({ url });
    const { date: _date, ...rest } = res.headers;
    out.push({ url, status: res.statusCode, headers: rest });
  }
  await app.close();
  return out;
}

describe('security headers computed once', () => {
  for (const [name, options] of [
    ['the reference server options', serverOptions],
    ["helmet's defaults", {}],
  ] as const) {
    it(`${name}: the same headers as @fastify/helmet on every answer (2xx, 403 from a hook, 404)`, async () => {
      const ours = await headersWith('cached', options);
      assert.deepEqual(ours, await headersWith('helmet', options));
      assert.ok(ours.every((r) => r.headers['content-security-policy'] && r.headers['x-content-type-options'] === 'nosniff'));
    });
  }

  it('refuses per-request values (nonces, directive functions): those need @fastify/helmet', async () => {
    const app = Fastify({ logger: false });
    await assert.rejects(async () => {
      await app.register(securityHeadersPlugin, { enableCSPNonces: true });
      await app.ready();
    }, /per-request/);
    const app2 = Fastify({ logger: false });
    await assert.rejects(async () => {
      await app2.register(securityHeadersPlugin, { contentSecurityPolicy: { directives: { scriptSrc: ["'self'", () => "'nonce-x'"] } } });
      await app2.ready();
    }, /per-request/);
  });
});
