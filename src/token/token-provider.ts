import { OvError, toOvError } from '../errors.js';
import type { TokenProvider, TokenRequest } from '../types.js';

export type { TokenProvider, TokenRequest };

/**
 * POSTs `{name, role}` to `url` and reads `{token}` (the reference server's `POST /api/sessions/:id/token`).
 * Every failure is an `OvError('TOKEN_FAILED')`; HTTP failures carry `status` and the server's message.
 * @example endpointTokenProvider('/api/sessions/demo/token', { headers: { authorization: 'Bearer …' } })
 */
export function endpointTokenProvider(url: string | ((request: TokenRequest) => string), init: RequestInit = {}): TokenProvider {
  return async (request) => {
    const target = typeof url === 'function' ? url(request) : url;
    let res: Response;
    try {
      res = await fetch(target, {
        ...init,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
        body: JSON.stringify({ name: request.name, role: request.role }),
      });
    } catch (err) {
      throw new OvError('TOKEN_FAILED', `Could not reach the token endpoint ${target}: ${(err as Error)?.message ?? err}`, { cause: err });
    }
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const serverMessage = typeof (body as { message?: unknown })?.message === 'string' ? `: ${(body as { message: string }).message}` : '';
      throw new OvError('TOKEN_FAILED', `The token endpoint ${target} answered ${res.status}${serverMessage}`, { status: res.status });
    }
    const token = (body as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || !token) {
      throw new OvError('TOKEN_FAILED', `The token endpoint ${target} answered ${res.status} without a {"token": "…"} JSON body`, { status: res.status });
    }
    return token;
  };
}

/** Wraps your own function; whatever it throws (or a non-string it returns) becomes `OvError('TOKEN_FAILED')`. */
export function functionTokenProvider(fn: (request: TokenRequest) => string | Promise<string>): TokenProvider {
  return async (request) => {
    let token: unknown;
    try {
      token = await fn(request);
    } catch (err) {
      const e = toOvError(err, 'TOKEN_FAILED');
      throw e.code === 'TOKEN_FAILED' ? e : new OvError('TOKEN_FAILED', e.message, { status: e.status, cause: err });
    }
    if (typeof token !== 'string' || !token) throw new OvError('TOKEN_FAILED', 'The token provider returned no token');
    return token;
  };
}

/** A token given as is. OpenVidu tokens are single use, so a second call (a re-join) rejects. */
export function literalTokenProvider(token: string): TokenProvider {
  let used = false;
  return async () => {
    if (!token) throw new OvError('TOKEN_FAILED', 'No token given');
    if (used) throw new OvError('TOKEN_FAILED', 'This token was already used: OpenVidu tokens are single use. Give a new token (or a token endpoint) to join again.');
    used = true;
    return token;
  };
}
