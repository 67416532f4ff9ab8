// What the site server sends for the publisher's compressed siblings: negotiation by
// Accept-Encoding, Vary, conditional requests and HEAD, per encoding, over real HTTP.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removePublished, writePublished } from '../../src/publish/write.ts';
import { rawRequest, serveSiteDir, type SiteServer } from './support.ts';

let siteDir: string;
let server: SiteServer;
let base: string;

beforeAll(async () => {
  siteDir = mkdtempSync(join(tmpdir(), 'herald-encoded-'));
  server = await serveSiteDir(siteDir);
  base = server.base;
});

afterAll(async () => {
  await server?.close();
  rmSync(siteDir, { recursive: true, force: true });
});

/** A request whose response arrives as sent: no decompression, no header rewriting. */
const raw = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
  rawRequest(base, path, headers, method);

function decode(encoding: string | undefined, body: Buffer): Buffer {
  if (encoding === 'br') return brotliDecompressSync(body);
  if (encoding === 'gzip') return gunzipSync(body);
  return body;
}

describe('compressed responses', () => {
  const page = Buffer.from(`<!doctype html><title>Encoded</title>${'<p>status</p>'.repeat(500)}`);

  beforeAll(async () => {
    await writePublished(siteDir, 'encoded/index.html', page);
    await writePublished(siteDir, 'encoded/data.json', Buffer.from('{"ok":true}'));
    writeFileSync(join(siteDir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });

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
    // Read again from disk (a file not yet in memory): with no sibling of its version, the plain file.
    await writePublished(siteDir, 'lonely.html', Buffer.from('<p>version one</p>'));
    writeFileSync(join(siteDir, 'lonely.html.br'), brotliCompressSync('<p>version two</p>'));
    rmSync(join(siteDir, 'lonely.html.gz'));
    const plain = await raw('/lonely.html', { 'accept-encoding': 'br, gzip' });
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

describe('the memory door', () => {
  const served = () => server.site.stats().served_from_memory;

  it('answers a file it has read from memory, in every encoding, with HEAD and 304 too', async () => {
    const body = Buffer.from(`<!doctype html><title>Memory</title>${'<p>up</p>'.repeat(300)}`);
    await writePublished(siteDir, 'memory/index.html', body);
    const first = await raw('/memory/', { 'accept-encoding': 'br' });
    expect(brotliDecompressSync(first.body).equals(body)).toBe(true);
    const before = served();
    for (const accept of ['br', 'gzip', 'identity']) {
      const res = await raw('/memory/?utm=1', { 'accept-encoding': accept });
      expect(res.status, accept).toBe(200);
      const encoding = res.headers['content-encoding'] as string | undefined;
      expect(encoding ?? 'identity', accept).toBe(accept);
      expect(Number(res.headers['content-length']), accept).toBe(res.body.length);
      expect(res.headers.vary, accept).toBe('Accept-Encoding');
      expect(res.headers['x-content-type-options'], accept).toBe('nosniff');
      expect(decode(encoding, res.body).equals(body), accept).toBe(true);
      const head = await raw('/memory/', { 'accept-encoding': accept }, 'HEAD');
      expect(head.body.length, accept).toBe(0);
      expect(head.headers['content-length'], accept).toBe(res.headers['content-length']);
      const again = await raw('/memory/', {
        'accept-encoding': accept,
        'if-none-match': String(res.headers.etag),
      });
      expect(again.status, accept).toBe(304);
      expect(again.body.length, accept).toBe(0);
    }
    expect(served() - before).toBe(9);
  });

  it('sends a new version the moment it is renamed over the old one, and nothing once removed', async () => {
    await writePublished(
      siteDir,
      'incidents/live01/index.html',
      Buffer.from('<p>investigating</p>'),
    );
    for (let i = 0; i < 2; i++) await raw('/incidents/live01/', { 'accept-encoding': 'gzip' });
    await writePublished(siteDir, 'incidents/live01/index.html', Buffer.from('<p>resolved</p>'));
    for (const accept of ['br', 'gzip', 'identity']) {
      const res = await raw('/incidents/live01/', { 'accept-encoding': accept });
      expect(decode(res.headers['content-encoding'] as string, res.body).toString()).toBe(
        '<p>resolved</p>',
      );
    }
    await removePublished(siteDir, 'incidents/live01/index.html');
    for (const accept of ['br', 'gzip', 'identity'])
      expect((await raw('/incidents/live01/', { 'accept-encoding': accept })).status).toBe(404);
  });

  it("never answers the app's own paths from the site, and keeps to its byte budget", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-memory-'));
    try {
      writeFileSync(join(dir, 'healthz'), 'a file that must not shadow the route');
      mkdirSync(join(dir, 'v1'));
      writeFileSync(join(dir, 'v1', 'keys'), 'nor this one');
      for (let i = 0; i < 20; i++) await writePublished(dir, `p${i}.html`, Buffer.alloc(4000, 'x'));
      const reserved = (p: string) => p === '/healthz' || p.startsWith('/v1/');
      const own = await serveSiteDir(dir, { reserved, cacheBytes: 20_000 }, (app) =>
        app.get('/healthz', (c) => c.text('route')).get('/v1/keys', (c) => c.text('keys route')),
      );
      const at = own.base;
      const files = own.site;
      try {
        for (let round = 0; round < 2; round++) {
          // `//healthz` is no route, so the app reads the file: the memory door must not then
          // answer `/healthz?x` with it.
          expect(await (await fetch(`${at}//healthz`)).text()).toContain('must not shadow');
          expect((await rawFrom(at, '/healthz?x=1')).body).toBe('route');
          await (await fetch(`${at}//v1/keys`)).arrayBuffer();
          expect((await rawFrom(at, '/v1/keys?x=1')).body).toBe('keys route');
          expect(await (await fetch(`${at}/healthz`)).text()).toBe('route');
          for (let i = 0; i < 20; i++) {
            const res = await fetch(`${at}/p${i}.html`);
            expect(await res.text()).toBe('x'.repeat(4000));
          }
        }
        expect(files.stats().cached_bytes).toBeGreaterThan(0);
        expect(files.stats().cached_bytes).toBeLessThanOrEqual(20_000);
      } finally {
        await own.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A GET whose path goes out exactly as written (fetch would resolve `.` first). */
async function rawFrom(at: string, path: string): Promise<{ status: number; body: string }> {
  const res = await rawRequest(at, path);
  return { status: res.status, body: res.body.toString() };
}
