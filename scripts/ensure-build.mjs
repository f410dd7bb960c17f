#!/usr/bin/env node
// `npm start` runs this first: build the element bundles when dist/ is missing or older than the sources, so a
// fresh clone needs only `npm install && npm start`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outputs = ['dist/ov-live-elements.js', 'dist/index.js'].map((f) => path.join(root, f));
const sources = ['src', 'components'].map((d) => path.join(root, d));

/** Newest modification time of the files under `dir`. */
function newest(dir) {
  let t = 0;
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (f.isFile()) t = Math.max(t, statSync(path.join(f.parentPath, f.name)).mtimeMs);
  }
  return t;
}

const missing = outputs.filter((f) => !existsSync(f));
const built = missing.length ? 0 : Math.min(...outputs.map((f) => statSync(f).mtimeMs));
const stale = !missing.length && Math.max(...sources.map(newest)) > built;
if (missing.length || stale) {
  console.log(missing.length ? 'Building the elements (dist/ is missing)…' : 'Sources changed since the last build: rebuilding the elements…');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('The build failed; see above.');
    process.exit(r.status ?? 1);
  }
}
