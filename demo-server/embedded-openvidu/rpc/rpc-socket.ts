import type { WebSocket } from 'ws';
import type { OpenViduCore } from '../core.js';
import type { Connection, RpcPeer } from '../model.js';
import { RpcCodes, RpcError } from '../errors.js';
import { newRpcSessionId } from '../ids.js';
import { handlers, Reply, type RpcContext } from './methods.js';

/** Frames bigger than this are refused (an SDP offer is a few KB). */
export const MAX_FRAME_BYTES = 256 * 1024;
const DEFAULT_PING_INTERVAL_MS = 5000;
/** An over-budget socket that does not answer our close frame is cut this long after it. */
const CLOSE_GRACE_MS = 2000;

/**
 * What one socket may send. openvidu-browser joining a room sends, within a second or two, joinRoom, publishVideo,
 * a receiveVideoFrom per publisher and the ICE candidates of every PeerConnection (16 each on a host with five
 * addresses, more with more interfaces): about 350 frames in a room of 20, the same again on a reconnection;
 * then a ping every 5 s and the app's signals. A client over budget is disconnected (1008).
 */
export interface SocketLimits {
  /** Sustained JSON-RPC frames per second. Default 50. */
  framesPerSecond: number;
  /** Frames at once above that rate (the bucket's size). Default 2000. */
  frameBurst: number;
  /** Sustained bytes per second. Default 1 MiB. */
  bytesPerSecond: number;
  /** Bytes at once above that rate. Default 8 MiB. */
  byteBurst: number;
  /** A socket with no participant (not joined yet, or left) is closed after this. Default 30 s. */
  joinTimeoutMs: number;
  /** Unsent data a socket may hold for a client that does not read; beyond, the socket is cut. Default 16 MiB. */
  maxBufferedBytes: number;
}

export const DEFAULT_SOCKET_LIMITS: SocketLimits = {
  framesPerSecond: 50,
  frameBurst: 2000,
  bytesPerSecond: 1024 * 1024,
  byteBurst: 8 * 1024 * 1024,
  joinTimeoutMs: 30_000,
  maxBufferedBytes: 16 * 1024 * 1024,
};

/** A token bucket: `burst` tokens, refilled at `rate` per second. */
class Bucket {
  private tokens: number;
  private at = performance.now();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(n: number): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

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
  /** Set once the socket broke a limit: nothing it sends is read any more. */
  private refused = false;
  private joinTimer?: NodeJS.Timeout;
  private readonly limits: SocketLimits;
  private readonly frames: Bucket;
  private readonly bytes: Bucket;

  constructor(
    readonly ws: WebSocket,
    readonly core: OpenViduCore,
    readonly remoteAddress: string,
    limits: Partial<SocketLimits> = {},
  ) {
    this.limits = { ...DEFAULT_SOCKET_LIMITS, ...limits };
    this.frames = new Bucket(this.limits.framesPerSecond, this.limits.frameBurst);
    this.bytes = new Bucket(this.limits.bytesPerSecond, this.limits.byteBurst);
    ws.on('message', (data, isBinary) => {
      if (this.refused) return;
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length;
      if (!this.frames.take(1)) return this.refuse(`more than ${this.limits.framesPerSecond} frames/s (burst ${this.limits.frameBurst})`);
      if (!this.bytes.take(size)) return this.refuse(`more than ${this.limits.bytesPerSecond} bytes/s (burst ${this.limits.byteBurst})`);
      if (isBinary) return this.sendError(null, new RpcError(RpcCodes.INVALID_REQUEST, 'Binary frames are not supported'));
      void this.onFrame(data.toString());
    });
    ws.on('close', () => this.onClose());
    ws.on('error', () => {});
    this.armJoinTimer();
  }

  /** The socket must carry a participant within joinTimeoutMs of opening, or of its participant leaving. */
  private armJoinTimer() {
    clearTimeout(this.joinTimer);
    this.joinTimer = setTimeout(() => {
      if (this.connection && !this.connection.gone) return;
      this.core.log.debug('no participant on this socket: closing it', { rpcSessionId: this.rpcSessionId, address: this.remoteAddress });
      this.close(1008, 'join timeout');
    }, this.limits.joinTimeoutMs);
    this.joinTimer.unref();
  }

  /** Binds the socket to a participant (joinRoom, or connect after a socket drop). */
  bind(c: Connection) {
    this.connection = c;
    clearTimeout(this.joinTimer);
  }

  left() {
    if (!this.closed) this.armJoinTimer();
  }

  /**
   * Over budget: close with 1008 and stop reading. Its participant leaves at once (no reconnection grace), or a
   * fresh socket with `connect` would get a fresh budget.
   */
  private refuse(why: string) {
    this.refused = true;
    this.core.log.warn(`JSON-RPC client ${this.remoteAddress || '?'} disconnected: ${why}`);
    this.close(1008, 'rate limit');
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    const c = this.connection;
    if (c && !c.gone) void this.core.leave(c, 'networkDisconnect');
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
    const r =
      result && typeof result === 'object' && !Array.isArray(result)
        ? { ...(result as object), sessionId: this.rpcSessionId }
        : { value: result, sessionId: this.rpcSessionId };
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
    // A client that stops reading would otherwise make the server buffer every notification for it.
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.core.log.warn(`JSON-RPC client ${this.remoteAddress || '?'} cut: it reads nothing (${this.ws.bufferedAmount} bytes unsent)`);
      this.refused = true;
      this.ws.terminate();
      return;
    }
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
    clearTimeout(this.joinTimer);
    if (this.connection) this.core.socketClosed(this.connection, this);
  }
}
