import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EmbeddedOpenVidu } from '../../demo-server/embedded-openvidu/index.js';
import type { RecorderFactory } from '../../demo-server/embedded-openvidu/recording/manager.js';
import { sleep } from './until.js';

/**
 * Give the embedded server a recorder factory whose recorders write `bytes` as the recording after a short
 * "finalising" delay: REST, webhook and file-route behaviour tested on known bytes without ffmpeg (the real
 * recorders have their own tests). Returns the function that puts the previous factory back.
 */
export function useStubRecorder(embedded: EmbeddedOpenVidu, bytes: Buffer, duration = 1.5): () => void {
  const manager = embedded.core.recordings;
  const previous = manager.recorderFactory;
  const stub: RecorderFactory = async ({ record, dir }) => ({
    async start() {},
    addSource() {},
    removeSource() {},
    async stop() {
      await sleep(150);
      const file = path.join(dir, `${record.name}.mp4`);
      await writeFile(file, bytes);
      return { file, size: bytes.length, duration, hasAudio: true, hasVideo: true };
    },
  });
  manager.recorderFactory = stub;
  return () => {
    manager.recorderFactory = previous;
  };
}
