// `npm run bench`: every benchmark of the project, one table, saved to bench/results/latest.json.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { machine, printTable, root, type BenchRow } from './lib.js';

const only = process.argv.slice(2);
const files = (await readdir(path.join(root, 'bench')))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !only.length || only.some((o) => f.includes(o)))
  .sort();

const started = new Date();
const suites: Record<string, BenchRow[]> = {};
for (const f of files) {
  const mod = (await import(path.join(root, 'bench', f))) as { run: () => Promise<BenchRow[]> };
  const t0 = Date.now();
  console.log(`\n▶ ${f}`);
  suites[f.replace('.bench.ts', '')] = await mod.run();
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

// `npm run bench -- demo` reruns one suite: the others keep their last results (and dates).
const file = path.join(root, 'bench/results/latest.json');
const previous = only.length
  ? await readFile(file, 'utf8').then(
      (t) => JSON.parse(t) as { suites?: Record<string, BenchRow[]>; dates?: Record<string, string> },
      () => undefined,
    )
  : undefined;
const date = started.toISOString();
const dates = { ...previous?.dates, ...Object.fromEntries(Object.keys(suites).map((k) => [k, date])) };
const result = { date, machine: machine(), dates, suites: { ...previous?.suites, ...suites } };
console.log(
  `\n=== ov-live-elements benchmarks — ${date} — ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memGiB} GiB, Node ${result.machine.node}, ${result.machine.platform}\n`,
);
printTable(result.suites);
await mkdir(path.dirname(file), { recursive: true });
await writeFile(file, JSON.stringify(result, null, 2) + '\n');
console.log('\nSaved bench/results/latest.json');
process.exit(0);
