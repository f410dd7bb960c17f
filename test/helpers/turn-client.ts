// A minimal TURN client (RFC 5766 over RFC 5389), over UDP or TCP, with the long-term credential mechanism: enough to
// ask a real coturn for an allocation, a permission, and to relay a datagram to a peer and back.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';

const COOKIE = 0x2112a442;
const METHOD = { allocate: 0x003, createPermission: 0x008, send: 0x006, data: 0x007 } as const;
const ATTR = {
  username: 0x0006,
  integrity: 0x0008,
  errorCode: 0x0009,
  peer: 0x0012,
  data: 0x0013,
  realm: 0x0014,
  nonce: 0x0015,
  relayed: 0x0016,
  transport: 0x0019,
} as const;

type Attr = [type: number, value: Buffer];
interface Message {
  type: number;
  id: Buffer;
  attrs: Map<number, Buffer>;
}

function encode(type: number, id: Buffer, attrs: Attr[], key?: Buffer): Buffer {
  const body = Buffer.concat(
    attrs.map(([t, v]) => {
      const b = Buffer.alloc(4 + Math.ceil(v.length / 4) * 4);
      b.writeUInt16BE(t, 0);
      b.writeUInt16BE(v.length, 2);
      v.copy(b, 4);
      return b;
    }),
  );
  const head = Buffer.alloc(20);
  head.writeUInt16BE(type, 0);
  head.writeUInt32BE(COOKIE, 4);
  id.copy(head, 8);
  if (!key) {
    head.writeUInt16BE(body.length, 2);
    return Buffer.concat([head, body]);
  }
  // MESSAGE-INTEGRITY: HMAC-SHA1 over everything before it, the length already counting it.
  head.writeUInt16BE(body.length + 24, 2);
  const mac = createHmac('sha1', key)
    .update(Buffer.concat([head, body]))
    .digest();
  const mi = Buffer.alloc(24);
  mi.writeUInt16BE(ATTR.integrity, 0);
  mi.writeUInt16BE(20, 2);
  mac.copy(mi, 4);
  return Buffer.concat([head, body, mi]);
}

function decode(b: Buffer): Message | undefined {
  if (b.length < 20 || b.readUInt32BE(4) !== COOKIE) return undefined;
  const len = b.readUInt16BE(2);
  const attrs = new Map<number, Buffer>();
  for (let at = 20; at + 4 <= 20 + len && at + 4 <= b.length;) {
    const t = b.readUInt16BE(at);
    const l = b.readUInt16BE(at + 2);
    if (!attrs.has(t)) attrs.set(t, b.subarray(at + 4, at + 4 + l));
    at += 4 + Math.ceil(l / 4) * 4;
  }
  return { type: b.readUInt16BE(0), id: b.subarray(8, 20), attrs };
}

