import type { FastifyInstance } from 'fastify';

/** `METHOD /url` of every registered route, from the tree `printRoutes` draws (wildcards placed right). */
export function registeredRoutes(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes().split('\n')) {
    const i = line.indexOf('── ');
    if (i < 0) continue;
    const depth = (i - 1) / 4;
    const m = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(i + 3))!;
    const full = (depth > 0 ? stack[depth - 1] : '') + (m[1] === '(empty root node)' ? '' : m[1]);
    stack[depth] = full;
    stack.length = depth + 1;
    for (const method of m[2]?.split(', ') ?? []) out.push(`${method} ${full}`);
  }
  return out.sort();
}
