import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedOpenVidu, type EmbeddedOpenVidu, type EmbeddedOpenViduOptions } from '../../demo-server/embedded-openvidu/index.js';
import { consoleLogger } from '../../demo-server/embedded-openvidu/logger.js';

export interface OpenViduTarget {
  url: string;
  secret: string;
  /** The embedded server, when the target is embedded (undefined against a real deployment). */
  embedded?: EmbeddedOpenVidu;
  recordingPath?: string;
  close(): Promise<void>;
}

/**
 * The OpenVidu the conformance tests talk to: a real deployment when OPENVIDU_URL and OPENVIDU_SECRET are set
 * (e.g. OpenVidu's openvidu-dev image), otherwise a fresh embedded server on a free loopback port.
 */
export async function openviduTarget(options: EmbeddedOpenViduOptions = {}): Promise<OpenViduTarget> {
  if (process.env.OPENVIDU_URL && process.env.OPENVIDU_SECRET) {
    return { url: process.env.OPENVIDU_URL, secret: process.env.OPENVIDU_SECRET, close: async () => {} };
  }
  const recordingPath = options.recordingPath ?? (await mkdtemp(path.join(os.tmpdir(), 'ov-rec-')));
  const embedded = await startEmbeddedOpenVidu({
    port: 0,
    secret: 'TEST_SECRET',
    recordingPath,
    logger: consoleLogger((process.env.LOG_LEVEL as 'debug') || 'warn'),
    ...options,
  });
  return {
    url: embedded.url,
    secret: embedded.secret,
    embedded,
    recordingPath,
    close: async () => {
      await embedded.close();
      if (!options.recordingPath) await rm(recordingPath, { recursive: true, force: true });
    },
  };
}

export const isEmbedded = () => !(process.env.OPENVIDU_URL && process.env.OPENVIDU_SECRET);
