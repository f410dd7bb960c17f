// `npm run bench`: every benchmark of the project, one table, saved to bench/results/latest.json.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
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

const result = { date: started.toISOString(), machine: machine(), suites };
console.log(`\n=== ov-live-elements benchmarks — ${result.date} — ${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.machine.node}`);
for (const [name, rows] of Object.entries(suites)) printTable(name, rows);
await mkdir(path.join(root, 'bench/results'), { recursive: true });
await writeFile(path.join(root, 'bench/results/latest.json'), JSON.stringify(result, null, 2) + '\n');
console.log('\nSaved bench/results/latest.json');
process.exit(0);
