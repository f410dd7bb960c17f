/**
 * `fetch` on the reference server's API: `api('/sessions/r/clips', { method: 'POST', json: {…} })` sends JSON with
 * its content type. `base` is read at each call, so a test can make the client before its server starts.
 */
export function apiClient(base: () => string) {
  return (p: string, init: RequestInit & { json?: unknown } = {}) =>
    fetch(`${base()}/api${p}`, {
      ...init,
      headers: { ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.headers as object) },
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    });
}
