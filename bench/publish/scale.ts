/**
 * `npm run bench:publish:scale`: does publishing slow down as the history grows? Three sites,
 * each with 30 components and three open incidents, each served by a real server of its own:
 *
 * - 10,000 incidents over three years (as `bench:publish`);
 * - 100,000 over the same three years: ten times the incidents a day, so the pages of the last 90
 *   days (the uptime bars' day details, the component pages) hold ten times as many;
 * - 100,000 over thirty years: the same incidents a day as the first, ten times the history.
 *
 * Every server starts on an empty site directory and exports it, then the same updates go to the
 * three in turn (the first site of each round rotates), so the figures are taken side by side on
 * the same machine in the same minutes, and compared as ratios.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContent } from '../../src/config/content.ts';
import { PROJECT_ROOT } from '../../src/publish/setup.ts';
import { openDatabase } from '../../src/storage/db.ts';
import { migrate } from '../../src/storage/migrations.ts';
import { settledFileSystem, watchStartUp } from '../support/file-system.ts';
import { memoryMiB } from '../support/memory.ts';
import { writeBenchContent } from './content.ts';
import {
  percentile,
  seedHistory,
  startSiteServer,
  timedUpdate,
  type OpenIncident,
  type SiteServer,
} from './site.ts';

const SMALL = Number(process.env.BENCH_SMALL ?? 10_000);
const LARGE = Number(process.env.BENCH_LARGE ?? 100_000);
const DAYS = 1095;
const UPDATES = Number(process.env.BENCH_UPDATES ?? 60);
const IDLE_SECONDS = Math.max(1, Number(process.env.BENCH_IDLE_SECONDS ?? 60));

interface Site {
  label: string;
  incidents: number;
  days: number;
  open: OpenIncident[];
  dataDir: string;
  contentDir: string;
  server?: SiteServer;
  latencies: number[];
}

const work = mkdtempSync(join(tmpdir(), 'herald-bench-scale-'));
const sites: Site[] = [
  { label: `${SMALL} over ${DAYS} days`, incidents: SMALL, days: DAYS },
  { label: `${LARGE} over ${DAYS} days`, incidents: LARGE, days: DAYS },
  {
    label: `${LARGE} over ${Math.round((DAYS * LARGE) / SMALL)} days`,
    incidents: LARGE,
    days: Math.round((DAYS * LARGE) / SMALL),
  },
].map((site, i) => ({
  ...site,
  open: [],
  dataDir: join(work, `site-${i}`, 'data'),
  contentDir: join(work, `site-${i}`, 'content'),
  latencies: [],
}));

const mib = (pid: number, field: 'VmRSS' | 'VmHWM') => Math.round(memoryMiB(pid, field) ?? NaN);

/** The mean size of the component pages, in KiB: what the density of the last 90 days shows. */
function componentPageKiB(siteDir: string): string {
  const dir = join(siteDir, 'components');
  const sizes = readdirSync(dir).map((id) => statSync(join(dir, id, 'index.html')).size);
  return (sizes.reduce((a, b) => a + b, 0) / sizes.length / 1024).toFixed(1);
}

try {
  const now = new Date();
  for (const site of sites) {
    writeBenchContent(PROJECT_ROOT, site.contentDir);
    const content = await loadContent(site.contentDir);
    const db = await openDatabase({ url: `file:${join(site.dataDir, 'herald.db')}` });
    await migrate(db, () => now);
    const t = performance.now();
    const { open, updates } = await seedHistory(db, content, site.incidents, site.days, now);
    db.close();
    site.open = open;
    console.log(
      `seeded ${site.label}: ${updates} updates in ${Math.round(performance.now() - t)} ms`,
    );
  }
  console.log(await settledFileSystem(join(work, 'settle')));
  // One server at a time exports its site, so that each start-up is measured alone.
  for (const site of sites) {
    const startUp = watchStartUp(join(work, `probe-${sites.indexOf(site)}`));
    site.server = await startSiteServer(site.dataDir, site.contentDir);
    const pid = site.server.process.pid!;
    const spent = startUp.finish(pid, site.server.startMs / 1000);
    console.log(
      `${site.label}: server up, its site exported into an empty directory, in ${(site.server.startMs / 1000).toFixed(1)} s (${spent}); peak RSS ${mib(pid, 'VmHWM')} MiB, resident now ${mib(pid, 'VmRSS')} MiB; component pages ${componentPageKiB(site.server.siteDir)} KiB on average`,
    );
  }
  for (let n = 0; n < UPDATES; n++)
    for (let k = 0; k < sites.length; k++) {
      const site = sites[(n + k) % sites.length]!;
      site.latencies.push(
        await timedUpdate(
          site.server!,
          site.open[n % site.open.length]!,
          `scale-update-${n}-${Date.now()}`,
        ),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
  const afterUpdates = sites.map((site) => mib(site.server!.process.pid!, 'VmRSS'));
  const idle: number[][] = sites.map(() => []);
  for (let s = 0; s < IDLE_SECONDS; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    sites.forEach((site, i) => idle[i]!.push(mib(site.server!.process.pid!, 'VmRSS')));
  }
  const [base] = sites;
  const baseP50 = percentile(base!.latencies, 50);
  const baseP95 = percentile(base!.latencies, 95);
  console.log(
    `publish latency, 201 → every affected file on disk, ${UPDATES} updates to each site, in turn:`,
  );
  sites.forEach((site, i) => {
    const p50 = percentile(site.latencies, 50);
    const p95 = percentile(site.latencies, 95);
    const ratios =
      i === 0
        ? ''
        : `; ${(p50 / baseP50).toFixed(2)}× and ${(p95 / baseP95).toFixed(2)}× the first`;
    console.log(
      `  ${site.label}: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${Math.max(...site.latencies).toFixed(1)} ms${ratios}; resident ${afterUpdates[i]} MiB right after, ${Math.min(...idle[i]!)}–${Math.max(...idle[i]!)} MiB over the next ${IDLE_SECONDS} s, ${idle[i]!.at(-1)} at the end`,
    );
  });
} finally {
  await Promise.all(sites.map((site) => site.server?.stop()));
  rmSync(work, { recursive: true, force: true });
}
