import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The browser bundle that ships inside the openvidu-browser npm package (unmodified). */
export function openviduBrowserBundle(): string {
  const pkgDir = path.dirname(require.resolve('openvidu-browser/package.json'));
  const version = (require('openvidu-browser/package.json') as { version: string }).version;
  return path.join(pkgDir, 'static', 'js', `openvidu-browser-${version}.js`);
}

/** Serves the test page (openvidu-browser + a small driver) on 127.0.0.1. */
export async function startPageServer(): Promise<{ url: string; close(): Promise<void> }> {
  const files: Record<string, { file: string; type: string }> = {
    '/openvidu-browser.js': { file: openviduBrowserBundle(), type: 'text/javascript' },
    '/ov-page.js': { file: path.join(here, 'ov-page.js'), type: 'text/javascript' },
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(
        '<!doctype html><html><head><title>ov test</title></head><body><div id="videos"></div>' +
          '<script src="/openvidu-browser.js"></script><script src="/ov-page.js"></script></body></html>',
      );
      return;
    }
    const f = files[url.pathname];
    if (!f) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': f.type });
    res.end(await readFile(f.file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
