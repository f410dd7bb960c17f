#!/usr/bin/env node
// `npm test`: every test suite of the project, one after the other (2 cores: one Chromium at a time).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const chrome = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((c) => c && existsSync(c));
if (!chrome) {
  console.error('npm test: no Chromium found. Install Debian\'s chromium (sudo apt-get install chromium) or set CHROME_PATH to a Chromium binary.');
  process.exit(1);
}
process.env.CHROME_PATH = chrome;

/** Node test files under the given folders, in a stable order. */
function nodeTests(...dirs) {
  return dirs.flatMap((d) => (existsSync(d) ? readdirSync(d, { recursive: true }).filter((f) => String(f).endsWith('.test.ts')).sort().map((f) => path.join(d, String(f))) : []));
}

const only = process.argv.slice(2);
const files = only.length ? only : nodeTests('test/embedded-openvidu', 'test/demo-server');
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: process.env },
);
process.exit(result.status ?? 1);
