import type { Stats } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context, MiddlewareHandler } from 'hono';
import { ASSET_DIRS } from '../publish/assets.ts';
import type { SiteAvailability } from '../publish/availability.ts';
import { CONTENT_SECURITY_POLICY } from '../publish/views/page-security.ts';
import { siblingsOf } from '../publish/write.ts';
import { CACHED_FILE_BYTES, FileCache, type CachedFile } from './file-cache.ts';
import { acceptedEncodings, notModified, pickVariant, type Encoding } from './negotiate.ts';

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
/** For the files named by their content's hash (`ASSET_DIRS`): a browser or CDN may keep each. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

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

/** How long a request for a file the publisher is about to write waits for it, by default. */
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

/** What a request asks of a file: its method and the headers that choose the answer. */
interface Asked {
  method: string;
  acceptEncoding: string | undefined;
  ifNoneMatch: string | undefined;
  ifModifiedSince: string | undefined;
}

interface Answer {
  status: 200 | 304;
  headers: Record<string, string>;
  body: Buffer<ArrayBuffer> | null;
}

export interface SiteFilesOptions {
  /** Told of files the publisher is about to write (see `SiteAvailability`). */
  availability?: SiteAvailability;
  /** Paths that belong to the API, never to the site (checked only by `serveFromMemory`). */
  reserved?: (pathname: string) => boolean;
  /** The in-memory cache's byte budget. */
  cacheBytes?: number;
  /**
   * How long, in milliseconds, a request for a file the publisher is about to write waits for it
   * before the 503: 2 s (`HOLD_MS`) when not given, as the server runs it. Tests that must see a
   * held request get its file on a loaded machine hold it longer.
   */
  holdMs?: number | undefined;
}

/**
 * The published site under `root`, served. Small files come from memory (`FileCache`: each use
 * checks with one `stat` that the file on disk is still the version in memory), larger ones are
 * streamed from an open handle. Either way everything a response says (length, type, validators,
 * the compressed sibling) comes from one version of the file: the publisher renames new versions
 * over old ones, so a reader never gets a file cut at another version's length. Unknown paths get
 * the site's `404.html` (a small built-in page until it exists), status 404; a file the publisher
 * has yet to write (see `SiteAvailability`) is waited for briefly, then answered 503 with
 * `Retry-After`.
 *
 * Two doors: `serveFromMemory`, for the Node request listener, answers a file that is in memory
 * without building a `Request` (the path a flood of readers takes); everything else goes through
 * `middleware()` in the Hono app.
 */
export class SiteFiles {
  private readonly cache: FileCache;
  private readonly targets = new Map<string, string | null>();
  private readonly doorTargets = new Map<string, string | null>();
  private readonly encodings = new Map<string, Encoding[]>();
  private readonly headers = new WeakMap<CachedFile, Partial<Record<Encoding, Answer>>>();
  /** Where files get headers of their own: the public API (CORS), the hashed assets (kept). */
  private readonly dirs: HeaderDirs;
  private servedFromMemory = 0;

  constructor(
    readonly root: string,
    private readonly options: SiteFilesOptions = {},
  ) {
    this.cache = new FileCache(options.cacheBytes);
    this.dirs = {
      apiDir: join(resolve(root), 'api', 'v2') + sep,
      hashedDirs: ASSET_DIRS.map((d) => join(resolve(root), d) + sep),
    };
  }

  /** How much the memory door served, and what the cache holds (for `/healthz`). */
  stats(): { served_from_memory: number; cached_files: number; cached_bytes: number } {
    const { files, bytes } = this.cache.stats();
    return { served_from_memory: this.servedFromMemory, cached_files: files, cached_bytes: bytes };
  }

