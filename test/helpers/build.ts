// `npm run build` once for the test files that read dist/: skipped when the last complete build is newer than every
// input, so test/build/*.test.ts in one run build once.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const INPUTS = [
  'src',
  'components',
  'react',
  'server',
  'demo-server',
  'package.json',
  'rollup.config.mjs',
  'tsconfig.json',
  'tsconfig.build.json',
  'tsconfig.server.json',
  'custom-elements-manifest.config.mjs',
  'scripts',
];
/** One output of each build step; the editor data, from the manifest, is written last. */
const OUTPUTS = [
  'dist/ov-live-elements.js',
  'dist/index.js',
  'dist/react.js',
  'dist/types/components/index.d.ts',
  'dist/server/server/index.js',
  'dist/custom-elements.json',
  'dist/web-types.json',
];

function newest(p: string): number {
  const info = statSync(p, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let t = info.mtimeMs;
  for (const f of readdirSync(p, { recursive: true, withFileTypes: true })) {
    if (f.isFile()) t = Math.max(t, statSync(path.join(f.parentPath, f.name)).mtimeMs);
  }
  return t;
}

/** True when dist/ holds a complete build of the current sources. */
export function buildIsFresh(): boolean {
  const outputs = OUTPUTS.map((f) => path.join(root, f));
  if (!outputs.every((f) => existsSync(f))) return false;
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  return INPUTS.every((p) => newest(path.join(root, p)) <= built);
}

/** Builds unless dist/ is fresh; fails the calling hook when the build fails. */
export function ensureBuild(): void {
  if (buildIsFresh()) return;
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm run build failed:\n${r.stdout}\n${r.stderr}`);
}
