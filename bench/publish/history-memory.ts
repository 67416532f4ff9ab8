/**
 * `npm run bench:publish:memory`: does the publisher's memory grow with the history? Histories of
 * the same density (as many incidents a day as `bench:publish`'s 10,000 over three years) and
 * growing length, each loaded the way a full export loads it (`PublicIncidents.loadAll`), in this
 * process, with V8's heap measured after a full collection:
 *
 * - what the publisher holds after loading: the hot incidents in full, the rest of the uptime
 *   window as timelines, the month counts; the summaries are in its index file;
 * - beside it, what a list of every summary takes (as the publisher held them before 0679156),
 *   for the scale of what moved out.
 *
 * Each history is seeded into a database of its own first; sizes from `BENCH_SIZES` (default
 * 10000,30000,100000).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContent } from '../../src/config/content.ts';
import { summarise } from '../../src/publish/history-index.ts';
import { PublicIncidents } from '../../src/publish/public-incidents.ts';
import { PROJECT_ROOT } from '../../src/publish/setup.ts';
import { eachPublicIncidentPage, type IncidentSummary } from '../../src/publish/snapshot.ts';
import { openDatabase } from '../../src/storage/db.ts';
import { migrate } from '../../src/storage/migrations.ts';
import { writeBenchContent } from './content.ts';
import { seedHistory } from './site.ts';

const SIZES = (process.env.BENCH_SIZES ?? '10000,30000,100000').split(',').map(Number);
/** Days of history per incident: 10,000 incidents over three years. */
const DAYS_PER_INCIDENT = 1095 / 10_000;

const collect = globalThis.gc;
if (!collect) throw new Error('run with --expose-gc (npm run bench:publish:memory does)');

/** V8's heap in use after a full collection, in MiB. */
function heapMiB(): number {
  collect!();
  collect!();
  return process.memoryUsage().heapUsed / 1_048_576;
}

const work = mkdtempSync(join(tmpdir(), 'herald-bench-memory-'));
try {
  const now = new Date();
  const contentDir = join(work, 'content');
  writeBenchContent(PROJECT_ROOT, contentDir);
  const content = await loadContent(contentDir);
  const componentIds = content.catalog.components.map((c) => c.id);
  const rows: Array<{ size: number; held: number; list: number; inFull: number }> = [];
  // Each size in a function of its own: a suspended async frame keeps its locals, and the
  // previous size's publisher would still be held while the next one is measured.
  let runs = 0;
  const measure = async (size: number) => {
    const days = Math.round(size * DAYS_PER_INCIDENT);
    const name = join(work, `run-${runs++}`);
    const db = await openDatabase({ url: `file:${name}.db` });
    await migrate(db, () => now);
    await seedHistory(db, content, size, days, now);
    const before = heapMiB();
    const incidents = new PublicIncidents(db, componentIds, {
      path: `${name}.history.db`,
      zone: content.site.timezone,
    });
    const t = performance.now();
    await incidents.loadAll(now);
    const loadMs = performance.now() - t;
    const held = heapMiB() - before;
    const indexMiB = statSync(`${name}.history.db`).size / 1_048_576;
    // The same summaries as a list, held beside it.
    const list: IncidentSummary[] = [];
    await eachPublicIncidentPage(db, (page) => {
      for (const incident of page) list.push(summarise(incident));
    });
    const listMiB = heapMiB() - before - held;
    const inFull = incidents.hotIncidents().length;
    console.log(
      `${size} incidents over ${days} days (${incidents.size} public): loaded in ${(loadMs / 1000).toFixed(1)} s; ` +
        `the publisher holds ${held.toFixed(1)} MiB of heap (${inFull} incidents in full); ` +
        `its index file ${indexMiB.toFixed(1)} MiB; a list of the ${list.length} summaries would take ${listMiB.toFixed(1)} MiB more`,
    );
    incidents.close();
    db.close();
    return { size, held, list: listMiB, inFull };
  };
  // The first load also fills what every later one shares (compiled code, shared strings).
  await measure(SIZES[0]!);
  rows.length = 0;
  for (const size of SIZES) rows.push(await measure(size));
  const first = rows[0]!;
  for (const row of rows.slice(1))
    console.log(
      `${row.size} against ${first.size} (${(row.size / first.size).toFixed(0)}× the history): ` +
        `publisher ${(row.held / first.held).toFixed(2)}×, list of summaries ${(row.list / first.list).toFixed(2)}×`,
    );
} finally {
  rmSync(work, { recursive: true, force: true });
}
