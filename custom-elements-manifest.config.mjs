// custom-elements.json for IDEs, docs and framework wrappers: read from the elements' JSDoc
// (@tag, @summary, @fires, @csspart, @cssprop, @slot) and Lit decorators. Module paths name the files the package
// ships (dist/components/<name>.js, which defines the tag), not the TypeScript sources.
export default {
  globs: ['components/**/*.component.ts'],
  exclude: ['**/*.test.ts'],
  outdir: 'dist',
  litelement: true,
  plugins: [packagePaths()],
};

function packagePaths() {
  const shipped = (source) => {
    const m = /^\/?components\/([a-z-]+)\/\1\.component\.ts$/.exec(source ?? '');
    if (m) return `dist/components/${m[1]}.js`;
    // base classes (OvElement) are exported by the root entry
    if (/^\/?components\//.test(source ?? '')) return 'dist/index.js';
    return source;
  };
  return {
    name: 'ov-package-paths',
    packageLinkPhase({ customElementsManifest }) {
      for (const mod of customElementsManifest.modules) {
        mod.path = shipped(mod.path);
        for (const exp of mod.exports ?? []) if (exp.declaration?.module) exp.declaration.module = shipped(exp.declaration.module);
        for (const decl of mod.declarations ?? []) {
          if (decl.superclass?.module) decl.superclass.module = shipped(decl.superclass.module);
          for (const member of [...(decl.members ?? []), ...(decl.attributes ?? []), ...(decl.events ?? [])]) {
            if (member.inheritedFrom?.module) member.inheritedFrom.module = shipped(member.inheritedFrom.module);
          }
          if (decl.customElement && decl.tagName && !mod.exports?.some((e) => e.kind === 'custom-element-definition')) {
            (mod.exports ??= []).push({ kind: 'custom-element-definition', name: decl.tagName, declaration: { name: decl.name, module: mod.path } });
          }
        }
      }
    },
  };
}
