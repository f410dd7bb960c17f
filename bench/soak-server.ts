// The server under soak (bench/soak.bench.ts): the reference server with the embedded OpenVidu in the same process
// (`{ openvidu: 'in-process' }`, so that one RSS and one heap hold both, and their maps can be read), in a process of
// its own, started with --expose-gc. The parent asks over IPC for a full garbage collection and the
// figures that matter: RSS, heap, and the size of every long-lived map.
import { loadConfig } from '../demo-server/src/config.js';
import { startServer } from '../demo-server/src/server.js';

const server = await startServer(loadConfig(process.env), { openvidu: 'in-process' });

/** Entries of a Map, Set or anything with a numeric `size` at `path` on `root`; undefined when it does not exist. */
function size(root: unknown, path: string): number | undefined {
  let v = root as Record<string, unknown> | undefined;
  for (const key of path.split('.')) v = v?.[key] as Record<string, unknown> | undefined;
  return typeof v?.size === 'number' ? v.size : undefined;
}

function figures() {
  const m = process.memoryUsage();
  const s = server.app.services as unknown;
  const core = server.embedded?.core as unknown;
  return {
    rssMiB: m.rss / 2 ** 20,
    heapUsedMiB: m.heapUsed / 2 ** 20,
    externalMiB: m.external / 2 ** 20,
    maps: {
      'openvidu sessions': size(core, 'sessions'),
      'openvidu rpc sessions': size(core, 'byRpcSession'),
      'gateway sessions': size(s, 'gateway.sessions'),
      'event bus histories': size(s, 'bus.history'),
      'event bus listeners': size(s, 'bus.listeners'),
      'clip statuses': size(s, 'clips.statuses'),
      'clip watchers': size(s, 'clips.watchers'),
    },
  };
}

process.on('message', (msg: { type: string; id: number }) => {
  if (msg.type !== 'figures') return;
  // A few full collections: one is not always enough for weak references and finalizers to settle.
  for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.();
  process.send!({ id: msg.id, ...figures() });
});
process.send!({ type: 'ready', url: server.url });
process.on('SIGTERM', () => void server.close().finally(() => process.exit(0)));
