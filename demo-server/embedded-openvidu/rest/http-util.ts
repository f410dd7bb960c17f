import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../errors.js';

export const MAX_BODY_BYTES = 1024 * 1024;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/**
 * CE's CORS (Spring `CorsConfiguration` with allowed origins, headers and methods `*`, credentials not allowed):
 * `Access-Control-Allow-Origin: *` and never `Allow-Credentials`, so a page on another site cannot ride on
 * credentials its browser holds for this server; browser-side tutorials send Basic auth in a header explicitly.
 */
export function setCors(req: IncomingMessage, res: ServerResponse) {
  res.setHeader('Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  if (req.headers.origin === undefined) return;
  res.setHeader('Access-Control-Allow-Origin', '*');
  if (req.method !== 'OPTIONS') return;
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PATCH, PUT, DELETE, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? 'Authorization, Content-Type');
  res.setHeader('Access-Control-Max-Age', '3600');
}

export function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number) {
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}

/** OpenVidu CE's (Spring's) error body: `{timestamp, status, error, message, path}`. */
export function sendError(res: ServerResponse, err: HttpError, path: string) {
  if (res.headersSent) return res.destroy();
  if (err.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="OpenVidu"');
  sendJson(res, err.status, { timestamp: Date.now(), status: err.status, error: REASONS[err.status] ?? 'Error', message: err.message, path });
}

/** Reads a JSON object body. Empty body → `{}`. Nulls are kept; callers treat null as "not given". */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    throw new HttpError(413, `Body larger than ${MAX_BODY_BYTES} bytes`);
  }
  // Event-based on purpose: leaving a `for await` loop early destroys the request, and with it the socket, so
  // the 413 below would never reach the client. On overflow the rest of the body is drained (up to a cap).
  const body = await new Promise<Buffer>((resolve, reject) => {
    if (req.readableEnded) return resolve(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    // The error is made only when it is the outcome: `close` follows every request's `end`, and an Error's stack
    // trace costs more than reading a small body.
    const fail = (status: number, message: string) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      reject(new HttpError(status, message));
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        fail(413, `Body larger than ${MAX_BODY_BYTES} bytes`);
        if (size > 16 * MAX_BODY_BYTES) req.destroy();
        return;
      }
      if (!settled) chunks.push(chunk);
    });
    req.once('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks));
    });
    req.once('error', () => fail(400, 'Request body aborted'));
    req.once('close', () => fail(400, 'Request body aborted'));
  });
  const text = body.toString('utf8').trim();
  if (!text) return {};
  const type = String(req.headers['content-type'] ?? '');
  // Some node-client calls send form-urlencoded headers with no body; a non-empty non-JSON body is an error.
  if (type && !type.includes('json')) throw new HttpError(415, `Content-Type ${type} is not supported`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'Body is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new HttpError(400, 'Body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** Typed readers for JSON bodies: null and undefined both mean "not given". */
export const field = {
  str(b: Record<string, unknown>, key: string, opts: { max?: number; re?: RegExp; enum?: readonly string[] } = {}): string | undefined {
    const v = b[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new HttpError(400, `Parameter "${key}" must be a string`);
    if (v.length > (opts.max ?? 4096)) throw new HttpError(400, `Parameter "${key}" is too long`);
    if (opts.re && v !== '' && !opts.re.test(v)) throw new HttpError(400, `Parameter "${key}" has an invalid format`);
    if (opts.enum && !opts.enum.includes(v)) throw new HttpError(400, `Parameter "${key}" must be one of ${opts.enum.join(', ')}`);
    return v;
  },
  bool(b: Record<string, unknown>, key: string): boolean | undefined {
    const v = b[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new HttpError(400, `Parameter "${key}" must be a boolean`);
    return v;
  },
  int(b: Record<string, unknown>, key: string): number | undefined {
    const v = b[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new HttpError(400, `Parameter "${key}" must be an integer`);
    return v;
  },
  obj(b: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
    const v = b[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, `Parameter "${key}" must be an object`);
    return v as Record<string, unknown>;
  },
  arr(b: Record<string, unknown>, key: string): unknown[] | undefined {
    const v = b[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw new HttpError(400, `Parameter "${key}" must be an array`);
    return v;
  },
};
