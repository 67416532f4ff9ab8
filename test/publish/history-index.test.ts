import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IncidentRecord } from '../../src/domain/types.ts';
import { HistoryIndex, historyIndexPath } from '../../src/publish/history-index.ts';
import { PublicIncidents } from '../../src/publish/public-incidents.ts';
import { openDatabase } from '../../src/storage/db.ts';
import { migrate } from '../../src/storage/migrations.ts';
import {
  allRoutes,
  historyLayout,
  historyPageIds,
  historyPosition,
} from '../../src/publish/routes.ts';
import { compareIncidents, type IncidentSummary } from '../../src/publish/snapshot.ts';
import { repoContent, snapshotOf } from './fixtures.ts';

const NOW = '2026-11-27T12:00:00.000Z';
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A start in the last months, often on a month's edge (an hour either side of midnight UTC on the
 * 1st, which is another month in Berlin) and often the same minute as another (ties go by id).
 */
function startAt(next: () => number): string {
  const month = Math.floor(next() * 5);
  const base = Date.UTC(2026, 6 + month, 1);
  const r = next();
  const ms =
    r < 0.3
      ? base + Math.round((next() - 0.5) * 4) * 30 * 60_000
      : r < 0.5
        ? Date.UTC(2026, 9, 15, 12)
        : base + Math.floor(next() * 28 * 24 * 60) * 60_000;
  return new Date(ms).toISOString();
}

function summary(id: string, started_at: string, touched: readonly string[]): IncidentSummary {
  return {
    id,
    started_at,
    resolved_minute: Math.floor(Date.parse(started_at) / 60_000) + 60,
    status: 'resolved',
    version: 1,
    touched,
    latest_minute: Math.floor(Date.parse(started_at) / 60_000) + 60,
    postmortem_at: null,
  };
}

describe('the history index', () => {
  it('pages, places and lists the history as a list of the same incidents would, through every change', async () => {
    const content = await repoContent();
    const zone = 'Europe/Berlin';
    const site = { ...snapshotOf(content, [], NOW), site: { ...content.site, timezone: zone } };
    const dir = mkdtempSync(join(tmpdir(), 'herald-index-'));
    dirs.push(dir);
    const path = historyIndexPath(join(dir, 'site'));
    expect(path).toBe(join(dir, 'site.history.db'));
    const index = new HistoryIndex(path, zone);
    // Private to its owner, like the database.
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const next = random(7);
    const components = ['api', 'web', 'db'];
    const pick = () => components.filter(() => next() < 0.5);
    const held = new Map<string, IncidentSummary>();
    const first: IncidentSummary[] = [];
    for (let i = 0; i < 700; i++) {
      const s = summary(`i${String(i).padStart(4, '0')}`, startAt(next), pick());
      first.push(s);
      held.set(s.id, s);
    }
    index.load(first);
    index.loaded();

    const compare = (step: string) => {
      const list = [...held.values()].sort(compareIncidents);
      // Only `id` and `started_at` of the records are read by paging.
      const asList = { ...site, incidents: list as unknown as IncidentRecord[] };
      const asIndex = { ...site, incidents: [], history: index };
      const layout = historyLayout(asList);
      expect(historyLayout(asIndex).pages, step).toEqual(layout.pages);
      expect(
        layout.pages.some((p) => p.parts > 1),
        step,
      ).toBe(true);
      for (let page = 1; page <= layout.pages.length; page++)
        expect(historyPageIds(asIndex, page), `${step}, page ${page}`).toEqual(
          historyPageIds(asList, page),
        );
      for (const s of list)
        expect(historyPosition(asIndex, s), `${step}, ${s.id}`).toBe(historyPosition(asList, s));
      // Not in it: unknown, or known with another start.
      expect(historyPosition(asIndex, { id: 'nobody', started_at: NOW })).toBe(-1);
      expect(historyPosition(asIndex, { ...list[0]!, started_at: '1999-01-01T00:00:00Z' })).toBe(
        -1,
      );
      expect(allRoutes(asIndex), step).toEqual(allRoutes(asList));
      expect(index.size, step).toBe(list.length);
      expect(index.oldestStart(), step).toBe(list.at(-1)!.started_at);
      const oldest = new Map<string, string>();
      for (const s of list) for (const c of s.touched) oldest.set(c, s.started_at);
      expect(index.oldestStarts(components), step).toEqual(oldest);
      for (const s of list.slice(0, 5)) expect(index.get(s.id), step).toEqual(s);
    };
    compare('loaded');

    // New incidents, redated ones (across months too), removed ones.
    let added = 0;
    for (let round = 1; round <= 6; round++) {
      for (let k = 0; k < 40; k++) {
        const r = next();
        const ids = [...held.keys()];
        const id = ids[Math.floor(next() * ids.length)]!;
        if (r < 0.4) {
          const s = summary(`n${added++}`, startAt(next), pick());
          index.put(s);
          held.set(s.id, s);
        } else if (r < 0.75) {
          const s = { ...summary(id, startAt(next), pick()), version: 2 };
          index.put(s);
          held.set(id, s);
        } else {
          index.remove(id);
          held.delete(id);
        }
      }
      compare(`round ${round}`);
    }
    index.remove('never-there');
    expect(index.size).toBe(held.size);

    // A write that fails (here, a summary without a status) leaves the rows and the counts as they
    // were: the earlier summary is still in place.
    const kept = [...held.values()][0]!;
    expect(() => index.put({ ...kept, started_at: NOW, status: null as never })).toThrow();
    expect(index.get(kept.id)).toEqual(kept);
    compare('after a failed write');
    // A bulk load meeting an incident already in the index (one redated while a full export pages
    // through the history) keeps the first.
    index.load([{ ...kept, started_at: NOW, version: 9 }]);
    expect(index.get(kept.id)).toEqual(kept);
    compare('after a repeated load');

    // A full export starts it again, empty.
    index.reset();
    expect(index.size).toBe(0);
    expect(index.months()).toEqual([]);
    expect(index.allIds()).toEqual([]);
    expect(index.oldestStart()).toBeNull();
    index.close();
    expect(() => statSync(path)).toThrow();
  });

  it('is not loaded when reading the history fails, and its file is gone', async () => {
    const content = await repoContent();
    const dir = mkdtempSync(join(tmpdir(), 'herald-index-'));
    dirs.push(dir);
    const db = await openDatabase({ url: `file:${join(dir, 'herald.db')}` });
    await migrate(db, () => new Date(NOW));
    const path = join(dir, 'site.history.db');
    const store = new PublicIncidents(db, ['api'], { path, zone: content.site.timezone });
    await store.loadAll(new Date(NOW));
    expect(store.loaded).toBe(true);
    // The incidents cannot be read any more.
    await db.write((tx) => tx.run('ALTER TABLE incidents RENAME TO incidents_gone'));
    await expect(store.loadAll(new Date(NOW))).rejects.toThrow('no such table');
    expect(store.loaded).toBe(false);
    expect(existsSync(path)).toBe(false);
    expect(() => store.apply('x', null)).toThrow('not loaded');
    db.close();
  });
});
