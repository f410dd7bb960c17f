// Two builds of the elements:
// - dist/ov-live-elements.js: one self-contained ES module (Lit + openvidu-browser + ours, minified) for a
//   <script type="module"> tag in any page or CMS;
// - the package entries for bundler users, with `lit`, `openvidu-browser` and React left as dependencies:
//   dist/index.js (every element), dist/core.js (the framework-free core), dist/components/<name>.js (one element),
//   dist/react.js (React components); the modules they share go to dist/chunks/.
import typescript from '@rollup/plugin-typescript';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import replace from '@rollup/plugin-replace';
import terser from '@rollup/plugin-terser';
import json from '@rollup/plugin-json';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const ts = () =>
  typescript({ tsconfig: './tsconfig.build.json', declaration: false, emitDeclarationOnly: false, noEmit: false, outDir: undefined, rootDir: undefined, sourceMap: true, include: ['src/**/*.ts', 'components/**/*.ts', 'react/**/*.ts'] });

// openvidu-browser's CommonJS lib reads process.env and process.browser, which do not exist in a browser.
const browserGlobals = () =>
  replace({
    preventAssignment: true,
    values: { 'process.env.NODE_ENV': JSON.stringify('production'), 'process.env.NODE_DEBUG': 'undefined', 'process.browser': 'true', 'global.': 'globalThis.' },
  });

/** Circular requires inside openvidu-browser are harmless; anything else is worth seeing. */
function onwarn(warning, warn) {
  if (warning.code === 'CIRCULAR_DEPENDENCY' && /node_modules/.test(warning.message)) return;
  if (warning.code === 'THIS_IS_UNDEFINED' && /node_modules/.test(warning.id ?? '')) return;
  if (warning.code === 'EVAL' && /node_modules/.test(warning.id ?? '')) return;
  warn(warning);
}

/** Chunk names carry a hash: remove the ones an earlier build left in dist/chunks, so the package ships only live ones. */
const pruneChunks = () => ({
  name: 'prune-chunks',
  writeBundle(options, bundle) {
    const dir = path.join(options.dir, 'chunks');
    const live = new Set(Object.keys(bundle).map((f) => path.join(options.dir, f)));
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir)) if (!live.has(path.join(dir, f))) rmSync(path.join(dir, f));
  },
});

const elements = ['live-room', 'clip-list', 'snapshot-button'];
const external = (id) =>
  ['lit', 'openvidu-browser', 'react', 'react-dom'].some((p) => id === p || id.startsWith(`${p}/`)) || id.startsWith('@lit/');

export default [
  {
    input: 'components/index.ts',
    output: { file: 'dist/ov-live-elements.js', format: 'es', sourcemap: true },
    plugins: [ts(), browserGlobals(), nodeResolve({ browser: true, preferBuiltins: false }), json(), commonjs(), terser({ format: { comments: false } })],
    onwarn,
  },
  {
    input: {
      index: 'components/index.ts',
      core: 'src/index.ts',
      ...Object.fromEntries(elements.map((name) => [`components/${name}`, `components/${name}/index.ts`])),
      react: 'react/index.ts',
    },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
    external,
    plugins: [ts(), pruneChunks()],
    onwarn,
  },
];
