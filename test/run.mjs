#!/usr/bin/env node
// `npm test`: every test suite of the project, one after the other (2 cores: one Chromium at a time).
//   1. Node tests (node:test): embedded OpenVidu, reference server, bundles
//   2. Browser tests (web-test-runner): core and elements, against the reference server
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const chrome = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((c) => c && existsSync(c));
if (!chrome) {
  console.error("npm test: no Chromium found. Install Debian's chromium (apt-get install chromium) or set CHROME_PATH to a Chromium binary.");
  process.exit(1);
}
process.env.CHROME_PATH = chrome;

/** Node test files under the given folders, in a stable order. */
function nodeTests(...dirs) {
  return dirs.flatMap((d) => (existsSync(d) ? readdirSync(d, { recursive: true }).filter((f) => String(f).endsWith('.test.ts')).sort().map((f) => path.join(d, String(f))) : []));
}

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env: process.env }).status ?? 1;

// `npm test -- <files>` runs only those Node test files.
const only = process.argv.slice(2);
if (only.length) process.exit(run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...only]));

const nodeStatus = run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...nodeTests('test/embedded-openvidu', 'test/demo-server', 'test/build')]);
const browserStatus = run(process.execPath, [path.join(root, 'node_modules/@web/test-runner/dist/bin.js'), '--config', 'web-test-runner.config.mjs']);
if (nodeStatus !== 0 || browserStatus !== 0) {
  console.error(`npm test: ${nodeStatus !== 0 ? 'Node tests failed. ' : ''}${browserStatus !== 0 ? 'Browser tests failed.' : ''}`);
  process.exit(1);
}
