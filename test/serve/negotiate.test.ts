// What the site server sends for the publisher's compressed siblings: negotiation by
// Accept-Encoding, Vary, conditional requests and HEAD, per encoding, over real HTTP.
import { serve, type ServerType } from '@hono/node-server';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removePublished, writePublished } from '../../src/publish/write.ts';
import { serveSite } from '../../src/serve/site.ts';

let siteDir: string;
let server: ServerType;
let base: string;

beforeAll(async () => {
  siteDir = mkdtempSync(join(tmpdir(), 'herald-encoded-'));
  const app = new Hono().use('/*', serveSite(siteDir));
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  rmSync(siteDir, { recursive: true, force: true });
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
