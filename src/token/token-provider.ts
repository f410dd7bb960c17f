import { OvError, toOvError } from '../errors.js';
import { fetchJson } from '../http.js';
import type { TokenAnswer, TokenProvider, TokenRequest } from '../types.js';

export type { TokenAnswer, TokenProvider, TokenRequest };

/**
 * POSTs `{name, role}` to `url` and reads `{token, screenGrant?, access?}` (the reference server's
 * `POST /api/sessions/:id/token`, or a backend's route that asks it); a screen token with a grant POSTs
 * `{screenGrant}` instead. `url` is used as given (a query string such as a nonce stays).
 * Every failure is an `OvError('TOKEN_FAILED')`; HTTP failures carry `status` and the server's message.
 * @example endpointTokenProvider('/api/sessions/demo/token', { headers: { authorization: 'Bearer …' } })
 */
export function endpointTokenProvider(url: string | ((request: TokenRequest) => string), init: RequestInit = {}): TokenProvider {
  return async (request) => {
    const target = typeof url === 'function' ? url(request) : url;
    const answer = await fetchJson(
      target,
      {
        ...init,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
        body: JSON.stringify(request.screenGrant ? { screenGrant: request.screenGrant } : { name: request.name, role: request.role }),
        signal: request.signal ?? init.signal,
      },
      { code: 'TOKEN_FAILED', network: 'TOKEN_FAILED', forbidden: 'TOKEN_FAILED', what: `the token endpoint ${target}` },
      readAnswer,
    );
    return answer.screenGrant || answer.access ? answer : answer.token;
  };
}

/**
 * A token string or `{token, screenGrant?, access?}` → `{token, screenGrant?, access?}` (only non-empty strings kept);
 * anything else → undefined.
 */
export function readAnswer(value: unknown): TokenAnswer | undefined {
  const v = (typeof value === 'string' ? { token: value } : value) as Record<string, unknown> | undefined;
  if (typeof v?.token !== 'string' || !v.token) return undefined;
  const answer: TokenAnswer = { token: v.token };
  for (const k of ['screenGrant', 'access'] as const) if (typeof v[k] === 'string' && v[k]) answer[k] = v[k];
  return answer;
}

/**
 * Wraps your own function (returning a token, or `{token, screenGrant?, access?}`); whatever it throws (or anything else it
 * returns) becomes `OvError('TOKEN_FAILED')`.
 */
export function functionTokenProvider(fn: (request: TokenRequest) => string | TokenAnswer | Promise<string | TokenAnswer>): TokenProvider {
  return async (request) => {
    let value: unknown;
    try {
      value = await fn(request);
    } catch (err) {
      const e = toOvError(err, 'TOKEN_FAILED');
      throw e.code === 'TOKEN_FAILED' ? e : new OvError('TOKEN_FAILED', e.message, { status: e.status, cause: err });
    }
    if (!readAnswer(value)) throw new OvError('TOKEN_FAILED', 'The token provider returned no token');
    return value as string | TokenAnswer;
  };
}

/** Asks `provider` for a token: `{token, screenGrant?, access?}`, or a rejection with TOKEN_FAILED (as functionTokenProvider's). */
export async function requestToken(provider: TokenProvider, request: TokenRequest): Promise<TokenAnswer> {
  return readAnswer(await functionTokenProvider(provider)(request))!;
}

/** A token given as is. OpenVidu tokens are single use, so a second call (a re-join) rejects. */
export function literalTokenProvider(token: string): TokenProvider {
  let used = false;
  return async () => {
    if (!token) throw new OvError('TOKEN_FAILED', 'No token given');
    if (used)
      throw new OvError('TOKEN_FAILED', 'This token was already used: OpenVidu tokens are single use. Give a new token (or a token endpoint) to join again.');
    used = true;
    return token;
  };
}
