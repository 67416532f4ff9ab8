import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, type Publisher } from '../../src/publish/publisher.ts';
import { listPublished } from '../../src/publish/write.ts';
import {
  changedFilesWriter,
  inlineWriter,
  threadWriter,
  type SiteWriter,
} from '../../src/publish/writer-thread.ts';
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

/** `page`'s `.br` and `.gz` among `files` decompress to its body and carry its plain file's time. */
function expectSiblingsOf(
  files: Awaited<ReturnType<typeof contents>>,
  page: { file: string; body: Buffer },
): void {
  const plain = files.find((f) => f.file === page.file)!;
  const br = files.find((f) => f.file === `${page.file}.br`)!;
  const gz = files.find((f) => f.file === `${page.file}.gz`)!;
  expect(brotliDecompressSync(br.bytes).equals(page.body), page.file).toBe(true);
  expect(gunzipSync(gz.bytes).equals(page.body), page.file).toBe(true);
  expect(br.mtimeMs).toBe(plain.mtimeMs);
  expect(gz.mtimeMs).toBe(plain.mtimeMs);
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
      if (!page.file.endsWith('.png')) expectSiblingsOf(written, page);
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

  /**
   * Opens an incident, exports the site on the calling thread and through `threaded`, and checks
   * that both wrote the same files with the same plain bytes; returns the incident and the files.
   */
  async function exportBoth(body: Record<string, unknown>) {
    const res = await h.request('POST', '/v1/incidents', { body });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const inline = await h.publisher.fullExport();
    const viaThread = await threaded.fullExport();
    expect(viaThread.routes).toBe(inline.routes);
    expect(threaded.health().last_error).toBeNull();
    const expected = await contents(h.siteDir);
    const written = await contents(threadedDir);
    expect(written.map((f) => f.file)).toEqual(expected.map((f) => f.file));
    for (const [i, file] of written.entries()) {
      if (file.file.endsWith('.br') || file.file.endsWith('.gz')) continue;
      expect(file.bytes.equals(expected[i]!.bytes), file.file).toBe(true);
    }
    return { id, written };
  }

  it('publishes the same site as one written on the calling thread', async () => {
    const { id, written } = await exportBoth(sev1Body());
    expect(written.map((f) => f.file)).toContain(`incidents/${id}/index.html.br`);
  });

  it('over its earlier site, writes the changed files through the thread as well', async () => {
    const { id, written } = await exportBoth(sev1Body({ title: 'Checkout errors in one region' }));
    const page = written.find((f) => f.file === `incidents/${id}/index.html`)!;
    expect(page.bytes.toString()).toContain('Checkout errors in one region');
    const br = written.find((f) => f.file === `incidents/${id}/index.html.br`)!;
    expect(brotliDecompressSync(br.bytes).equals(page.bytes)).toBe(true);
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

describe('changedFilesWriter', () => {
  it('leaves unchanged files as they are and writes the changed ones, with siblings of their version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-writer-changed-'));
    const first = inlineWriter(dir);
    for (const p of pages) await first.write(p.file, p.body);
    const before = await contents(dir);
    await new Promise((r) => setTimeout(r, 20)); // a new write gets a later modification time
    const changed = { file: 'incidents/abc123/index.html', body: Buffer.from('<p>Resolved</p>') };
    const created = { file: 'incidents/def456/index.html', body: Buffer.from('<p>New one</p>') };
    const writer = changedFilesWriter(dir);
    for (const p of pages)
      await writer.write(p.file, p.file === changed.file ? changed.body : Buffer.from(p.body));
    await writer.write(created.file, Buffer.from(created.body));
    await writer.close();
    const after = await contents(dir);
    for (const file of before) {
      if (file.file.startsWith(changed.file)) continue;
      const now = after.find((f) => f.file === file.file)!;
      expect(now.mtimeMs, file.file).toBe(file.mtimeMs);
      expect(now.bytes.equals(file.bytes), file.file).toBe(true);
    }
    for (const page of [changed, created]) {
      const plain = after.find((f) => f.file === page.file)!;
      expect(plain.bytes.equals(page.body), page.file).toBe(true);
      expectSiblingsOf(after, page);
    }
    const old = before.find((f) => f.file === changed.file)!;
    expect(after.find((f) => f.file === changed.file)!.mtimeMs).toBeGreaterThan(old.mtimeMs);
  });

  it('hands only the changed files to its thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-writer-changed-moved-'));
    const [page] = pages;
    await inlineWriter(dir).write(page!.file, page!.body);
    /** A body that owns its whole memory: one handed to the thread moves there (length 0 here). */
    const owned = (bytes: Buffer) => {
      const body = Buffer.alloc(bytes.length);
      bytes.copy(body);
      return body;
    };
    const writer = changedFilesWriter(dir);
    const same = owned(page!.body);
    await writer.write(page!.file, same);
    expect(same.length).toBe(page!.body.length);
    const changed = owned(Buffer.from('<p>Degraded performance</p>'));
    await writer.write(page!.file, changed);
    expect(changed.length).toBe(0);
    await writer.close();
    expect(await readFile(join(dir, page!.file), 'utf8')).toBe('<p>Degraded performance</p>');
  });

  it('rejects a changed file it cannot write, with its error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-writer-changed-fail-'));
    writeFileSync(join(dir, 'incidents'), 'in the way');
    const writer = changedFilesWriter(dir);
    await expect(
      writer.write('incidents/abc123/index.html', Buffer.from('<p>page</p>')),
    ).rejects.toThrow(/ENOTDIR|EEXIST/);
    await writer.close();
  });
});
