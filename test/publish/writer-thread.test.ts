import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, type Publisher } from '../../src/publish/publisher.ts';
import { listPublished } from '../../src/publish/write.ts';
import { inlineWriter, threadWriter, type SiteWriter } from '../../src/publish/writer-thread.ts';
import { REPO_ROOT } from '../support/harness.ts';
import { sev1Body } from '../support/harness.ts';
import { createSiteHarness, type SiteHarness } from './site-support.ts';

/** Every file under `dir` with its bytes, and each plain file's modification time. */
async function contents(dir: string) {
  const files = (await listPublished(dir)).sort();
  return Promise.all(
    files.map(async (file) => ({
      file,
      bytes: await readFile(join(dir, file)),
      mtimeMs: (await stat(join(dir, file))).mtimeMs,
    })),
  );
}

const pages = [
  { file: 'index.html', body: Buffer.from('<!doctype html><p>All systems operational</p>') },
  // Over 16 KiB: compressed on the thread pool, not inline.
  { file: 'api/v2/incidents.json', body: Buffer.from(JSON.stringify({ n: Array(4000).fill(7) })) },
  { file: 'incidents/abc123/index.html', body: Buffer.from('<p>An incident & its page</p>') },
  { file: 'badge.png', body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) },
];

describe('threadWriter', () => {
  it('writes what writePublished writes: the same bytes, and siblings of one version that decompress to them', async () => {
    const here = mkdtempSync(join(tmpdir(), 'herald-writer-inline-'));
    const there = mkdtempSync(join(tmpdir(), 'herald-writer-thread-'));
    const inline = inlineWriter(here);
    const thread = threadWriter(there);
    await Promise.all(pages.map((p) => inline.write(p.file, p.body)));
    // Copies: a body that owns its memory moves to the thread.
    await Promise.all(pages.map((p) => thread.write(p.file, Buffer.from(p.body))));
    await thread.close();
    const expected = await contents(here);
    const written = await contents(there);
    expect(written.map((f) => f.file)).toEqual(expected.map((f) => f.file));
    expect(written.map((f) => f.file)).toContain('api/v2/incidents.json.br');
    expect(written.map((f) => f.file)).not.toContain('badge.png.br');
    for (const page of pages) {
      const plain = written.find((f) => f.file === page.file)!;
      expect(plain.bytes.equals(page.body), page.file).toBe(true);
      const br = written.find((f) => f.file === `${page.file}.br`);
      const gz = written.find((f) => f.file === `${page.file}.gz`);
      if (page.file.endsWith('.png')) continue;
      expect(brotliDecompressSync(br!.bytes).equals(page.body), page.file).toBe(true);
      expect(gunzipSync(gz!.bytes).equals(page.body), page.file).toBe(true);
      expect(br!.mtimeMs).toBe(plain.mtimeMs);
      expect(gz!.mtimeMs).toBe(plain.mtimeMs);
    }
  });

  it('rejects a write that fails with its error, and still writes the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-writer-fail-'));
    // A file where the page's directory should be.
    writeFileSync(join(dir, 'incidents'), 'in the way');
    const thread = threadWriter(dir);
    const results = await Promise.allSettled([
      thread.write('incidents/abc123/index.html', Buffer.from('<p>page</p>')),
      thread.write('index.html', Buffer.from('<p>index</p>')),
    ]);
    await thread.close();
    expect(results[0]).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/ENOTDIR|EEXIST/) },
    });
    expect(results[1]!.status).toBe('fulfilled');
    expect(await readFile(join(dir, 'index.html'), 'utf8')).toBe('<p>index</p>');
    expect((await readFile(join(dir, 'index.html.gz'))).length).toBeGreaterThan(0);
  });

  it('writes on the calling thread once its thread is gone, losing no write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-writer-gone-'));
    const thread = threadWriter(dir);
    await thread.close();
    await thread.write('index.html', Buffer.from('<p>after</p>'));
    expect(await readFile(join(dir, 'index.html'), 'utf8')).toBe('<p>after</p>');
    expect(gunzipSync(await readFile(join(dir, 'index.html.gz'))).toString()).toBe('<p>after</p>');
  });
});

describe('a full export through the writer thread', () => {
  let h: SiteHarness;
  let threaded: Publisher;
  let threadedDir: string;

  beforeAll(async () => {
    h = await createSiteHarness();
    threadedDir = join(h.dir, 'site-threaded');
    threaded = createPublisher({
      db: h.db,
      content: h.content,
      siteUrl: 'https://status.example.test',
      siteDir: threadedDir,
      now: h.clock.now,
      log: () => undefined,
      root: REPO_ROOT,
      writerThreadRoutes: 1,
    });
  });
  afterAll(async () => {
    await threaded?.stop!();
    await h?.close();
  });

  it('publishes the same site as one written on the calling thread', async () => {
    const res = await h.request('POST', '/v1/incidents', { body: sev1Body() });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const inline = await h.publisher.fullExport();
    const viaThread = await threaded.fullExport();
    expect(viaThread.routes).toBe(inline.routes);
    expect(threaded.health().last_error).toBeNull();
    const expected = await contents(h.siteDir);
    const written = await contents(threadedDir);
    expect(written.map((f) => f.file)).toEqual(expected.map((f) => f.file));
    expect(written.map((f) => f.file)).toContain(`incidents/${id}/index.html.br`);
    for (const [i, file] of written.entries()) {
      if (file.file.endsWith('.br') || file.file.endsWith('.gz')) continue;
      expect(file.bytes.equals(expected[i]!.bytes), file.file).toBe(true);
    }
  });
});

describe('the order of writes', () => {
  /** Files whose write has finished; the links checked; links to a page not yet written. */
  const written = new Set<string>();
  const checked: string[] = [];
  const early: string[] = [];
  const slowIncidentPages = (writer: SiteWriter): SiteWriter => ({
    async write(file, body) {
      if (/^(index\.html|history\/)/.test(file)) {
        for (const [, id] of body.toString().matchAll(/\/incidents\/([a-z0-9]+)\//g)) {
          checked.push(`${file} → ${id}`);
          if (!written.has(`incidents/${id}/index.html`)) early.push(`${file} → ${id}`);
        }
      }
      // Incident pages take a while, as on a slow disk: renders run far ahead of them.
      if (file.startsWith('incidents/')) await new Promise((r) => setTimeout(r, 15));
      await writer.write(file, body);
      written.add(file);
    },
    close: () => writer.close(),
  });
  let h: SiteHarness;

  beforeAll(async () => {
    h = await createSiteHarness({ publisher: { wrapWriter: slowIncidentPages } });
  });
  afterAll(() => h?.close());

  it('writes every incident page before the index or a history page links to it', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await h.request('POST', '/v1/incidents', { body: sev1Body() });
      expect(res.status).toBe(201);
    }
    await h.publisher.idle();
    await h.publisher.fullExport();
    expect(checked.length).toBeGreaterThan(6);
    expect(early).toEqual([]);
  });
});
