// custom-elements.json for IDEs, docs and framework wrappers: read from the elements' JSDoc
// (@tag, @summary, @fires, @csspart, @cssprop, @slot) and Lit decorators.
export default {
  globs: ['components/**/*.component.ts'],
  exclude: ['**/*.test.ts'],
  outdir: 'dist',
  litelement: true,
};
