import WebSocket from 'ws';

export interface RpcNotification {
  method: string;
  params: Record<string, unknown>;
}

/**
 * A bare JSON-RPC client speaking openvidu-browser's wire protocol from Node: for protocol tests that need a
 * participant but no media (signals, roles, bad frames, tokens), and to send what a browser never would.
 */
export class RpcClient {
  readonly notifications: RpcNotification[] = [];
  private nextId = 0;
  private readonly pending = new Map<number | string, { resolve: (v: any) => void; reject: (e: any) => void }>();
  private readonly waiters = new Set<() => void>();
  /** Every frame received, raw, in order. */
  readonly frames: unknown[] = [];
  closed = false;
  closeCode?: number;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      this.frames.push(msg);
      if (msg.id !== undefined && msg.id !== null && this.pending.has(msg.id)) {
        const p = this.pending.get(msg.id)!;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code, data: msg.error.data }));
        else p.resolve(msg.result);
      } else if (msg.method) {
        this.notifications.push({ method: msg.method, params: msg.params });
      }
      for (const w of this.waiters) w();
    });
    ws.on('close', (code) => {
      this.closed = true;
      this.closeCode = code;
      for (const p of this.pending.values()) p.reject(new Error('socket closed'));
      this.pending.clear();
      for (const w of this.waiters) w();
    });
  }

  /**
   * Opens `<ws url of token>/openvidu?sessionId=…` exactly as openvidu-browser derives it; `via` reaches a name
   * that does not resolve here (a certificate's) at another address, with TLS options such as `ca` and `servername`.
   */
  static async connect(tokenOrUrl: string, query = '', via?: { host: string; options?: WebSocket.ClientOptions }): Promise<RpcClient> {
    const u = new URL(tokenOrUrl);
    const sessionId = u.searchParams.get('sessionId') ?? '';
    const ws = new WebSocket(`${u.protocol}//${via?.host ?? u.host}/openvidu?sessionId=${sessionId}${query}`, via?.options);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RpcClient(ws);
  }

  request<T = any>(method: string, params?: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
    const id = this.nextId++;
    const frame: Record<string, unknown> = { jsonrpc: '2.0', method, id };
    if (params !== undefined) frame.params = params;
    return this.sendRaw(JSON.stringify(frame), id, timeoutMs);
  }

  /** Sends any text and waits for the response with `id` (when given). */
  sendRaw<T = any>(text: string, id?: number | string, timeoutMs = 10_000): Promise<T> {
    this.ws.send(text);
    if (id === undefined) return Promise.resolve(undefined as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`request ${id} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** ping + joinRoom, as openvidu-browser does on `session.connect(token, metadata)`. */
  async join(token: string, metadata = ''): Promise<any> {
    await this.request('ping', { interval: 5000 });
    const session = new URL(token).searchParams.get('sessionId');
    return this.request('joinRoom', { token, session, platform: 'Node test client', sdkVersion: '2.32.2', metadata, secret: '', recorder: false, stt: false });
  }

  /** Waits for a notification matching the method and, optionally, a predicate on its params. */
  async waitFor(method: string, pred: (p: Record<string, any>) => boolean = () => true, timeoutMs = 10_000): Promise<Record<string, any>> {
    const find = () => this.notifications.find((n) => n.method === method && pred(n.params));
    const found = find();
    if (found) return found.params;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${method} notification within ${timeoutMs} ms; got ${JSON.stringify(this.notifications.map((n) => n.method))}`));
      }, timeoutMs);
      const check = () => {
        const n = find();
        if (!n) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(n.params);
      };
      this.waiters.add(check);
    });
  }

  close(code = 1000) {
    this.ws.close(code);
  }

  terminate() {
    this.ws.terminate();
  }
}
