// What the namespace tests run inside the namespaces: the reference server (`npm start`, with its coturn child) and
// Chromium driven by Playwright over its pipe (no debugging port has to cross namespaces).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { chromePath, CHROMIUM_ARGS } from '../helpers/browser.js';
import { root } from '../helpers/demo-page.js';
import type { Lab } from './netns.js';

export interface Child {
  output(): string;
  stop(): Promise<void>;
}

/** Spawn `cmd` inside `ns` in its own process group; resolves once its output matches `ready`. */
async function startIn(ns: string, cmd: string[], env: Record<string, string>, ready: RegExp, what: string, timeoutMs: number): Promise<Child> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, ...cmd], {
    cwd: root,
    detached: true, // its own process group: npm and the server behind it stop together
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, 'SIGTERM');
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const seen = (chunk: Buffer) => {
      out += chunk;
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}):\n${out}`));
    });
  }).catch(async (err) => {
    await stop();
    throw err;
  });
  return { output: () => out, stop };
}

/** `npm start` inside `ns` with its own data folder; resolves once it prints its URL. */
export async function npmStartIn(ns: string, env: Record<string, string>): Promise<Child & { dataDir: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ov-netns-'));
  try {
    const child = await startIn(
      ns,
      ['npm', 'start', '--silent'],
      { DATA_DIR: dataDir, LOG_LEVEL: 'warn', HTTPS: '', ...env },
      /ov-live-elements demo: https?:\/\//,
      'npm start',
      120_000,
    );
    return {
      dataDir,
      output: child.output,
      stop: async () => {
        await child.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** Chromium inside `ns` (fake camera and microphone), with these flags besides the usual ones. */
export async function chromiumIn(lab: Lab, ns: string, dir: string, args: string[]): Promise<Browser> {
  const exe = lab.wrapper(ns, chromePath(), dir, `chromium-${ns}`);
  return chromium.launch({ executablePath: exe, args: [...CHROMIUM_ARGS, ...args], timeout: 30_000 });
}
