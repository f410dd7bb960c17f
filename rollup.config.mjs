// Two builds of the elements:
// - dist/ov-live-elements.js: one self-contained ES module (Lit + openvidu-browser + ours, minified) for a
//   <script type="module"> tag in any page or CMS;
// - dist/index.js + dist/core.js: the package entries for bundler users, with `lit` and `openvidu-browser` left
//   as dependencies.
import typescript from '@rollup/plugin-typescript';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import replace from '@rollup/plugin-replace';
import terser from '@rollup/plugin-terser';
import json from '@rollup/plugin-json';

const ts = () =>
  typescript({ tsconfig: './tsconfig.build.json', declaration: false, emitDeclarationOnly: false, noEmit: false, outDir: undefined, rootDir: undefined, sourceMap: true, include: ['src/**/*.ts', 'components/**/*.ts'] });

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

export default [
  {
    input: 'components/index.ts',
    output: { file: 'dist/ov-live-elements.js', format: 'es', sourcemap: true },
    plugins: [ts(), browserGlobals(), nodeResolve({ browser: true, preferBuiltins: false }), json(), commonjs(), terser({ format: { comments: false } })],
    onwarn,
  },
  {
    input: { index: 'components/index.ts', core: 'src/index.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
    external: (id) => id === 'lit' || id.startsWith('lit/') || id.startsWith('@lit/') || id === 'openvidu-browser',
    plugins: [ts()],
    onwarn,
  },
];
