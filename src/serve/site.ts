import type { Stats } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MiddlewareHandler } from 'hono';
import type { SiteAvailability } from '../publish/availability.ts';
import { CONTENT_SECURITY_POLICY } from '../publish/views/page-security.ts';
import { siblingsOf } from '../publish/write.ts';
import { notModified, pickVariant } from './negotiate.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.rss': 'application/rss+xml; charset=utf-8',
  '.atom': 'application/atom+xml; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.ics': 'text/calendar; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** HTML, feeds and JSON change with every update: let caches keep them only briefly. */
const CACHE_CONTROL = 'public, max-age=10, stale-while-revalidate=30, stale-if-error=86400';

/**
 * Sent with every file. The pages carry their policy as a `<meta>` too, so it travels to any static
 * host, but only a header can forbid framing (`frame-ancestors`), stop content sniffing and set the
 * referrer policy; README "Keys and security" lists them for CDN deployments.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'X-Frame-Options': 'DENY',
};
/** Pages: the page policy plus what a `<meta>` cannot say. */
export const PAGE_CSP = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;
/** Feeds, JSON and the badge run nothing and load nothing. */
export const FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/** Until the publisher has written the site's own styled `404.html`. */
const NOT_FOUND_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" ' +
  'content="width=device-width, initial-scale=1"><title>Page not found</title></head><body>' +
  '<main><h1>Page not found</h1><p>There is no page at this address. ' +
  '<a href="/">Go to the status page</a>.</p></main></body></html>';

/** Files up to this size are read in one go; larger ones are streamed. */
const READ_WHOLE_BYTES = 256 * 1024;

/** How long a request for a file the publisher is about to write waits for it. */
const HOLD_MS = 2000;
const HOLD_POLL_MS = 50;
const RETRY_AFTER_SECONDS = 2;

const PUBLISHING_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" ' +
  'content="width=device-width, initial-scale=1"><meta http-equiv="refresh" content="2">' +
  '<title>Publishing the status page</title></head><body><main><h1>Publishing the status page' +
  '</h1><p>This page is being published right now. It reloads in a moment.</p></main></body></html>';

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
 * version's length. Unknown paths get the site's `404.html` (a small built-in page until it exists), status 404; a file the publisher has yet to write
 * (see `SiteAvailability`) is waited for briefly, then answered 503 with `Retry-After`.
 */
export function serveSite(root: string, availability?: SiteAvailability): MiddlewareHandler {
  const notFound = async () =>
    (await readFile(resolve(root, '404.html'), 'utf8').catch(() => null)) ?? NOT_FOUND_PAGE;
  return async function serveSiteFile(c, next) {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    c.header('Content-Security-Policy', PAGE_CSP);
    const url = new URL(c.req.url);
    const target = resolveSitePath(root, url.pathname);
    if (!target) return c.html(await notFound(), 404);
    let handle = await open(target, 'r').catch(() => null);
    if (!handle && availability?.pending(url.pathname)) {
      // Before the first export has written it (a fresh data directory), or while its render waits
      // for a retry: hold the request a little for the file, then ask the reader to come back.
      // Never a 404, and nothing a cache may keep.
      const deadline = Date.now() + HOLD_MS;
      while (!handle && Date.now() < deadline && availability.pending(url.pathname)) {
        await sleep(HOLD_POLL_MS);
        handle = await open(target, 'r').catch(() => null);
      }
      if (!handle && availability.pending(url.pathname)) {
        c.header('Retry-After', String(RETRY_AFTER_SECONDS));
        c.header('Cache-Control', 'no-store');
        return c.html(PUBLISHING_PAGE, 503);
      }
    }
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
      // `/history` is the directory `/history/`: send the reader where relative links work. The
      // location is rebuilt from the path's segments: `//api/` would be another host to a browser.
      if (stats.isDirectory()) {
        const segments = url.pathname.split('/').filter((s) => s.length > 0);
        return c.redirect(`/${segments.map((s) => `${s}/`).join('')}${url.search}`, 301);
      }
      return c.html(await notFound(), 404);
    }
    // The plain file decides the version; a compressed sibling is sent only if it is that version.
    const variant = await pickVariant(target, stats, c.req.header('accept-encoding'));
    const validator = `${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}`;
    const type = CONTENT_TYPES[extname(target)] ?? 'application/octet-stream';
    const headers: Record<string, string> = {
      'Content-Type': type,
      'Content-Security-Policy': type.startsWith('text/html') ? PAGE_CSP : FILE_CSP,
      'Cache-Control': CACHE_CONTROL,
      ETag: `W/"${validator}${variant ? `-${variant.encoding}` : ''}"`,
      'Last-Modified': stats.mtime.toUTCString(),
    };
    if (siblingsOf(target).length > 0) headers.Vary = 'Accept-Encoding';
    // The Statuspage-compatible API is read by widgets on other sites.
    if (url.pathname.startsWith('/api/v2/')) headers['Access-Control-Allow-Origin'] = '*';
    const conditional = {
      ifNoneMatch: c.req.header('if-none-match'),
      ifModifiedSince: c.req.header('if-modified-since'),
    };
    if (notModified(conditional, headers.ETag!, stats.mtimeMs)) {
      await Promise.all([handle.close(), variant?.handle.close()]);
      return c.body(null, 304, headers);
    }
    let body = { handle, size: stats.size };
    if (variant) {
      await handle.close();
      body = variant;
      headers['Content-Encoding'] = variant.encoding;
    }
    headers['Content-Length'] = String(body.size);
    if (c.req.method === 'HEAD' || body.size === 0) {
      await body.handle.close();
      return c.body(null, 200, headers);
    }
    if (body.size <= READ_WHOLE_BYTES) {
      // Read whole from the open handle (the version it opened): cheaper than a stream.
      try {
        return c.body(await body.handle.readFile(), 200, headers);
      } finally {
        await body.handle.close();
      }
    }
    return c.body(streamOf(body.handle, body.size), 200, headers);
  };
}

/** Exactly `size` bytes of the open file, closing it when done or when the reader goes away. */
function streamOf(handle: FileHandle, size: number): ReadableStream<Uint8Array> {
  const stream = handle.createReadStream({ start: 0, end: size - 1, autoClose: true });
  return Readable.toWeb(stream) as ReadableStream<Uint8Array>;
}