  /**
   * Answers a GET or HEAD for a file that is in memory and current, and returns true; returns
   * false, having sent nothing, for anything else (the Hono app answers it then).
   */
  serveFromMemory(req: IncomingMessage, res: ServerResponse): boolean {
    const { method, url } = req;
    if ((method !== 'GET' && method !== 'HEAD') || !url || url.charCodeAt(0) !== 47) return false;
    const query = url.indexOf('?');
    const pathname = query === -1 ? url : url.slice(0, query);
    const target = this.doorTargetOf(pathname);
    const entry = target ? this.cache.fresh(target) : undefined;
    if (!target || !entry) return false;
    const answer = this.answer(target, entry, {
      method,
      acceptEncoding: req.headers['accept-encoding'],
      ifNoneMatch: req.headers['if-none-match'],
      ifModifiedSince: req.headers['if-modified-since'],
    });
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body ?? undefined);
    this.servedFromMemory++;
    return true;
  }

  /** The Hono door: every GET and HEAD the routes before it did not take. */
  middleware(): MiddlewareHandler {
    const notFound = async () =>
      (await readFile(resolve(this.root, '404.html'), 'utf8').catch(() => null)) ?? NOT_FOUND_PAGE;
    const availability = this.options.availability;
    return async (c, next) => {
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
      c.header('Content-Security-Policy', PAGE_CSP);
      const url = new URL(c.req.url);
      const target = this.targetOf(url.pathname);
      if (!target) return c.html(await notFound(), 404);
      const asked: Asked = {
        method: c.req.method,
        acceptEncoding: c.req.header('accept-encoding'),
        ifNoneMatch: c.req.header('if-none-match'),
        ifModifiedSince: c.req.header('if-modified-since'),
      };
      const cached = this.cache.fresh(target);
      if (cached) return respond(c, this.answer(target, cached, asked));
      let handle = await open(target, 'r').catch(() => null);
      if (!handle && availability?.pending(url.pathname)) {
        // Before the first export has written it (a fresh data directory), or while its render
        // waits for a retry: hold the request a little for the file, then ask the reader to come
        // back. Never a 404, and nothing a cache may keep.
        const deadline = Date.now() + (this.options.holdMs ?? HOLD_MS);
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
      if (stats.size <= CACHED_FILE_BYTES) {
        try {
          return respond(
            c,
            this.answer(target, await this.cache.load(target, handle, stats), asked),
          );
        } finally {
          await handle.close();
        }
      }
      return this.stream(c, target, handle, stats, asked);
    };
  }

  /** A large file, streamed from its open handle (or its compressed sibling of the same version). */
  private async stream(
    c: Context,
    target: string,
    handle: FileHandle,
    stats: Stats,
    asked: Asked,
  ): Promise<Response> {
    const variant = await pickVariant(target, stats, asked.acceptEncoding);
    const encoding = variant?.encoding ?? 'identity';
    const headers = headersOf(target, stats, encoding, variant?.size ?? stats.size, this.dirs);
    if (notModified(asked, headers.ETag!, stats.mtimeMs)) {
      await Promise.all([handle.close(), variant?.handle.close()]);
      return c.body(null, 304, withoutBodyHeaders(headers));
    }
    const body = variant ?? { handle, size: stats.size };
    if (variant) await handle.close();
    if (asked.method === 'HEAD') {
      await body.handle.close();
      return c.body(null, 200, headers);
    }
    return c.body(streamOf(body.handle, body.size), 200, headers);
  }

  /** The answer for a file in memory: the encoding the client prefers among those kept. */
  private answer(target: string, entry: CachedFile, asked: Asked): Answer {
    let answers = this.headers.get(entry);
    if (!answers) this.headers.set(entry, (answers = {}));
    const encoding = this.acceptedOf(asked.acceptEncoding).find((e) => entry.variants[e])!;
    let full = answers[encoding];
    if (!full) {
      const variant = entry.variants[encoding]!;
      full = answers[encoding] = {
        status: 200,
        headers: headersOf(target, entry, encoding, variant.body.length, this.dirs),
        body: variant.body,
      };
    }
    if (notModified(asked, full.headers.ETag!, entry.mtimeMs))
      return { status: 304, headers: withoutBodyHeaders(full.headers), body: null };
    return asked.method === 'HEAD' || full.body!.length === 0 ? { ...full, body: null } : full;
  }

  private acceptedOf(header: string | undefined): Encoding[] {
    return remembered(this.encodings, header ?? '', () => acceptedEncodings(header));
  }

  /**
   * As `targetOf`, but null for a path the app's routes own (`/healthz?x` is `/healthz` to the
   * router), and for any other spelling of such a path's file: those go through the app.
   */
  private doorTargetOf(pathname: string): string | null {
    return remembered(this.doorTargets, pathname, () => {
      const target = this.targetOf(pathname);
      const reserved = this.options.reserved;
      if (!target || !reserved) return target;
      const normalised = `/${relative(this.root, target).split(sep).join('/')}`;
      return reserved(pathname) || reserved(normalised) ? null : target;
    });
  }

  private targetOf(pathname: string): string | null {
    return remembered(this.targets, pathname, () => resolveSitePath(this.root, pathname));
  }
}

