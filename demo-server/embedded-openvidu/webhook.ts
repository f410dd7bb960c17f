import type { Logger } from './logger.js';

export interface WebhookOptions {
  endpoint: string;
  /** `["Name: value", …]` as in OPENVIDU_WEBHOOK_HEADERS. */
  headers?: string[];
  /** Allow-list of event names; all when absent. */
  events?: string[];
}

const MAX_ATTEMPTS = 5;
const TIMEOUT_MS = 10_000;
/**
 * Events waiting for delivery. An endpoint that hangs takes up to a minute per event (five 10 s attempts) while
 * participants can make events (a signal each): past this, new events are dropped, with one warning per episode.
 */
export const MAX_QUEUED_EVENTS = 10_000;
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/**
 * OpenVidu's webhook: one POST per event, strictly in order (a single queue), connection failures retried up to
 * five times, non-200 answers only logged (protocol §7.2).
 */
export class WebhookSender {
  private queue: Promise<void> = Promise.resolve();
  private readonly headers: Record<string, string>;
  private pendingCount = 0;
  private pendingBytes = 0;
  private dropped = 0;
  private readonly maxQueued: number;
  private readonly stopper = new AbortController();

  constructor(
    private readonly opts: WebhookOptions,
    private readonly log: Logger,
    limits: { maxQueued?: number } = {},
  ) {
    this.maxQueued = limits.maxQueued ?? MAX_QUEUED_EVENTS;
    this.headers = { 'content-type': 'application/json' };
    for (const line of opts.headers ?? []) {
      const i = line.indexOf(':');
      if (i > 0) this.headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
  }

  send(event: Record<string, unknown> & { event: string }): void {
    if (this.opts.events && !this.opts.events.includes(event.event)) return;
    const body = JSON.stringify(event);
    if (this.pendingCount >= this.maxQueued || this.pendingBytes + body.length > MAX_QUEUED_BYTES) {
      if (this.dropped++ === 0) this.log.warn(`webhook: ${this.pendingCount} events wait for ${this.opts.endpoint}; dropping new ones until it catches up`);
      return;
    }
    if (this.dropped > 0) {
      this.log.warn(`webhook: ${this.dropped} events were dropped while the endpoint lagged`);
      this.dropped = 0;
    }
    this.pendingCount++;
    this.pendingBytes += body.length;
    this.queue = this.queue
      .then(() => this.post(body, event.event))
      .finally(() => {
        this.pendingCount--;
        this.pendingBytes -= body.length;
      });
  }

  /** Events queued or being delivered. */
  get pending(): number {
    return this.pendingCount;
  }

  /** Gives up on every queued event and the one being delivered. */
  stop(): void {
    this.stopper.abort();
  }

  /**
   * Resolves when every queued event has been delivered or given up on; with `withinMs`, gives up on what is still
   * queued then (at shutdown the receiver is often gone already, and each event would wait out its retries).
   */
  async drain(withinMs?: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = withinMs === undefined ? undefined : new Promise<void>((r) => (timer = setTimeout(r, withinMs)));
    try {
      while (this.pendingCount > 0) {
        if (deadline) await Promise.race([this.queue, deadline.then(() => this.stop())]);
        else await this.queue;
        if (this.stopper.signal.aborted) await this.queue; // the stopped queue settles at once
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private async post(body: string, name: string): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (this.stopper.signal.aborted) return;
      try {
        const res = await fetch(this.opts.endpoint, {
          method: 'POST',
          headers: this.headers,
          body,
          signal: AbortSignal.any([AbortSignal.timeout(TIMEOUT_MS), this.stopper.signal]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status !== 200) this.log.warn(`webhook ${name}: endpoint answered ${res.status}`);
        return;
      } catch (err) {
        if (attempt === MAX_ATTEMPTS) {
          this.log.warn(`webhook ${name}: giving up after ${MAX_ATTEMPTS} attempts (${(err as Error).message})`);
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }
}

/** Parse OPENVIDU_WEBHOOK_HEADERS: a JSON array of "Name: value" strings. */
export function parseWebhookHeaders(raw: string | undefined): string[] {
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`OPENVIDU_WEBHOOK_HEADERS must be a JSON array of "Name: value" strings, got ${raw}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((h) => typeof h === 'string' && h.includes(':'))) {
    throw new Error('OPENVIDU_WEBHOOK_HEADERS must be a JSON array of "Name: value" strings');
  }
  return parsed;
}
