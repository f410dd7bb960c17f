// The gateway's transport to OpenVidu (its first layer, see openvidu-gateway.ts): the node client, kept-alive plain
// REST for the calls where the node client costs too much, the gateway's timeout and OpenVidu's errors as ApiErrors.
import http from 'node:http';
import https from 'node:https';
import { OpenVidu } from 'openvidu-node-client';
import { ApiError, errors } from '../errors.js';
import type { GatewayOptions } from './openvidu-gateway.js';

/** An answer from OpenVidu's REST API larger than this is refused (a session or a connection is a few KB). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** The HTTP status the node client rejected with (`Error("404")`), or undefined for a network failure. */
export function statusOf(err: unknown): number | undefined {
  const n = Number((err as Error)?.message);
  return Number.isInteger(n) && n >= 100 && n < 600 ? n : undefined;
}

export abstract class OpenViduRest {
  protected readonly ov: OpenVidu;
  protected readonly basicAuth: string;
  /** Kept-alive connections to OpenVidu for the token route's calls. */
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;
  /** OpenVidu's host and port, as `http.request` options (a path in its URL is not used, as before). */
  private readonly target: { protocol: string; hostname: string; port: string };

  constructor(readonly opts: GatewayOptions) {
    this.ov = new OpenVidu(opts.url, opts.secret);
    this.basicAuth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${opts.secret}`).toString('base64');
    const url = new URL(opts.url);
    const secure = url.protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.client = secure ? https : http;
    // `[::1]` in a URL, `::1` for a socket.
    this.target = { protocol: url.protocol, hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port || (secure ? '443' : '80') };
  }

  /** Run one OpenVidu call with the gateway's timeout; network failures and timeouts become 503. */
  protected async call<T>(fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(errors.unavailable()), this.opts.timeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (statusOf(err) === undefined) throw errors.unavailable();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * POST JSON to OpenVidu's REST API and read its JSON answer, over kept-alive connections. For the token route's
   * calls: per call, `http.request` costs less than half the CPU of the node client's axios, and about a third of
   * `fetch`'s (a token is one call). Any status outside `ok` rejects as the node client does (`Error("<status>")`), so `statusOf` and
   * `mapError` read it the same way; a network failure rejects with another message (→ 503).
   */
  protected post(path: string, payload: unknown, ok: number[]): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
    return this.rest('POST', path, payload, ok);
  }

  /**
   * `post`, for any method; a GET sends no body. `maxBytes`: the largest answer read. The gateway's timeout is
   * enforced here (one timer that destroys the request, so its socket is not left waiting): a timeout rejects with
   * the 503 `call` gives, so callers need not wrap these calls in `call`.
   */
  protected rest(
    method: 'GET' | 'POST',
    path: string,
    payload: unknown,
    ok: number[],
    maxBytes = MAX_ANSWER_BYTES,
    retried = false,
  ): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
    const data = method === 'GET' ? '' : JSON.stringify(payload);
    const headers: Record<string, string | number> =
      method === 'GET'
        ? { Authorization: this.basicAuth }
        : { Authorization: this.basicAuth, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) };
    return new Promise((resolve, reject) => {
      // Per call, the host and port parsed once and a plain timer: a URL and an `AbortSignal.timeout` per token
      // cost more than the rest of this function.
      const req = this.client.request({ ...this.target, path, method, agent: this.agent, headers }, (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > maxBytes) return req.destroy(new Error('answer too large'));
          chunks.push(d);
        });
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          if (!ok.includes(status)) return reject(new Error(String(status)));
          let body: Record<string, unknown> | undefined;
          try {
            const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
            body = JSON.parse(text || 'null') ?? undefined;
          } catch {
            body = undefined;
          }
          resolve({ status, body });
        });
      });
      const timer = setTimeout(() => req.destroy(errors.unavailable()), this.opts.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // A kept-alive socket OpenVidu closed as we reused it: once more on a new one (at worst an unused token).
        if (!retried && req.reusedSocket && err.code === 'ECONNRESET') resolve(this.rest(method, path, payload, ok, maxBytes, true));
        else reject(err);
      });
      req.end(data);
    });
  }

  protected mapError(err: unknown, what: 'session' | 'clip' | 'recording', id: string): Error {
    if (err instanceof ApiError) return err;
    const s = statusOf(err);
    if (s === undefined) return errors.unavailable();
    if (s === 404) {
      if (what === 'clip') this.opts.onClipGone?.(id);
      return errors.notFound(what, id);
    }
    if (s === 401) return new ApiError(502, 'OV_OPENVIDU_AUTH', 'The server is misconfigured: OpenVidu rejected its secret');
    if (s === 501) return new ApiError(501, 'OV_RECORDING_DISABLED', 'Recording is disabled on the OpenVidu server');
    return new ApiError(502, 'OV_OPENVIDU_ERROR', `OpenVidu answered ${s}`);
  }
}