/** The value `map` holds for `key`, made and kept on first use; a full map starts over. */
function remembered<V>(map: Map<string, V>, key: string, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    if (map.size >= MEMO_ENTRIES) map.clear();
    map.set(key, value);
  }
  return value;
}

/** How many request paths (and `Accept-Encoding` values) are remembered resolved. */
const MEMO_ENTRIES = 10_000;

interface HeaderDirs {
  apiDir: string;
  hashedDirs: readonly string[];
}

/** Everything sent with one version of a file in one encoding. */
function headersOf(
  target: string,
  version: { size: number; mtimeMs: number; mtime?: Date },
  encoding: Encoding,
  length: number,
  { apiDir, hashedDirs }: HeaderDirs,
): Record<string, string> {
  const type = CONTENT_TYPES[extname(target)] ?? 'application/octet-stream';
  const validator = `${version.size.toString(16)}-${Math.floor(version.mtimeMs).toString(16)}`;
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Security-Policy': type.startsWith('text/html') ? PAGE_CSP : FILE_CSP,
    'Cache-Control': hashedDirs.some((d) => target.startsWith(d)) ? IMMUTABLE : CACHE_CONTROL,
    ETag: `W/"${validator}${encoding === 'identity' ? '' : `-${encoding}`}"`,
    'Last-Modified': new Date(version.mtimeMs).toUTCString(),
  };
  if (siblingsOf(target).length > 0) headers.Vary = 'Accept-Encoding';
  // The Statuspage-compatible API is read by widgets on other sites.
  if (target.startsWith(apiDir)) headers['Access-Control-Allow-Origin'] = '*';
  if (encoding !== 'identity') headers['Content-Encoding'] = encoding;
  headers['Content-Length'] = String(length);
  return headers;
}

/** A 304 carries the validators and caching headers, not the body's length or coding. */
function withoutBodyHeaders(headers: Record<string, string>): Record<string, string> {
  const { 'Content-Length': _length, 'Content-Encoding': _encoding, ...rest } = headers;
  return rest;
}

function respond(c: Context, answer: Answer): Response {
  return answer.body
    ? c.body(answer.body, 200, answer.headers)
    : c.body(null, answer.status, answer.headers);
}

/**
 * Serves the published site from `root` through a Hono app (see `SiteFiles`); the server also
 * gives the same `SiteFiles` the Node listener's memory door.
 */
export function serveSite(root: string, availability?: SiteAvailability): MiddlewareHandler {
  return new SiteFiles(root, { availability }).middleware();
}

/** Exactly `size` bytes of the open file, closing it when done or when the reader goes away. */
function streamOf(handle: FileHandle, size: number): ReadableStream<Uint8Array> {
  const stream = handle.createReadStream({ start: 0, end: size - 1, autoClose: true });
  return Readable.toWeb(stream) as ReadableStream<Uint8Array>;
}
