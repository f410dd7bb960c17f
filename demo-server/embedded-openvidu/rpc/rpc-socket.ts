import type { WebSocket } from 'ws';
import type { OpenViduCore } from '../core.js';
import type { Connection, RpcPeer } from '../model.js';
import { RpcCodes, RpcError } from '../errors.js';
import { newRpcSessionId } from '../ids.js';
import { handlers, Reply, type RpcContext } from './methods.js';

/** Frames bigger than this are refused (an SDP offer is a few KB). */
export const MAX_FRAME_BYTES = 256 * 1024;
const DEFAULT_PING_INTERVAL_MS = 5000;

/**
 * One WebSocket speaking OpenVidu's JSON-RPC 2.0 (protocol §2.1): responses echo `id` and carry the rpc session id,
 * notifications have no `id`, malformed frames are answered with a JSON-RPC error instead of closing the socket.
 */
export class RpcSocket implements RpcPeer, RpcContext {
  rpcSessionId = newRpcSessionId();
  connection?: Connection;
  private pingWatchdog?: NodeJS.Timeout;
  private pingIntervalMs = DEFAULT_PING_INTERVAL_MS;
  private closed = false;

  constructor(
    readonly ws: WebSocket,
    readonly core: OpenViduCore,
    readonly remoteAddress: string,
  ) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return this.sendError(null, new RpcError(RpcCodes.INVALID_REQUEST, 'Binary frames are not supported'));
      void this.onFrame(data.toString());
    });
    ws.on('close', () => this.onClose());
    ws.on('error', () => {});
  }

  private async onFrame(text: string) {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return this.sendError(null, new RpcError(RpcCodes.PARSE_ERROR, 'Parse error'));
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return this.sendError(null, new RpcError(RpcCodes.INVALID_REQUEST, 'Invalid request'));
    const m = msg as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
    const id = typeof m.id === 'number' || typeof m.id === 'string' ? m.id : null;
    // Like the Kurento JSON-RPC library, frames that are not JSON-RPC 2.0 requests are dropped.
    if (m.jsonrpc !== '2.0' || typeof m.method !== 'string') return;
    if (m.params !== undefined && (typeof m.params !== 'object' || m.params === null || Array.isArray(m.params))) {
      return this.sendError(id, new RpcError(RpcCodes.INVALID_PARAMS, 'params must be an object'));
    }
    const handler = Object.hasOwn(handlers, m.method) ? handlers[m.method] : undefined;
    if (!handler) return this.sendError(id, new RpcError(RpcCodes.METHOD_NOT_FOUND, `Method not found: ${m.method}`));
    try {
      const out = await handler(this, (m.params ?? {}) as Record<string, unknown>);
      const reply = out instanceof Reply ? out : new Reply(out);
      if (id !== null) this.sendResult(id, reply.result ?? {});
      reply.after?.();
    } catch (err) {
      if (err instanceof RpcError) return this.sendError(id, err);
      this.core.log.error(`rpc ${m.method} failed: ${(err as Error).stack ?? err}`);
      this.sendError(id, new RpcError(RpcCodes.TRANSPORT_ERROR, `Internal error in ${m.method}`));
    }
  }

  /** The Kurento JSON-RPC server injects the rpc session id into every object result. */
  private sendResult(id: number | string, result: unknown) {
    const r = result && typeof result === 'object' && !Array.isArray(result) ? { ...(result as object), sessionId: this.rpcSessionId } : { value: result, sessionId: this.rpcSessionId };
    this.send({ jsonrpc: '2.0', id, result: r });
  }

  private sendError(id: number | string | null, err: RpcError) {
    const error: Record<string, unknown> = { code: err.code, message: err.message };
    if (err.data !== undefined) error.data = err.data;
    this.send({ jsonrpc: '2.0', id, error });
  }

  notify(method: string, params: Record<string, unknown>) {
    this.send({ jsonrpc: '2.0', method, params });
  }

  private send(obj: unknown) {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(obj));
  }

  close(code = 1000, reason = '') {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  /** Every ping (re)arms the watchdog: 3 missed intervals close the socket (protocol §5.1). */
  pinged(interval?: number) {
    if (typeof interval === 'number' && interval >= 1000 && interval <= 60_000) this.pingIntervalMs = interval;
    clearTimeout(this.pingWatchdog);
    this.pingWatchdog = setTimeout(() => {
      this.core.log.debug('no ping from client: closing socket', { rpcSessionId: this.rpcSessionId });
      this.ws.terminate();
    }, 3 * this.pingIntervalMs);
    this.pingWatchdog.unref();
  }

  private onClose() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.pingWatchdog);
    if (this.connection) this.core.socketClosed(this.connection, this);
  }
}
