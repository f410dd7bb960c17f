#!/usr/bin/env node
// `npm run lint`: ESLint, then Prettier's check, on the whole tree. `npm run lint -- --fix` fixes what they can
// (ESLint's fixes and Prettier's formatting). Exits non-zero on any error either reports.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fix = process.argv.includes('--fix');
const bin = (pkg, file) => path.join(root, 'node_modules', pkg, 'bin', file);
const run = (file, args) => spawnSync(process.execPath, [file, ...args], { cwd: root, stdio: 'inherit' }).status ?? 1;

const eslint = run(bin('eslint', 'eslint.js'), ['.', ...(fix ? ['--fix'] : [])]);
const prettier = run(bin('prettier', 'prettier.cjs'), [fix ? '--write' : '--check', '--log-level', fix ? 'warn' : 'log', '.']);
process.exit(eslint || prettier ? 1 : 0);
