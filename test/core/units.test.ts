// Fast unit tests of the core with fakes: no server, no openvidu-browser.
import { expect } from '@open-wc/testing';
import { canShareScreen, isMobileDevice } from '../../src/capabilities.js';
import { Emitter } from '../../src/emitter.js';
import { OvError, toOvError } from '../../src/errors.js';
import { en, errorMessage, ko, pickLang, resolveStrings, format, participantCount } from '../../src/i18n/strings.js';
import { endpointTokenProvider, functionTokenProvider, literalTokenProvider } from '../../src/token/token-provider.js';
import { parseConnectionData } from '../../src/room/live-room.js';
import type { OvErrorCode } from '../../src/types.js';
import { rejection } from '../helpers/rejection.js';

const req = { session: 's', name: 'Ann', role: 'publisher' as const };

/** Replaces window.fetch for one test; returns the calls. */
function stubFetch(impl: (url: string, init?: RequestInit) => Promise<Response>) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const original = window.fetch;
  window.fetch = ((url: string, init?: RequestInit) => {
    calls.push({ url: String(url), init });
    return impl(String(url), init);
  }) as typeof fetch;
  return { calls, restore: () => (window.fetch = original) };
}

describe('token providers', () => {
  let stub: ReturnType<typeof stubFetch> | undefined;
  afterEach(() => {
    stub?.restore();
  });

  it('endpoint: POSTs {name, role} and returns the token', async () => {
    stub = stubFetch(async () => new Response(JSON.stringify({ token: 'tok' }), { status: 201 }));
    expect(await endpointTokenProvider('/t')(req)).to.equal('tok');
    expect(stub.calls[0].init?.method).to.equal('POST');
    expect(JSON.parse(stub.calls[0].init!.body as string)).to.deep.equal({ name: 'Ann', role: 'publisher' });
  });
  it('endpoint: a 500 is TOKEN_FAILED with status 500 and the server message', async () => {
    stub = stubFetch(async () => new Response(JSON.stringify({ message: 'Internal server error' }), { status: 500 }));
    const e = await rejection(endpointTokenProvider('/t')(req));
    expect(e).to.be.instanceOf(OvError);
    expect([e.code, e.status]).to.deep.equal(['TOKEN_FAILED', 500]);
    expect(e.message).to.contain('500').and.contain('Internal server error');
  });
  it('endpoint: a network error is TOKEN_FAILED without a status', async () => {
    stub = stubFetch(async () => {
      throw new TypeError('Failed to fetch');
    });
    const e = await rejection(endpointTokenProvider('/t')(req));
    expect(e.code).to.equal('TOKEN_FAILED');
    expect(e.status).to.equal(undefined);
    expect(e.message).to.contain('Could not reach');
  });
  it('endpoint: malformed JSON is TOKEN_FAILED with the status', async () => {
    stub = stubFetch(async () => new Response('<html>oops', { status: 200 }));
    const e = await rejection(endpointTokenProvider('/t')(req));
    expect([e.code, e.status]).to.deep.equal(['TOKEN_FAILED', 200]);
    expect(e.message).to.contain('token');
  });
  it('endpoint: returns {token, screenGrant} when the server gives a grant, and posts only {screenGrant} for the screen token', async () => {
    stub = stubFetch(async () => new Response(JSON.stringify({ token: 'tok', screenGrant: 'g1', connectionId: 'con_A' }), { status: 201 }));
    const p = endpointTokenProvider('/t');
    expect(await p({ ...req, kind: 'camera' })).to.deep.equal({ token: 'tok', screenGrant: 'g1' });
    await p({ ...req, kind: 'screen', screenGrant: 'g1' });
    expect(JSON.parse(stub.calls[1].init!.body as string)).to.deep.equal({ screenGrant: 'g1' });
    // No grant (a custom backend): the screen token is asked for like the camera's.
    await p({ ...req, kind: 'screen' });
    expect(JSON.parse(stub.calls[2].init!.body as string)).to.deep.equal({ name: 'Ann', role: 'publisher' });
  });
  it('function: a string or {token, screenGrant?} passes; anything else is TOKEN_FAILED', async () => {
    expect(await functionTokenProvider(() => ({ token: 't', screenGrant: 'g' }))(req)).to.deep.equal({ token: 't', screenGrant: 'g' });
    for (const bad of [{ token: '' }, { screenGrant: 'g' }, 42, null, { token: 7 }]) {
      expect((await rejection(functionTokenProvider(() => bad as never)(req))).code).to.equal('TOKEN_FAILED');
    }
  });
  it('function: errors and empty answers become TOKEN_FAILED', async () => {
    const boom = Object.assign(new Error('nope'), { status: 401 });
    const e = await rejection(functionTokenProvider(() => Promise.reject(boom))(req));
    expect([e.code, e.status, e.message]).to.deep.equal(['TOKEN_FAILED', 401, 'nope']);
    expect((await rejection(functionTokenProvider(() => '')(req))).code).to.equal('TOKEN_FAILED');
    expect(await functionTokenProvider(async (r) => `tok-${r.name}`)(req)).to.equal('tok-Ann');
  });
  it('literal: single use', async () => {
    const p = literalTokenProvider('abc');
    expect(await p(req)).to.equal('abc');
    const e = await rejection(p(req));
    expect(e.code).to.equal('TOKEN_FAILED');
    expect(e.message).to.contain('single use');
  });
});

