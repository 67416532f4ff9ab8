import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/publish/views/page-security.ts';
import { writeAtomic } from '../../src/storage/files.ts';
import { rawRequest, serveSiteDir, type SiteServer } from './support.ts';

let dir: string;
let siteDir: string;
let server: SiteServer;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herald-static-'));
  siteDir = join(dir, 'site');
  const files: Record<string, string> = {
    'index.html': '<!doctype html><title>Status</title>',
    'history/index.html': '<!doctype html><title>History</title>',
    'history.rss': '<rss version="2.0"></rss>',
    'badge.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
    'api/v2/summary.json': '{"page":{}}',
    'robots.txt': 'User-agent: *',
    'sitemap.xml': '<urlset/>',
    'app.css': 'body{}',
    'app.js': 'void 0',
    '_astro/index.a1B2c3D4.css': 'main{}',
    'assets/page-0123456789ab.js': 'void 1',
    'assets-old/page.js': 'void 2',
    'incidents/.a1b2c3.tmp': 'half-written',
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(siteDir, file, '..'), { recursive: true });
    writeFileSync(join(siteDir, file), text);
  }
  writeFileSync(join(dir, 'secret.txt'), 'outside the site');
  mkdirSync(join(dir, 'site-other'));
  writeFileSync(join(dir, 'site-other', 'secret.txt'), 'a sibling with the same prefix');
  server = await serveSiteDir(siteDir);
  base = server.base;
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A GET whose path goes out exactly as written (fetch would resolve `..` first). */
async function rawGet(
  path: string,
): Promise<{ status: number; body: string; location: string | undefined }> {
  const res = await rawRequest(base, path);
  return {
    status: res.status,
    body: res.body.toString(),
    location: res.headers.location as string,
  };
}

describe('the static site handler', () => {
  it('serves each kind of file with its content type and short cache headers', async () => {
    const types: Record<string, RegExp> = {
      '/': /^text\/html; charset=utf-8$/,
      '/history/': /^text\/html/,
      '/history.rss': /^application\/rss\+xml; charset=utf-8$/,
      '/badge.svg': /^image\/svg\+xml$/,
      '/api/v2/summary.json': /^application\/json; charset=utf-8$/,
      '/robots.txt': /^text\/plain/,
      '/sitemap.xml': /^application\/xml/,
      '/app.css': /^text\/css/,
      '/app.js': /^text\/javascript/,
    };
    for (const [path, type] of Object.entries(types)) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(type);
      expect(res.headers.get('cache-control'), path).toContain('max-age=10');
      await res.arrayBuffer();
    }
    expect(await (await fetch(`${base}/history/`)).text()).toContain('History');
  });

  it('lets browsers keep the hashed stylesheets and page script for good, and only those', async () => {
    for (const path of ['/_astro/index.a1B2c3D4.css', '/assets/page-0123456789ab.js']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control'), path).toBe('public, max-age=31536000, immutable');
      await res.arrayBuffer();
    }
    const other = await fetch(`${base}/assets-old/page.js`);
    expect(other.headers.get('cache-control')).toContain('max-age=10');
    await other.arrayBuffer();
  });

  it('allows any origin to read /api/v2, and only /api/v2', async () => {
    const api = await fetch(`${base}/api/v2/summary.json`);
    expect(api.headers.get('access-control-allow-origin')).toBe('*');
    const page = await fetch(`${base}/`);
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers HEAD with the headers and no body, and revalidates with the ETag', async () => {
    const head = await fetch(`${base}/history.rss`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('<rss version="2.0"></rss>'.length));
    expect(await head.text()).toBe('');
    const etag = head.headers.get('etag')!;
    expect(etag).toBeTruthy();
    const again = await fetch(`${base}/history.rss`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('redirects a directory named without its slash', async () => {
    const res = await fetch(`${base}/history?x=1`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/history/?x=1');
  });

  it('redirects only to a single-slash path on this site, never to another host (issue 10, item 6)', async () => {
    const cases: Record<string, string> = {
      '//api': '/api/',
      '//history?x=1': '/history/?x=1',
      '///history': '/history/',
      '//api//v2': '/api/v2/',
    };
    for (const [path, location] of Object.entries(cases)) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(301);
      expect(res.location, path).toBe(location);
      // A browser resolves the Location against the page: it must stay on this host.
      expect(new URL(res.location!, 'http://status.example/x/').host, path).toBe('status.example');
    }
  });

  it('sends security headers on every response, a CSP with frame-ancestors on pages (issue 10, item 10)', async () => {
    for (const path of ['/', '/history/', '/history.rss', '/api/v2/summary.json', '/nowhere/']) {
      const res = await fetch(`${base}${path}`);
      await res.arrayBuffer();
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('strict-origin-when-cross-origin');
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
    }
    const page = await fetch(`${base}/`);
    await page.arrayBuffer();
    expect(page.headers.get('content-security-policy')).toBe(
      `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`,
    );
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });

  it('never serves a file outside the site, a hidden file, or a malformed path', async () => {
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/history/..%2f..%2fsecret.txt',
      '/../site-other/secret.txt',
      '/incidents/.a1b2c3.tmp',
      '/%E0%A4%A',
      '/index.html%00.txt',
    ]) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toMatch(/outside the site|same prefix|half-written/);
    }
  });

  it('answers an unknown path with a small HTML page', async () => {
    const res = await fetch(`${base}/nowhere/`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<a href="/">');
  });

  it("answers with the site's own styled 404.html, once the publisher has written one", async () => {
    writeFileSync(join(siteDir, '404.html'), '<!doctype html><title>Not here · Acme</title>');
    try {
      const res = await fetch(`${base}/nowhere/`);
      expect(res.status).toBe(404);
      expect(await res.text()).toBe('<!doctype html><title>Not here · Acme</title>');
    } finally {
      rmSync(join(siteDir, '404.html'));
    }
  });

  it('serves Atom feeds as Atom', async () => {
    writeFileSync(join(siteDir, 'history.atom'), '<feed xmlns="http://www.w3.org/2005/Atom"/>');
    const res = await fetch(`${base}/history.atom`);
    expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    await res.text();
  });

  it('never returns a file cut short while the publisher renames new versions over it', async () => {
    // Two versions of very different sizes, swapped by rename as the publisher writes them.
    const big = `${'<p>big version</p>'.repeat(20_000)}END-BIG`;
    const small = 'small version END-SMALL';
    await writeAtomic(siteDir, 'swap.html', big);
    let writing = true;
    let swaps = 0;
    const writer = (async () => {
      while (writing) {
        await writeAtomic(siteDir, 'swap.html', swaps % 2 === 0 ? small : big);
        swaps++;
      }
    })();
    const seen = { big: 0, small: 0, torn: [] as string[] };
    const reader = async () => {
      for (let i = 0; i < 150; i++) {
        const res = await fetch(`${base}/swap.html`);
        const body = await res.text().catch((e: Error) => `(body failed: ${e.message})`);
        if (body === big) seen.big++;
        else if (body === small) seen.small++;
        else
          seen.torn.push(
            `${body.length} bytes, Content-Length ${res.headers.get('content-length')}`,
          );
      }
    };
    await Promise.all(Array.from({ length: 8 }, reader));
    writing = false;
    await writer;
    expect(seen.torn).toEqual([]);
    // The files really were swapped while they were read.
    expect(swaps).toBeGreaterThan(10);
    expect(seen.big).toBeGreaterThan(0);
    expect(seen.small).toBeGreaterThan(0);
  });
});
