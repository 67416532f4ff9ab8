import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { SiteFiles } from './site.ts';

/**
 * The HTTP server: a status page's readers come all at once during an outage, so a site file in
 * memory is answered straight from the Node listener (`SiteFiles.serveFromMemory`); the app, with
 * its routes, request log and the site's other answers, takes everything else.
 */
export function createHttpServer(
  fetch: (request: Request) => Response | Promise<Response>,
  site?: SiteFiles,
): Server {
  const appListener = getRequestListener(fetch);
  return createServer((req, res) => {
    if (!site?.serveFromMemory(req, res)) void appListener(req, res);
  });
}
