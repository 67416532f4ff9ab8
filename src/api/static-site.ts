import type { Stats } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { MiddlewareHandler } from 'hono';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.rss': 'application/rss+xml; charset=utf-8',
  '.atom': 'application/atom+xml; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** HTML, feeds and JSON change with every update: let caches keep them only briefly. */
const CACHE_CONTROL = 'public, max-age=10, stale-while-revalidate=30, stale-if-error=86400';

/** Until the publisher has written the site's own styled `404.html`. */
const NOT_FOUND_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" ' +
  'content="width=device-width, initial-scale=1"><title>Page not found</title></head><body>' +
  '<main><h1>Page not found</h1><p>There is no page at this address. ' +
  '<a href="/">Go to the status page</a>.</p></main></body></html>';

/**
 * The file under `root` that a URL path names, or null when the path is malformed or would leave
 * `root`. Hidden names (the publisher's `.*.tmp` files) are never served.
 */
export function resolveSitePath(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s.startsWith('.'))) return null;
  const base = resolve(root);
  const target = resolve(base, ...segments, ...(decoded.endsWith('/') ? ['index.html'] : []));
  return target.startsWith(base + sep) ? target : null;
}

/**
 * Serves the published site from `root`. The file is opened first and everything (length, type,
 * validators) comes from that open handle: the publisher renames new versions over old ones, and
 * the handle keeps reading the version it opened, so a reader never gets a file cut at another
 * version's length. Unknown paths get the site's `404.html` with status 404.
 */
export function serveSite(root: string): MiddlewareHandler {
  const notFound = async () =>
    (await readFile(resolve(root, '404.html'), 'utf8').catch(() => null)) ?? NOT_FOUND_PAGE;
  return async function serveSiteFile(c, next) {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    const url = new URL(c.req.url);
    const target = resolveSitePath(root, url.pathname);
    const handle = target ? await open(target, 'r').catch(() => null) : null;
    if (!handle) return c.html(await notFound(), 404);
    let stats: Stats;
    try {
      stats = await handle.stat();
    } catch (error) {
      await handle.close();
      throw error;
    }
    if (!stats.isFile()) {
      await handle.close();
      // `/history` is the directory `/history/`: send the reader where relative links work.
      if (stats.isDirectory()) return c.redirect(`${url.pathname}/${url.search}`, 301);
      return c.html(await notFound(), 404);
    }
    const headers: Record<string, string> = {
      'Content-Type': CONTENT_TYPES[extname(target!)] ?? 'application/octet-stream',
      'Cache-Control': CACHE_CONTROL,
      ETag: `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`,
      'Last-Modified': stats.mtime.toUTCString(),
    };
    // The Statuspage-compatible API is read by widgets on other sites.
    if (url.pathname.startsWith('/api/v2/')) headers['Access-Control-Allow-Origin'] = '*';
    if (c.req.header('if-none-match') === headers.ETag) {
      await handle.close();
      return c.body(null, 304, headers);
    }
    headers['Content-Length'] = String(stats.size);
    if (c.req.method === 'HEAD' || stats.size === 0) {
      await handle.close();
      return c.body(null, 200, headers);
    }
    return c.body(streamOf(handle, stats.size), 200, headers);
  };
}

/** Exactly `size` bytes of the open file, closing it when done or when the reader goes away. */
function streamOf(handle: FileHandle, size: number): ReadableStream<Uint8Array> {
  const stream = handle.createReadStream({ start: 0, end: size - 1, autoClose: true });
  return Readable.toWeb(stream) as ReadableStream<Uint8Array>;
}
