import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EmbeddedOpenVidu } from '../../demo-server/embedded-openvidu/index.js';

/**
 * Replace the embedded server's recorder factory with one that writes `bytes` as the recording after a short
 * "finalising" delay: REST, webhook and file-route behaviour tested on known bytes without ffmpeg (the real
 * recorders have their own tests). Returns the function that puts the real factory back.
 */
export function useStubRecorder(embedded: EmbeddedOpenVidu, bytes: Buffer, duration = 1.5): () => void {
  const manager = embedded.core.recordings as unknown as { createRecorder: (...a: any[]) => Promise<unknown> };
  assert.equal(typeof manager.createRecorder, 'function', 'RecordingManager.createRecorder exists (test hook)');
  const original = manager.createRecorder;
  manager.createRecorder = async (rec: { name: string }, dir: string) => ({
    async start() {},
    addSource() {},
    removeSource() {},
    async stop() {
      await new Promise((r) => setTimeout(r, 150));
      const file = path.join(dir, `${rec.name}.mp4`);
      await writeFile(file, bytes);
      return { file, size: bytes.length, duration, hasAudio: true, hasVideo: true };
    },
  });
  return () => {
    manager.createRecorder = original;
  };
}
