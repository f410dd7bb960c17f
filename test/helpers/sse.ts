export interface SseEvent {
  id?: string;
  event: string;
  data: any;
}

/** A minimal EventSource for Node tests: collects events from a streaming fetch. */
export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  headers?: Headers;
  private readonly controller = new AbortController();
  private readonly waiters = new Set<() => void>();
  readonly ready: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ready = this.run(url, headers);
  }

  private async run(url: string, headers: Record<string, string>) {
    const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: this.controller.signal });
    this.status = res.status;
    this.headers = res.headers;
    if (!res.body || res.status !== 200) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += decoder.decode(value, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const e: SseEvent = { event: 'message', data: undefined };
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              const [k, ...rest] = line.split(':');
              const v = rest.join(':').replace(/^ /, '');
              if (k === 'id') e.id = v;
              else if (k === 'event') e.event = v;
              else if (k === 'data') data.push(v);
            }
            if (!data.length) continue;
            try {
              e.data = JSON.parse(data.join('\n'));
            } catch {
              e.data = data.join('\n');
            }
            this.events.push(e);
            for (const w of this.waiters) w();
          }
        }
      } catch {
        /* aborted */
      }
    })();
  }

  async waitFor(pred: (e: SseEvent) => boolean, timeoutMs = 10_000): Promise<SseEvent> {
    const found = this.events.find(pred);
    if (found) return found;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no matching SSE event within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => [e.event, e.data?.status]))}`));
      }, timeoutMs);
      const check = () => {
        const e = this.events.find(pred);
        if (!e) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(e);
      };
      this.waiters.add(check);
    });
  }

  close() {
    this.controller.abort();
  }
}