/** XOR-MAPPED/PEER/RELAYED-ADDRESS for IPv4. */
function xorAddress(address: string, port: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(1, 1);
  b.writeUInt16BE(port ^ (COOKIE >>> 16), 2);
  b.writeUInt32BE((address.split('.').reduce((a, o) => a * 256 + Number(o), 0) ^ COOKIE) >>> 0, 4);
  return b;
}
function readXorAddress(b: Buffer): { address: string; port: number } {
  const n = (b.readUInt32BE(4) ^ COOKIE) >>> 0;
  return { address: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'), port: b.readUInt16BE(2) ^ (COOKIE >>> 16) };
}

export interface TurnAnswer {
  /** 200 for a success response, else the ERROR-CODE (401, 403, 438…). */
  code: number;
  reason?: string;
  relayed?: { address: string; port: number };
}

export class TurnClient {
  #send: (b: Buffer) => void;
  #close: () => void;
  #pending = new Map<string, (m: Message) => void>();
  #auth?: { attrs: Attr[]; key: Buffer };
  /** Payloads of Data indications: what peers sent to the relayed address. */
  readonly received: Array<{ from: { address: string; port: number }; data: Buffer }> = [];
  #onData = new Set<() => void>();

  private constructor(send: (b: Buffer) => void, close: () => void) {
    this.#send = send;
    this.#close = close;
  }

  static async udp(host: string, port: number): Promise<TurnClient> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, r));
    const c = new TurnClient(
      (b) => s.send(b, port, host),
      () => s.close(),
    );
    s.on('message', (m) => c.#receive(m));
    return c;
  }

  static async tcp(host: string, port: number): Promise<TurnClient> {
    const s = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
    return TurnClient.#stream(s);
  }

  /** TURN over TLS (`turns:`), trusting `ca`. */
  static async tls(host: string, port: number, ca: string): Promise<TurnClient> {
    const s = tls.connect({ host, port, ca, servername: net.isIP(host) ? undefined : host });
    await new Promise<void>((resolve, reject) => s.once('secureConnect', resolve).once('error', reject));
    return TurnClient.#stream(s);
  }

  static #stream(s: net.Socket): TurnClient {
    const c = new TurnClient(
      (b) => s.write(b),
      () => s.destroy(),
    );
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 20 && buf.length >= 20 + buf.readUInt16BE(2)) {
        const n = 20 + buf.readUInt16BE(2);
        c.#receive(buf.subarray(0, n));
        buf = buf.subarray(n);
      }
    });
    s.on('error', () => undefined);
    return c;
  }

  #receive(b: Buffer) {
    const m = decode(b);
    if (!m) return;
    if (m.type === (0x0010 | METHOD.data)) {
      const peer = m.attrs.get(ATTR.peer);
      const data = m.attrs.get(ATTR.data);
      if (peer && data) this.received.push({ from: readXorAddress(peer), data: Buffer.from(data) });
      for (const f of this.#onData) f();
      return;
    }
    this.#pending.get(m.id.toString('hex'))?.(m);
  }

  #request(method: number, attrs: Attr[], auth = true, timeoutMs = 5000): Promise<Message> {
    const id = randomBytes(12);
    const a = auth && this.#auth;
    const msg = encode(method, id, [...attrs, ...(a ? a.attrs : [])], a ? a.key : undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id.toString('hex'));
        reject(new Error(`no answer to TURN method ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id.toString('hex'), (m) => {
        clearTimeout(timer);
        this.#pending.delete(id.toString('hex'));
        resolve(m);
      });
      this.#send(msg);
    });
  }

  static #answer(m: Message): TurnAnswer {
    const err = m.attrs.get(ATTR.errorCode);
    if ((m.type & 0x0110) === 0x0110 && err) return { code: err.readUInt8(2) * 100 + err.readUInt8(3), reason: err.subarray(4).toString() };
    const relayed = m.attrs.get(ATTR.relayed);
    return { code: 200, ...(relayed ? { relayed: readXorAddress(relayed) } : {}) };
  }

  /** Allocate a UDP relay with the long-term credential `username` / `password` (the 401 challenge answered). */
  async allocate(username: string, password: string): Promise<TurnAnswer> {
    const transport: Attr = [ATTR.transport, Buffer.from([17, 0, 0, 0])];
    const challenge = await this.#request(METHOD.allocate, [transport], false);
    const first = TurnClient.#answer(challenge);
    if (first.code !== 401) return first;
    const realm = challenge.attrs.get(ATTR.realm)!;
    const nonce = challenge.attrs.get(ATTR.nonce)!;
    this.#auth = {
      attrs: [
        [ATTR.username, Buffer.from(username)],
        [ATTR.realm, realm],
        [ATTR.nonce, nonce],
      ],
      key: createHash('md5').update(`${username}:${realm.toString()}:${password}`).digest(),
    };
    return TurnClient.#answer(await this.#request(METHOD.allocate, [transport]));
  }

  /** Permission for `peer` to exchange datagrams with the relayed address. */
  async createPermission(peer: string): Promise<TurnAnswer> {
    return TurnClient.#answer(await this.#request(METHOD.createPermission, [[ATTR.peer, xorAddress(peer, 0)]]));
  }

  /** A Send indication: the relay sends `data` to `peer`:`port` from the relayed address. */
  sendTo(peer: string, port: number, data: Buffer): void {
    this.#send(
      encode(0x0010 | METHOD.send, randomBytes(12), [
        [ATTR.peer, xorAddress(peer, port)],
        [ATTR.data, data],
      ]),
    );
  }

  /** Resolves when a Data indication has arrived (bounded). */
  nextData(timeoutMs = 5000): Promise<{ from: { address: string; port: number }; data: Buffer }> {
    const seen = this.received.length;
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.received.length <= seen) return;
        clearTimeout(timer);
        this.#onData.delete(check);
        resolve(this.received[seen]);
      };
      const timer = setTimeout(() => {
        this.#onData.delete(check);
        reject(new Error(`no Data indication within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#onData.add(check);
    });
  }

  close(): void {
    this.#close();
  }
}