describe('canShareScreen', () => {
  const gdm = { getDisplayMedia: () => undefined };
  const cases: [string, Parameters<typeof canShareScreen>[0], boolean][] = [
    [
      'desktop Chrome',
      {
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36',
        userAgentData: { mobile: false },
        maxTouchPoints: 0,
        mediaDevices: gdm,
      },
      true,
    ],
    [
      'iPhone UA',
      { userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148', maxTouchPoints: 5, mediaDevices: gdm },
      false,
    ],
    ['Android with UA-CH mobile', { userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', userAgentData: { mobile: true }, mediaDevices: gdm }, false],
    [
      'iPadOS as a touch Mac',
      {
        userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15',
        platform: 'MacIntel',
        maxTouchPoints: 5,
        mediaDevices: gdm,
      },
      false,
    ],
    [
      'a real Mac',
      { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1.15', platform: 'MacIntel', maxTouchPoints: 0, mediaDevices: gdm },
      true,
    ],
    ['missing getDisplayMedia', { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0', mediaDevices: {} }, false],
    ['no mediaDevices', { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0' }, false],
  ];
  for (const [name, nav, want] of cases) it(`${name} → ${want}`, () => expect(canShareScreen(nav)).to.equal(want));
  it('this headless desktop Chromium can', () => {
    expect(isMobileDevice()).to.equal(false);
    expect(canShareScreen()).to.equal(true);
  });
});

describe('Emitter', () => {
  it('on() returns off; once(); a throwing listener does not stop the others', async () => {
    const em = new Emitter<{ a: number }>();
    const seen: number[] = [];
    const off = em.on('a', (n) => seen.push(n));
    em.once('a', (n) => seen.push(n * 10));
    const onerror = window.onerror;
    let reported = false;
    window.onerror = () => ((reported = true), true);
    em.on('a', () => {
      throw new Error('listener bug');
    });
    em.emit('a', 1);
    off();
    em.emit('a', 2);
    await new Promise((r) => setTimeout(r, 0));
    window.onerror = onerror;
    expect(seen).to.deep.equal([1, 10]);
    expect(reported).to.equal(true);
    expect(em.listenerCount('a')).to.equal(1);
  });
});

describe('errors', () => {
  const table: [string, OvErrorCode][] = [
    ['DEVICE_ACCESS_DENIED', 'DEVICE_ACCESS_DENIED'],
    ['DEVICE_ALREADY_IN_USE', 'DEVICE_ACCESS_DENIED'],
    ['BROWSER_NOT_SUPPORTED', 'BROWSER_NOT_SUPPORTED'],
    ['INPUT_VIDEO_DEVICE_NOT_FOUND', 'DEVICE_NOT_FOUND'],
    ['INPUT_AUDIO_DEVICE_NOT_FOUND', 'DEVICE_NOT_FOUND'],
    ['SCREEN_CAPTURE_DENIED', 'SCREEN_SHARE_CANCELLED'],
    ['SCREEN_SHARING_NOT_SUPPORTED', 'SCREEN_SHARE_FAILED'],
    ['OPENVIDU_PERMISSION_DENIED', 'PERMISSION_DENIED'],
    ['SOMETHING_ELSE', 'CONNECT_FAILED'],
  ];
  for (const [name, code] of table) {
    it(`OpenViduError ${name} → ${code}`, () => {
      const e = toOvError({ name, message: 'm' }, 'CONNECT_FAILED');
      expect([e.code, e.message, e.name]).to.deep.equal([code, 'm', 'OvError']);
    });
  }
  // getDisplayMedia's DOMExceptions: only a refusal or a closed picker is a cancel; nothing to capture
  // (NotFoundError: Firefox with no screen, headless Firefox always) or a capture that broke is a failure, not a camera.
  const screen: [string, OvErrorCode, OvErrorCode][] = [
    ['NotFoundError', 'SCREEN_SHARE_CANCELLED', 'SCREEN_SHARE_FAILED'],
    ['NotFoundError', 'SCREEN_SHARE_FAILED', 'SCREEN_SHARE_FAILED'],
    ['NotReadableError', 'SCREEN_SHARE_CANCELLED', 'SCREEN_SHARE_FAILED'],
    ['OverconstrainedError', 'SCREEN_SHARE_FAILED', 'SCREEN_SHARE_FAILED'],
    ['InvalidStateError', 'SCREEN_SHARE_CANCELLED', 'SCREEN_SHARE_FAILED'],
    ['TypeError', 'SCREEN_SHARE_CANCELLED', 'SCREEN_SHARE_FAILED'],
    ['NotAllowedError', 'SCREEN_SHARE_FAILED', 'SCREEN_SHARE_CANCELLED'],
    ['NotAllowedError', 'SCREEN_SHARE_CANCELLED', 'SCREEN_SHARE_CANCELLED'],
    ['AbortError', 'SCREEN_SHARE_FAILED', 'SCREEN_SHARE_CANCELLED'],
    // The camera keeps its own codes.
    ['NotFoundError', 'DEVICE_ACCESS_DENIED', 'DEVICE_NOT_FOUND'],
    ['NotReadableError', 'DEVICE_ACCESS_DENIED', 'DEVICE_ACCESS_DENIED'],
    ['NotAllowedError', 'DEVICE_ACCESS_DENIED', 'DEVICE_ACCESS_DENIED'],
  ];
  for (const [name, fallback, code] of screen) {
    it(`DOMException ${name} with fallback ${fallback} → ${code}`, () => {
      const e = toOvError(new DOMException('The object can not be found here.', name), fallback);
      expect([e.code, e.message]).to.deep.equal([code, 'The object can not be found here.']);
    });
  }
  it('keeps an OvError as it is, and strings become messages', () => {
    const e = new OvError('CLIP_FAILED', 'x', { status: 409 });
    expect(toOvError(e)).to.equal(e);
    expect(toOvError('plain').message).to.equal('plain');
  });
});

describe('strings', () => {
  it('picks the element lang, then the document lang, then English', () => {
    expect(pickLang('ko-KR', 'en')).to.equal('ko');
    expect(pickLang(undefined, 'ko')).to.equal('ko');
    expect(pickLang('', 'fr')).to.equal('en');
    expect(pickLang(null, null)).to.equal('en');
  });
  it('resolves with overrides, ignoring unknown keys', () => {
    const s = resolveStrings('ko', { leave: 'Bye', nope: 'x' } as never);
    expect(s.leave).to.equal('Bye');
    expect(s.join).to.equal('참여');
    expect('nope' in s).to.equal(false);
    expect(resolveStrings('en')).to.equal(en);
  });
  it('Korean has every English key, none empty; every error code has a message', () => {
    expect(Object.keys(ko).sort()).to.deep.equal(Object.keys(en).sort());
    for (const v of [...Object.values(en), ...Object.values(ko)]) expect(v).to.be.a('string').and.not.equal('');
    expect(errorMessage(ko, 'TOKEN_FAILED')).to.equal(ko.errorTokenFailed);
    expect(format(en.clipReadyAnnouncement, { name: 'A' })).to.equal('Clip "A" is ready');
    expect(participantCount(en, 1)).to.equal('1 participant');
    expect(participantCount(ko, 3)).to.equal('참여자 3명');
  });
});

describe('parseConnectionData', () => {
  const both = (client: unknown, server: unknown) => `${JSON.stringify(client)}%/%${JSON.stringify(server)}`;
  it('takes name, role and the screen link from the server part', () => {
    expect(parseConnectionData(both({ clientData: 'me' }, { name: 'Server Ann', role: 'subscriber' }))).to.deep.equal({
      name: 'Server Ann',
      role: 'subscriber',
      screenOf: undefined,
    });
    expect(parseConnectionData(both({ clientData: 'Ann' }, { name: 'Ann', role: 'publisher', screenOf: 'con_A' }))).to.deep.equal({
      name: 'Ann',
      role: 'publisher',
      screenOf: 'con_A',
    });
  });
  it('ignores a screen link in client data', () => {
    expect(parseConnectionData(both({ clientData: 'me', screenOf: 'con_1' }, { name: 'Eve', role: 'publisher' })).screenOf).to.equal(undefined);
    // Without server data (OpenVidu then sends the client data alone) nothing links a screen either.
    expect(parseConnectionData('{"clientData":"me","screenOf":"con_1"}')).to.deep.equal({ name: 'me', role: undefined, screenOf: undefined });
    expect(parseConnectionData('{"name":"Ann","role":"publisher","screenOf":"con_1"}').screenOf).to.equal(undefined);
  });
  it("a client name never replaces the server's, even an empty or missing one", () => {
    expect(parseConnectionData(both({ clientData: 'Alice', name: 'Alice' }, { name: '', role: 'subscriber' })).name).to.equal('');
    expect(parseConnectionData(both({ clientData: 'Alice' }, { role: 'publisher' })).name).to.equal('');
    expect(parseConnectionData(both({ clientData: 'Alice', role: 'publisher' }, { name: 'Eve', role: 'subscriber' }))).to.deep.equal({
      name: 'Eve',
      role: 'subscriber',
      screenOf: undefined,
    });
    // No server data at all (a backend that sets none): the client's name is all there is.
    expect(parseConnectionData('{"clientData":"Alice"}').name).to.equal('Alice');
  });
  it('the server part is after the last separator: a client cannot forge one inside its own data', () => {
    const forged = `${JSON.stringify({ clientData: 'x' })}%/%${JSON.stringify({ name: 'Alice', screenOf: 'con_A' })}`;
    expect(parseConnectionData(`${forged}%/%${JSON.stringify({ name: 'Eve', role: 'subscriber' })}`)).to.deep.equal({
      name: 'Eve',
      role: 'subscriber',
      screenOf: undefined,
    });
    // The reference server escapes `%` in its JSON, so a name with the separator survives.
    expect(parseConnectionData(`{"clientData":"a"}%/%{"name":"a\\u0025/\\u0025b","role":"publisher"}`).name).to.equal('a%/%b');
    // Unreadable server data: nothing from it, and still nothing from the client.
    expect(parseConnectionData('{"clientData":"Alice"}%/%not json')).to.deep.equal({ name: '', role: undefined, screenOf: undefined });
    expect(parseConnectionData('garbage')).to.deep.equal({ name: '', role: undefined, screenOf: undefined });
    expect(parseConnectionData(undefined)).to.deep.equal({ name: '', role: undefined, screenOf: undefined });
  });
});
