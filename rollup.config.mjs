// Two builds of the elements:
// - dist/ov-live-elements.js: the script-tag build, self-contained (Lit + openvidu-browser + ours, minified) for a
//   <script type="module"> tag in any page or CMS. It is one URL, but loads in parts, from dist/ov-live-elements/
//   (resolved against its own URL): the elements with Lit, then, only when an <ov-live-room> is in the page,
//   LiveRoom with openvidu-browser. The entry file only re-exports, so a page that loads it twice under two URLs
//   (`?v=2`) still runs each part once;
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
import { minifyCssLiterals } from './scripts/minify-css-literals.mjs';

const ts = () =>
  typescript({
    tsconfig: './tsconfig.build.json',
    declaration: false,
    emitDeclarationOnly: false,
    noEmit: false,
    outDir: undefined,
    rootDir: undefined,
    sourceMap: true,
    include: ['src/**/*.ts', 'components/**/*.ts', 'react/**/*.ts'],
  });

// openvidu-browser's CommonJS lib reads process.env and process.browser, which do not exist in a browser.
const browserGlobals = () =>
  replace({
    preventAssignment: true,
    values: {
      'process.env.NODE_ENV': JSON.stringify('production'),
      'process.env.NODE_DEBUG': 'undefined',
      'process.browser': 'true',
      'global.': 'globalThis.',
    },
  });

/** Circular requires inside openvidu-browser are harmless; anything else is worth seeing. */
function onwarn(warning, warn) {
  if (warning.code === 'CIRCULAR_DEPENDENCY' && /node_modules/.test(warning.message)) return;
  if (warning.code === 'THIS_IS_UNDEFINED' && /node_modules/.test(warning.id ?? '')) return;
  if (warning.code === 'EVAL' && /node_modules/.test(warning.id ?? '')) return;
  warn(warning);
}

/** Chunk names carry a hash: remove the ones an earlier build left in `dir`, so the package ships only live ones. */
const pruneChunks = (dir) => ({
  name: 'prune-chunks',
  writeBundle(options, bundle) {
    const folder = path.join(options.dir, dir);
    const live = new Set(Object.keys(bundle).map((f) => path.join(options.dir, f)));
    if (!existsSync(folder)) return;
    for (const f of readdirSync(folder)) {
      const file = path.join(folder, f);
      if (!live.has(file) && !live.has(file.replace(/\.map$/, ''))) rmSync(file);
    }
  },
});

/**
 * The script-tag build's parts: every module the entry imports statically goes to `elements`, so the entry itself
 * is only re-exports; what only a dynamic `import()` reaches (LiveRoom, openvidu-browser) gets a chunk of its own.
 */
function scriptParts(entry) {
  let statics;
  return (id, { getModuleInfo }) => {
    if (!statics) {
      statics = new Set();
      const todo = [path.resolve(entry)];
      while (todo.length) {
        const next = todo.pop();
        if (statics.has(next)) continue;
        statics.add(next);
        todo.push(...(getModuleInfo(next)?.importedIds ?? []));
      }
    }
    if (id !== path.resolve(entry) && statics.has(id)) return 'elements';
  };
}

const elements = ['live-room', 'clip-list', 'snapshot-button'];
const external = (id) => ['lit', 'openvidu-browser', 'react', 'react-dom'].some((p) => id === p || id.startsWith(`${p}/`)) || id.startsWith('@lit/');

export default [
  {
    input: { 'ov-live-elements': 'components/index.ts' },
    output: {
      dir: 'dist',
      format: 'es',
      sourcemap: true,
      entryFileNames: '[name].js',
      chunkFileNames: 'ov-live-elements/[name]-[hash].js',
      manualChunks: scriptParts('components/index.ts'),
    },
    plugins: [
      ts(),
      minifyCssLiterals(),
      browserGlobals(),
      nodeResolve({ browser: true, preferBuiltins: false }),
      json(),
      commonjs(),
      terser({ compress: { passes: 2 }, format: { comments: false } }),
      pruneChunks('ov-live-elements'),
    ],
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
    plugins: [ts(), pruneChunks('chunks')],
    onwarn,
  },
];
