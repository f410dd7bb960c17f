/**
 * Basic auth and CORS preflight on the REST API (protocol §6).
 *
 * Run: npm test -- test/embedded-openvidu/rest/auth-cors.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useRestTarget, target, api, assertJsonError } from '../../helpers/ov-rest.js';

useRestTarget();

describe('Basic auth and CORS', () => {
  test('missing or wrong credentials → 401 with WWW-Authenticate: Basic', async () => {
    const cases: Array<[string, string | false]> = [
      ['no Authorization header', false],
      ['wrong secret', 'Basic ' + Buffer.from('OPENVIDUAPP:wrong').toString('base64')],
      ['wrong user', 'Basic ' + Buffer.from(`SOMEONE:${target.secret}`).toString('base64')],
      ['no colon', 'Basic ' + Buffer.from(`OPENVIDUAPP${target.secret}`).toString('base64')],
      ['not base64', 'Basic !!!!'],
      ['Bearer scheme', `Bearer ${target.secret}`],
      ['secret in clear', `Basic OPENVIDUAPP:${target.secret}`],
    ];
    for (const [what, auth] of cases) {
      for (const [m, p] of [
        ['GET', '/sessions'],
        ['POST', '/sessions'],
        ['GET', '/config'],
        ['GET', '/recordings'],
        ['DELETE', '/sessions/x'],
      ] as const) {
        const r = await api(m, p, m === 'POST' ? {} : undefined, { auth });
        assertJsonError(r, 401, `${what}: ${m} ${p}`);
        assert.match(String(r.headers['www-authenticate']), /^Basic/i, `${what}: ${m} ${p} WWW-Authenticate`);
      }
    }
    const ok = await api('GET', '/sessions');
    assert.equal(ok.status, 200);
  });

  test('CORS preflight OPTIONS with Origin → 200 and the allow headers, no auth needed', async () => {
    const origin = 'https://app.example.com';
    for (const p of ['/sessions', '/sessions/any/connection', '/recordings/start', '/signal', '/config']) {
      const r = await api('OPTIONS', p, undefined, {
        auth: false,
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
      });
      assert.equal(r.status, 200, `OPTIONS ${p}`);
      assert.ok([origin, '*'].includes(String(r.headers['access-control-allow-origin'])), `allow-origin for ${p}: ${r.headers['access-control-allow-origin']}`);
      const methods = String(r.headers['access-control-allow-methods']).toUpperCase();
      for (const m of ['GET', 'POST', 'DELETE']) assert.ok(methods.includes(m), `allow-methods has ${m}: ${methods}`);
      const allowHeaders = String(r.headers['access-control-allow-headers']).toLowerCase();
      assert.ok(allowHeaders === '*' || (allowHeaders.includes('authorization') && allowHeaders.includes('content-type')), `allow-headers: ${allowHeaders}`);
      // CE allows every origin but no credentials: a reflected origin with credentials would let any site use them.
      assert.notEqual(r.headers['access-control-allow-credentials'], 'true', `no credentials for ${p}`);
    }
    // Actual requests carry the allow-origin header too, error responses included.
    const g = await api('GET', '/sessions', undefined, { headers: { Origin: origin } });
    assert.equal(g.status, 200);
    assert.ok([origin, '*'].includes(String(g.headers['access-control-allow-origin'])));
    const e = await api('GET', '/sessions', undefined, { auth: false, headers: { Origin: origin } });
    assert.equal(e.status, 401);
    assert.ok([origin, '*'].includes(String(e.headers['access-control-allow-origin'])), 'a 401 is still readable cross-origin');
  });
});
