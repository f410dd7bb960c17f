import { OvError } from './errors.js';
import type { OvErrorCode } from './types.js';

/** How a call site names its failures, and the access pass its writes carry. */
export interface FetchErrors {
  /** An HTTP error status, or an answer that is not JSON. */
  code: OvErrorCode;
  /** The server could not be reached, or the request was aborted (see the `cause`). Default `NETWORK`. */
  network?: OvErrorCode;
  /** A 403. Default `PERMISSION_DENIED`. */
  forbidden?: OvErrorCode;
  /** The server's error codes (its answer's `code`) kept as the OvError's code, e.g. `REPLAY_EMPTY`. */
  server?: readonly OvErrorCode[];
  /** How messages name the call. Default `${method} ${url}`. */
  what?: string;
  fetch?: typeof fetch;
  /**
   * An access pass: sent as `Authorization: Bearer <access>` when the request writes. Writes name their method;
   * reads name none (GET), so they never carry it.
   */
  access?: string;
}

/** A JSON request. */
export function json(method: string, body: object, signal?: AbortSignal): RequestInit {
  return { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal };
}

/** What to do with the JSON: return what the caller wants from it, or undefined when it is not that. */
export type ReadJson<T> = (body: unknown) => T | undefined;

/**
 * `fetch`, then what `read` makes of the JSON answer (by default the JSON itself, null refused), or an OvError: the
 * `network` code when the server cannot be reached (or `init.signal` aborted it), the server's own code when `server`
 * lists it, else `forbidden` for a 403, `code` for any other error status (with the server's `message`), an answer that is not JSON, or one `read` refuses. A 204 has
 * no JSON: `read` gets undefined. HTTP failures carry `status`.
 */
export async function fetchJson<T>(url: string, init: RequestInit, errors: FetchErrors, read: ReadJson<T> = (b) => (b ?? undefined) as T): Promise<T> {
  const what = errors.what ?? `${init.method ?? 'GET'} ${url}`;
  const fail = (code: OvErrorCode, text: string, status: number) => new OvError(code, what + text, { status });
  if (errors.access && init.method) init = { ...init, headers: { ...init.headers, authorization: `Bearer ${errors.access}` } };
  let res: Response;
  try {
    res = await (errors.fetch ?? fetch)(url, init);
  } catch (err) {
    throw new OvError(errors.network ?? 'NETWORK', `Could not reach ${what}: ${(err as Error)?.message ?? err}`, { cause: err });
  }
  let body: { message?: unknown; code?: unknown } | undefined;
  let json = res.status === 204;
  if (!json) {
    try {
      body = JSON.parse(await res.text()) as typeof body;
      json = true;
    } catch {
      /* not JSON */
    }
  }
  if (!res.ok) {
    const message = typeof body?.message === 'string' && body.message ? `: ${body.message}` : '';
    const code = errors.server?.find((c) => c === body?.code) ?? (res.status === 403 ? (errors.forbidden ?? 'PERMISSION_DENIED') : errors.code);
    throw fail(code, ` answered ${res.status}${message}`, res.status);
  }
  const value = json ? read(body) : undefined;
  if (value === undefined) throw fail(errors.code, ` answered ${res.status} without the expected JSON`, res.status);
  return value;
}
