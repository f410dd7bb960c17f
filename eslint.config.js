// ESLint (flat config): typescript-eslint's recommended rules for all TypeScript, Lit's and web components' rules for
// the elements, Node globals for the servers, scripts and tests. Formatting is Prettier's job (.prettierrc.json).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { configs as litConfigs } from 'eslint-plugin-lit';
import { configs as wcConfigs } from 'eslint-plugin-wc';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-output/**', 'bench/results/**', 'coverage/**', 'demo-server/data/**', '**/*.min.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.browser, ...globals.node } },
    rules: {
      // `_`-prefixed names are deliberately unused (callback positions, destructuring that drops a field).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // An empty catch says "anything already gone is fine"; it carries a comment where the why is not obvious.
      'no-empty': ['error', { allowEmptyCatch: true }],
      // A `let` assigned once, after the closures that read it are made (a timer that clears itself), stays a let.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  { files: ['components/**/*.ts', 'react/**/*.ts'], ...litConfigs['flat/recommended'] },
  { files: ['components/**/*.ts'], ...wcConfigs['flat/recommended'] },
  {
    // Tests and benches drive pages through `evaluate` and reach into private state on purpose; chai's property
    // assertions (`expect(x).to.be.true`) are expressions.
    files: ['test/**/*.ts', 'test/**/*.js', 'test/**/*.mjs', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
