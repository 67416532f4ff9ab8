import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { createHttpServer } from '../../src/serve/http.ts';
import { SiteFiles, type SiteFilesOptions } from '../../src/serve/site.ts';

export interface SiteServer {
  site: SiteFiles;
  base: string;
  close(): Promise<void>;
}

/**
 * Serves `siteDir` on loopback as the server runs it: the memory door first, the app (with the
 * given routes before the site) for the rest.
 */
export async function serveSiteDir(
  siteDir: string,
  options: SiteFilesOptions = {},
  routes: (app: Hono) => Hono = (app) => app,
): Promise<SiteServer> {
  const site = new SiteFiles(siteDir, options);
  const app = routes(new Hono()).use('/*', site.middleware());
  const server = createHttpServer(app.fetch, site);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    site,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A request whose path goes out exactly as written (fetch would resolve `.` and `..` first) and
 * whose response arrives as sent: no decompression, no header rewriting.
 */
export function rawRequest(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/`, { path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}
