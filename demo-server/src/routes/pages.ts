import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { ApiError, errors } from '../errors.js';
import { errorResponses, SESSION_ID_PATTERN } from '../schemas/common.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The package's root: the nearest folder above with our package.json (the repository, or the installed package). */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'ov-live-elements') return dir;
    if (path.dirname(dir) === dir) return path.resolve(here, '../../..');
  }
}

/** The demo page's files (next to this code, also when compiled), and the built element bundle (`npm run build`). */
export const PUBLIC_DIR = path.resolve(here, '../../public');
export const DIST_DIR = path.join(packageRoot(here), 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// Pages take the query a CMS or a share link gives them; unknown fields (utm_…) are tolerated, the known ones are
// checked because the page script puts them into attributes.
const PageQuery = Type.Object(
  {
    session: Type.Optional(Type.String({ pattern: SESSION_ID_PATTERN })),
    name: Type.Optional(Type.String({ maxLength: 64 })),
    lang: Type.Optional(Type.String({ pattern: '^[a-z]{2}(-[A-Za-z]{2})?$' })),
  },
  { additionalProperties: true },
);
const AssetParams = Type.Object({ file: Type.String({ pattern: '^[a-z][a-z0-9-]{0,40}\\.(css|js|svg)$' }) }, { additionalProperties: false });
/** A part of the element bundle: `<name>-<hash>.js` (or its map), as rollup names them. */
const PartParams = Type.Object({ file: Type.String({ pattern: '^[a-z][a-z0-9-]{0,40}-[A-Za-z0-9_-]{8}\\.js(\\.map)?$' }) }, { additionalProperties: false });
const NoQuery = Type.Object({}, { additionalProperties: false });
const page = { 200: Type.String({ description: 'HTML' }), ...errorResponses(400, 403) };

/** Send one file from a fixed folder; `name` has already been checked against a pattern and the folder listing. */
async function sendFile(reply: FastifyReply, dir: string, name: string, cache: string) {
  const file = path.join(dir, name);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw errors.notFound('file');
  return reply
    .type(TYPES[path.extname(name)] ?? 'application/octet-stream')
    .header('Content-Length', info.size)
    .header('Last-Modified', info.mtime.toUTCString())
    .header('Cache-Control', cache)
    .send(createReadStream(file));
}

/**
 * The demo page (`/`), the iframe page for CMSs that block scripts (`/embed`), their assets (`/demo/*`) and the
 * self-contained element bundle (`/ov-live-elements.js`), which host pages on other origins load as a module, with
 * the parts it imports from beside itself (`/ov-live-elements/*.js`: the elements; the room with openvidu-browser).
 */
export const pageRoutes: FastifyPluginAsyncTypebox<{ embedOrigins: string[] }> = async (app, opts) => {
  const assets = new Set((await readdir(PUBLIC_DIR).catch(() => [] as string[])).filter((f) => /\.(css|js|svg)$/.test(f)));

  app.get('/', {
    schema: { hide: true, querystring: PageQuery, response: page },
    config: { action: 'page:read' },
    handler: (_request, reply) => sendFile(reply, PUBLIC_DIR, 'index.html', 'no-cache'),
  });

  app.get('/embed', {
    schema: { hide: true, querystring: PageQuery, response: page },
    config: { action: 'page:read' },
    handler: (_request, reply) => {
      // This page exists to be framed by other sites: replace helmet's same-origin framing rules for it alone.
      const csp = String(reply.getHeader('Content-Security-Policy') ?? '').replace(/frame-ancestors [^;]*/, `frame-ancestors ${opts.embedOrigins.join(' ')}`);
      reply.header('Content-Security-Policy', csp).removeHeader('X-Frame-Options');
      return sendFile(reply, PUBLIC_DIR, 'embed.html', 'no-cache');
    },
  });

  app.get('/demo/:file', {
    schema: { hide: true, params: AssetParams, querystring: NoQuery, response: { 200: Type.Any(), ...errorResponses(400, 403, 404) } },
    config: { action: 'page:read' },
    handler: (request, reply) => {
      if (!assets.has(request.params.file)) throw errors.notFound('file');
      return sendFile(reply, PUBLIC_DIR, request.params.file, 'no-cache');
    },
  });

  for (const name of ['ov-live-elements.js', 'ov-live-elements.js.map']) {
    app.get(`/${name}`, {
      schema: { hide: true, querystring: NoQuery, response: { 200: Type.Any(), ...errorResponses(403, 503) } },
      config: { action: 'page:read' },
      handler: async (_request, reply) => {
        // Public code, loaded as a module script by pages on any origin (a CORS request).
        reply.header('Access-Control-Allow-Origin', '*').header('Cross-Origin-Resource-Policy', 'cross-origin');
        if (!(await stat(path.join(DIST_DIR, name)).catch(() => undefined)))
          throw new ApiError(503, 'OV_NOT_BUILT', 'The element bundle is not built yet: run `npm run build`');
        return sendFile(reply, DIST_DIR, name, 'no-cache');
      },
    });
  }

  app.get('/ov-live-elements/:file', {
    schema: { hide: true, params: PartParams, querystring: NoQuery, response: { 200: Type.Any(), ...errorResponses(400, 403, 404) } },
    config: { action: 'page:read' },
    handler: (request, reply) => {
      // Imported by the bundle from pages on any origin (CORS); its name carries a hash of its content: cached for good.
      reply.header('Access-Control-Allow-Origin', '*').header('Cross-Origin-Resource-Policy', 'cross-origin');
      return sendFile(reply, path.join(DIST_DIR, 'ov-live-elements'), request.params.file, 'public, max-age=31536000, immutable');
    },
  });
};
