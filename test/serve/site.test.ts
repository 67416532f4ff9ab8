import { serve, type ServerType } from '@hono/node-server';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveSite } from '../../src/serve/site.ts';
import { removePublished, writePublished } from '../../src/publish/write.ts';
import { writeAtomic } from '../../src/storage/files.ts';

let dir: string;
let siteDir: string;
let server: ServerType;
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
    'incidents/.a1b2c3.tmp': 'half-written',
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(siteDir, file, '..'), { recursive: true });
    writeFileSync(join(siteDir, file), text);
  }
  writeFileSync(join(dir, 'secret.txt'), 'outside the site');
  mkdirSync(join(dir, 'site-other'));
  writeFileSync(join(dir, 'site-other', 'secret.txt'), 'a sibling with the same prefix');
  const app = new Hono().use('/*', serveSite(siteDir));
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** A request whose path goes out exactly as written (fetch would resolve `..` first). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/`, { path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
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

/** A request whose response arrives as sent: no decompression, no header rewriting. */
function raw(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
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

describe('compressed responses', () => {
  const page = Buffer.from(`<!doctype html><title>Encoded</title>${'<p>status</p>'.repeat(500)}`);

  beforeAll(async () => {
    await writePublished(siteDir, 'encoded/index.html', page);
    await writePublished(siteDir, 'encoded/data.json', Buffer.from('{"ok":true}'));
    writeFileSync(join(siteDir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });

  function decode(encoding: string | undefined, body: Buffer): Buffer {
    if (encoding === 'br') return brotliDecompressSync(body);
    if (encoding === 'gzip') return gunzipSync(body);
    return body;
  }

  it('sends the precompressed file the client prefers: br before gzip before identity, by weight', async () => {
    const cases: Array<[string | null, string | undefined]> = [
      ['gzip, deflate, br', 'br'],
      ['br', 'br'],
      ['*', 'br'],
      ['gzip', 'gzip'],
      ['x-gzip', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
      ['br;q=0.5, gzip;q=0.8', 'gzip'],
      ['deflate', undefined],
      ['identity', undefined],
      ['identity, gzip;q=0.5', undefined],
      ['br;q=0, gzip;q=0', undefined],
      ['*;q=0', undefined],
      ['', undefined],
      [null, undefined],
    ];
    for (const [accept, encoding] of cases) {
      const res = await raw('/encoded/', accept === null ? {} : { 'accept-encoding': accept });
      expect(res.status, String(accept)).toBe(200);
      expect(res.headers['content-encoding'], String(accept)).toBe(encoding);
      expect(res.headers.vary, String(accept)).toBe('Accept-Encoding');
      expect(res.headers['content-type'], String(accept)).toBe('text/html; charset=utf-8');
      expect(Number(res.headers['content-length']), String(accept)).toBe(res.body.length);
      expect(decode(encoding, res.body).equals(page), String(accept)).toBe(true);
      if (encoding) expect(res.body.length, String(accept)).toBeLessThan(page.length / 5);
    }
  });

  it('answers HEAD with the chosen encoding and its length, without a body', async () => {
    const get = await raw('/encoded/data.json', { 'accept-encoding': 'gzip' });
    const head = await raw('/encoded/data.json', { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-encoding']).toBe('gzip');
    expect(head.headers['content-length']).toBe(String(get.body.length));
    expect(head.headers.etag).toBe(get.headers.etag);
  });

  it('answers If-None-Match and If-Modified-Since with 304, per encoding', async () => {
    const br = await raw('/encoded/', { 'accept-encoding': 'br' });
    const plain = await raw('/encoded/');
    const etag = br.headers.etag as string;
    expect(etag).toMatch(/^W\/".+-br"$/);
    expect(plain.headers.etag).not.toBe(etag);

    const again = await raw('/encoded/', { 'accept-encoding': 'br', 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect(again.headers.vary).toBe('Accept-Encoding');
    expect(again.headers['cache-control']).toContain('max-age=10');
    // A list of tags, and a strong form of the weak tag, match as well (weak comparison).
    const listed = await raw('/encoded/', {
      'accept-encoding': 'br',
      'if-none-match': `"other", ${etag.slice(2)}`,
    });
    expect(listed.status).toBe(304);
    // The br tag does not validate the plain representation.
    expect((await raw('/encoded/', { 'if-none-match': etag })).status).toBe(200);

    const lastModified = br.headers['last-modified'] as string;
    expect((await raw('/encoded/', { 'if-modified-since': lastModified })).status).toBe(304);
    const later = new Date(Date.parse(lastModified) + 60_000).toUTCString();
    expect((await raw('/encoded/', { 'if-modified-since': later })).status).toBe(304);
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    expect((await raw('/encoded/', { 'if-modified-since': earlier })).status).toBe(200);
    expect((await raw('/encoded/', { 'if-modified-since': 'yesterday' })).status).toBe(200);
    // If-None-Match decides when both are sent.
    const both = await raw('/encoded/', { 'if-none-match': '"other"', 'if-modified-since': later });
    expect(both.status).toBe(200);
  });

  it('never sends a compressed file of another version than the plain one', async () => {
    await writePublished(siteDir, 'mixed.html', Buffer.from('<p>version one</p>'));
    // The publisher between renames: a .br of the next version beside the plain file of this one.
    writeFileSync(join(siteDir, 'mixed.html.br'), brotliCompressSync('<p>version two</p>'));
    const res = await raw('/mixed.html', { 'accept-encoding': 'br, gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.body).toString()).toBe('<p>version one</p>');
    rmSync(join(siteDir, 'mixed.html.gz'));
    const plain = await raw('/mixed.html', { 'accept-encoding': 'br, gzip' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe('<p>version one</p>');
  });

  it('sends nothing, in any encoding, for a file removed with its siblings', async () => {
    await writePublished(siteDir, 'incidents/gone01/index.html', Buffer.from('<p>withdrawn</p>'));
    expect((await raw('/incidents/gone01/', { 'accept-encoding': 'br' })).status).toBe(200);
    await removePublished(siteDir, 'incidents/gone01/index.html');
    for (const accept of ['br', 'gzip', 'identity']) {
      const res = await raw('/incidents/gone01/', { 'accept-encoding': accept });
      expect(res.status, accept).toBe(404);
      expect(res.body.toString(), accept).not.toContain('withdrawn');
    }
    for (const direct of ['index.html', 'index.html.br', 'index.html.gz'])
      expect((await raw(`/incidents/gone01/${direct}`)).status, direct).toBe(404);
  });

  it('sends images as they are, with no Vary', async () => {
    const res = await raw('/logo.png', { 'accept-encoding': 'br, gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toBeUndefined();
  });
});
