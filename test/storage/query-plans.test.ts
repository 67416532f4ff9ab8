import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INCIDENT_STATUSES, OPEN_STATUSES } from '../../src/domain/types.ts';
import { openDatabase, type Db } from '../../src/storage/db.ts';
import { migrate } from '../../src/storage/migrations.ts';
import { incidentsOpenAfter } from '../../src/storage/digests.ts';
import {
  listIncidents,
  openPublicComponentStatuses,
  type Reader,
} from '../../src/storage/incidents.ts';
import { noticesForOpenIncidents } from '../../src/storage/notices.ts';
import { reviewsPending } from '../../src/storage/postmortems.ts';

/**
 * The reads the scheduler and the publisher make on every tick or every change must find their few
 * rows through an index: a walk of the incidents table costs 30–60 ms at 100,000 incidents, on the
 * event loop, each time. SQLite plans these the same without data (no statistics are kept), so the
 * plans of an empty database are the plans of a large one.
 */
describe('query plans of the per-tick reads', () => {
  let db: Db;

  beforeAll(async () => {
    const url = `file:${join(mkdtempSync(join(tmpdir(), 'herald-plan-')), 'herald.db')}`;
    db = await openDatabase({ url });
    await migrate(db, () => new Date('2026-11-27T10:00:00Z'));
  });
  afterAll(() => db.close());

  /** Runs `read`'s statements as `EXPLAIN QUERY PLAN` and returns their plan lines. */
  async function planOf(read: (reader: Reader) => Promise<unknown>): Promise<string[]> {
    const lines: string[] = [];
    await read(async (sql, args) => {
      const rows = await db.query(`EXPLAIN QUERY PLAN ${sql}`, args);
      for (const row of rows) lines.push(String(row.detail));
      return [];
    });
    return lines;
  }

  const walksIncidents = (lines: string[]) =>
    lines.filter((line) => /^SCAN (i|incidents)\b/.test(line));

  it('read "open" as every status but resolved', () => {
    // `status IN (open statuses)` must mean what `status != 'resolved'` meant.
    expect([...OPEN_STATUSES, 'resolved'].sort()).toEqual([...INCIDENT_STATUSES].sort());
  });

  it('the open incidents are read through the status index', async () => {
    for (const read of [
      (r: Reader) => listIncidents(r, { status: 'open' }),
      (r: Reader) => listIncidents(r, { status: 'open', visibility: 'public' }),
      (r: Reader) => noticesForOpenIncidents(r),
      (r: Reader) => openPublicComponentStatuses(r, ['api', 'web']),
    ]) {
      const plan = await planOf(read);
      expect(plan.length).toBeGreaterThan(0);
      expect(walksIncidents(plan), plan.join('\n')).toEqual([]);
    }
    expect((await planOf((r) => listIncidents(r, { status: 'open' }))).join('\n')).toContain(
      'incidents_status',
    );
  });

  it('the incidents open or resolved since a moment are read through two indexes', async () => {
    const plan = await planOf((r) => incidentsOpenAfter(r, '2026-11-20T00:00:00.000Z'));
    expect(walksIncidents(plan), plan.join('\n')).toEqual([]);
    expect(plan.join('\n')).toContain('incidents_resolved');
    expect(plan.join('\n')).toContain('incidents_status');
  });

  it('the reviews pending are found from the recently resolved, not from every resolved', async () => {
    const plan = await planOf((r) => reviewsPending(r, '2026-11-20T00:00:00.000Z'));
    expect(walksIncidents(plan), plan.join('\n')).toEqual([]);
    expect(plan.join('\n')).toContain('incidents_resolved (resolved_at>?)');
  });
});
