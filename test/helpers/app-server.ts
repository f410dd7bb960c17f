import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../demo-server/src/config.js';
import { startServer, type RunningServer, type StartOptions } from '../../demo-server/src/server.js';

export interface TestServer extends RunningServer {
  dataDir: string;
  config: Config;
  /** Stop, and remove the data folder unless `keepData`. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

/**
 * The reference server as `npm start` runs it (the embedded OpenVidu in a child process, or OPENVIDU_URL when set), on
 * a free loopback port with its own data folder. `{ openvidu: 'in-process' }` for a test that looks inside OpenVidu.
 */
export async function startTestServer(env: Record<string, string> = {}, dataDir?: string, options: StartOptions = {}): Promise<TestServer> {
  const dir = dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'ov-app-')));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dir,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    OPENVIDU_URL: process.env.OPENVIDU_URL,
    OPENVIDU_SECRET: process.env.OPENVIDU_SECRET,
    ...env,
  });
  const server = await startServer(config, options);
  return {
    ...server,
    dataDir: dir,
    config,
    stop: async (opts = {}) => {
      await server.close();
      if (!opts.keepData) await rm(dir, { recursive: true, force: true });
    },
  };
}
