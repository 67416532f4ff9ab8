import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { IncidentRecord } from '../../src/domain/types.ts';
import { HistoryIndex, summarise } from '../../src/publish/history-index.ts';
import { uptimeRecord, type UptimeRecord } from '../../src/publish/uptime.ts';
import { PublicIncidents } from '../../src/publish/public-incidents.ts';
import {
  allRoutes,
  historyLayout,
  historyPosition,
  routePath,
  touchedComponents,
} from '../../src/publish/routes.ts';
import {
  compareIncidents,
  loadPublicIncidents,
  type IncidentSummary,
  type SiteSnapshot,
} from '../../src/publish/snapshot.ts';
import { FEED_ITEMS } from '../../src/publish/feed.ts';
import { RECENT_INCIDENTS } from '../../src/publish/statuspage.ts';
import { viewForRoute } from '../../src/publish/views/route-view.ts';
import { generateHistory } from '../../src/seed/generate.ts';
import { writeHistory } from '../../src/seed/write.ts';
import { openDatabase } from '../../src/storage/db.ts';
import { migrate } from '../../src/storage/migrations.ts';
import { repoContent, snapshotOf } from './fixtures.ts';

/**
 * The publisher keeps every incident as a summary and only the "hot" ones in full. These tests
 * hold it to what makes that safe: every site-wide and component route renders the same from the
 * hot records as from the whole history, and a history page or an old incident is read back whole.
 */

const NOW = '2026-11-27T12:00:00.000Z';
const HOUR = 3_600_000;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** An index of `summaries` in a file of its own, as the publisher builds it. */
function indexOf(summaries: readonly IncidentSummary[], zone = 'UTC'): HistoryIndex {
  const dir = mkdtempSync(join(tmpdir(), 'herald-index-'));
  dirs.push(dir);
  const index = new HistoryIndex(join(dir, 'site.history.db'), zone);
  index.load(summaries);
  index.loaded();
  return index;
}

/** Three years of history, with the cases a plain "recent" cut would get wrong. */
async function history() {
  const content = await repoContent();
  const incidents = [
    ...generateHistory({
      incidents: 3_000,
      days: 1_095,
      now: new Date(NOW),
      seed: 11,
      active: 2,
      catalog: content.catalog,
    }),
    // A busy quarter: more incidents per component in the uptime window than its page lists, so
    // the window holds incidents only the uptime bars read.
    ...generateHistory({
      incidents: 1_500,
      days: 90,
      now: new Date(NOW),
      seed: 12,
      active: 0,
      catalog: content.catalog,
    }),
  ];
  // Two years ago, but posted to an hour ago: its update leads the feeds.
  const revived = incidents[100]!;
  const last = revived.updates[0]!;
  incidents[100] = {
    ...revived,
    updates: [
      {
        ...last,
        id: `${revived.id}-late`,
        seq: last.seq + 1,
        message: 'A late word on an old incident.',
        display_at: new Date(Date.parse(NOW) - HOUR).toISOString(),
        created_at: new Date(Date.parse(NOW) - HOUR).toISOString(),
      },
      ...revived.updates,
    ],
  };
  // A year and a half ago, its postmortem published yesterday: an item of the feeds.
  const reviewed = incidents[500]!;
  incidents[500] = {
    ...reviewed,
    postmortem: {
      summary: 'What happened, in public.',
      root_cause: 'A certificate expired.',
      root_cause_category: null,
      contributing_factors: [],
      impact: 'Checkout failed for an hour.',
      what_went_well: [],
      what_could_improve: [],
      action_items: [],
      published_at: new Date(Date.parse(NOW) - 24 * HOUR).toISOString(),
    },
  };
  return { content, incidents, revived: incidents[100]!, reviewed: incidents[500]! };
}

describe('the hot incidents', () => {
  it('render every site-wide and component route exactly as the whole history does', async () => {
    const { content, incidents, revived, reviewed } = await history();
    const full: SiteSnapshot = {
      ...snapshotOf(content, incidents, NOW),
      firstSeen: new Map(content.catalog.components.map((c) => [c.id, '2020-01-01T00:00:00.000Z'])),
    };
    const index = indexOf(full.incidents.map(summarise), content.site.timezone);
    const ids = index.hotIncidentIds(
      full.now,
      content.catalog.components.map((c) => c.id),
    );
    // The rest of the uptime window, as the publisher keeps it: timelines alone.
    const window = index.uptimeIncidentIds(full.now);
    const uptimeLists = new Map<string, UptimeRecord[]>();
    let timelinesOnly = 0;
    for (const i of full.incidents) {
      if (!ids.has(i.id) && !window.has(i.id)) continue;
      const record = ids.has(i.id) ? i : uptimeRecord(i);
      if (record !== i && touchedComponents(i).length > 0) timelinesOnly++;
      for (const c of touchedComponents(i))
        uptimeLists.set(c, [...(uptimeLists.get(c) ?? []), record]);
    }
    const hot: SiteSnapshot = {
      ...full,
      incidents: full.incidents.filter((i) => ids.has(i.id)),
      history: index,
      oldestStarts: index.oldestStarts(content.catalog.components.map((c) => c.id)),
      uptimeIncidentsByComponent: uptimeLists,
    };
    // A real cut: most of the history is not held in full, and of the uptime window not all.
    expect(hot.incidents.length).toBeLessThan(full.incidents.length / 2);
    expect(timelinesOnly).toBeGreaterThan(100);
    expect(ids.has(revived.id) && ids.has(reviewed.id)).toBe(true);
    const routes = allRoutes(full).filter((r) => r.kind !== 'incident' && r.kind !== 'history');
    expect(routes.map(routePath)).toEqual(
      expect.arrayContaining([
        '/',
        '/history.rss',
        '/api/v2/incidents.json',
        '/components/checkout/',
      ]),
    );
    for (const route of routes)
      expect(viewForRoute(hot, route), routePath(route)).toEqual(viewForRoute(full, route));
    // Without those timelines some uptime bars would come out otherwise.
    const withoutTimelines = { ...hot, uptimeIncidentsByComponent: undefined };
    expect(
      routes.some(
        (route) =>
          !isDeepStrictEqual(viewForRoute(withoutTimelines, route), viewForRoute(full, route)),
      ),
    ).toBe(true);
    // And the history is paged the same, from the index alone.
    expect(historyLayout({ ...hot, incidents: [] }).pages).toEqual(historyLayout(full).pages);
    expect(allRoutes({ ...hot, incidents: [] })).toEqual(allRoutes(full));
    index.close();
  });
});

describe('PublicIncidents, on a database', () => {
  it('holds summaries of all and full records of the hot, and reads a history page or an old incident whole', async () => {
    const { content, incidents: all } = await history();
    // Private incidents never reach the publisher.
    const incidents = all.filter((i) => i.visibility === 'public');
    expect(incidents.length).toBeLessThan(all.length);
    const dir = mkdtempSync(join(tmpdir(), 'herald-history-'));
    const db = await openDatabase({ url: `file:${join(dir, 'herald.db')}` });
    try {
      await migrate(db, () => new Date(NOW));
      await writeHistory(db, all, NOW);
      const store = new PublicIncidents(
        db,
        content.catalog.components.map((c) => c.id),
        { path: join(dir, 'site.history.db'), zone: content.site.timezone },
      );
      await store.loadAll(new Date(NOW));
      expect(store.size).toBe(incidents.length);
      expect(existsSync(join(dir, 'site.history.db'))).toBe(true);
      expect(store.hotIncidents().length).toBeGreaterThan(0);
      expect(store.hotIncidents().length).toBeLessThan(incidents.length / 2);

      // Each history page reads its incidents whole, newest started first; together, all of them.
      const site: SiteSnapshot = {
        ...snapshotOf(content, [], NOW),
        firstSeen: new Map<string, string>(),
        incidents: store.hotIncidents(),
        history: store.history,
      };
      const pages = historyLayout(site).pages;
      const seen: string[] = [];
      for (let page = 1; page <= pages.length; page++) {
        const read = (await store.snapshotFor(site, { kind: 'history', page }, new Map()))
          .incidents;
        expect(read.length, `page ${page}`).toBe(pages[page - 1]!.to - pages[page - 1]!.from);
        expect(read.every((i) => i.updates.length > 0)).toBe(true);
        expect(read.map((i) => i.started_at)).toEqual(
          [...read.map((i) => i.started_at)].sort().reverse(),
        );
        seen.push(...read.map((i) => i.id));
      }
      expect(seen.sort()).toEqual(incidents.map((i) => i.id).sort());
      const oldest = [...incidents].sort(compareIncidents).at(-1)!;
      expect(store.hotIncidents().some((i) => i.id === oldest.id)).toBe(false);
      const found = await store.records([oldest.id, 'no-such-incident']);
      expect([...found.keys()]).toEqual([oldest.id]);
      expect(found.get(oldest.id)!.updates.map((u) => u.id)).toEqual(
        oldest.updates.map((u) => u.id),
      );

      // Incident and history pages, rendered from what the store reads for them, are those of
      // the whole history.
      const full = {
        ...snapshotOf(content, await loadPublicIncidents(db), NOW),
        firstSeen: new Map<string, string>(),
      };
      const sample = allRoutes(full).filter(
        (r, i) => r.kind === 'history' || (r.kind === 'incident' && i % 97 === 0),
      );
      expect(sample.filter((r) => r.kind === 'history').length).toBeGreaterThan(30);
      expect(sample.filter((r) => r.kind === 'incident').length).toBeGreaterThan(20);
      const batch = await store.records(
        sample.flatMap((r) => (r.kind === 'incident' ? [r.id] : [])),
      );
      for (const route of sample)
        expect(
          viewForRoute(await store.snapshotFor(site, route, batch), route),
          routePath(route),
        ).toEqual(viewForRoute(full, route));

      // A change puts the new version in place, and undoing it restores the old one.
      const changed: IncidentRecord = { ...oldest, title: 'Renamed', version: oldest.version + 1 };
      // A change the index cannot take (here, a record without a status) changes nothing.
      const layoutBefore = historyLayout(site).pages;
      expect(() => store.apply(oldest.id, { ...changed, status: null as never })).toThrow();
      expect(store.get(oldest.id)!.version).toBe(oldest.version);
      expect(store.hotIncidents().some((i) => i.id === oldest.id)).toBe(false);
      expect(store.size).toBe(incidents.length);
      expect(historyLayout({ ...site, history: store.history }).pages).toEqual(layoutBefore);
      const undo = store.apply(oldest.id, changed);
      expect(store.get(oldest.id)!.version).toBe(oldest.version + 1);
      expect(store.hotIncidents().find((i) => i.id === oldest.id)!.title).toBe('Renamed');
      undo();
      expect(store.get(oldest.id)!.version).toBe(oldest.version);
      expect(store.hotIncidents().some((i) => i.id === oldest.id)).toBe(false);
      const gone = store.apply(oldest.id, null);
      expect(store.get(oldest.id)).toBeUndefined();
      expect(store.size).toBe(incidents.length - 1);
      gone();
      expect(store.size).toBe(incidents.length);

      // What the history holds, as the test follows it: each incident's start and components.
      const model = new Map(
        incidents.map((i) => [
          i.id,
          { id: i.id, started_at: i.started_at, touched: touchedComponents(i) },
        ]),
      );
      // The oldest start per component, kept per change, is always what a pass over the history
      // finds: when the oldest incident goes, starts later or earlier, and when one is added.
      const oldestByPass = () => {
        const found = new Map<string, string>();
        for (const s of [...model.values()].sort(compareIncidents))
          for (const c of s.touched) found.set(c, s.started_at);
        return found;
      };
      // And the index pages it as a list of the same incidents would be paged.
      const pagedAsList = (step: string) => {
        const list = [...model.values()].sort(compareIncidents);
        expect(store.history.allIds(), step).toEqual(list.map((i) => i.id));
        const asList = {
          ...site,
          history: undefined,
          incidents: list as unknown as IncidentRecord[],
        };
        const layout = historyLayout(asList);
        expect(historyLayout({ ...site, history: store.history }).pages, step).toEqual(
          layout.pages,
        );
        for (const i of [list[0]!, list[list.length >> 1]!, list.at(-1)!])
          expect(historyPosition({ ...site, history: store.history }, i), step).toBe(
            historyPosition(asList, i),
          );
      };
      pagedAsList('loaded');
      const first = model.get(oldest.id)!;
      expect(first.touched.length).toBeGreaterThan(0);
      expect(store.oldestStarts()).toEqual(oldestByPass());
      // The hot incidents in order, and per component, are kept per change too: always what
      // sorting and grouping the hot records would give.
      const hot = new Map(store.hotIncidents().map((i) => [i.id, i]));
      const hotByComponent = () => {
        const lists = new Map<string, string[]>();
        for (const i of [...hot.values()].sort(compareIncidents))
          for (const c of touchedComponents(i)) lists.set(c, [...(lists.get(c) ?? []), i.id]);
        return lists;
      };
      const keptByComponent = () =>
        new Map(
          [...store.hotIncidentsByComponent()].map(([c, list]) => [c, list.map((i) => i.id)]),
        );
      const initial = keptByComponent();
      expect(initial).toEqual(hotByComponent());
      // So are the incidents each component's uptime reads: the hot ones in full, the rest of the
      // uptime window as timelines alone.
      const index = indexOf(incidents.map(summarise), content.site.timezone);
      const window = index.uptimeIncidentIds(new Date(NOW));
      index.close();
      const timelines = new Map(
        [...model.values()].filter((s) => hot.has(s.id) || window.has(s.id)).map((s) => [s.id, s]),
      );
      const uptimeByComponent = () => {
        const lists = new Map<string, string[]>();
        for (const i of [...timelines.values()].sort(compareIncidents))
          for (const c of i.touched) lists.set(c, [...(lists.get(c) ?? []), i.id]);
        return lists;
      };
      const keptUptime = () =>
        new Map(
          [...store.uptimeIncidentsByComponent()].map(([c, list]) => [c, list.map((i) => i.id)]),
        );
      const initialUptime = keptUptime();
      expect(initialUptime).toEqual(uptimeByComponent());
      const held = [...store.uptimeIncidentsByComponent().values()].flat();
      expect(held.filter((i) => hot.get(i.id) === i).length).toBeGreaterThan(0);
      const slim = held.filter((i) => !hot.has(i.id));
      expect(slim.length).toBeGreaterThan(100);
      for (const i of slim) {
        expect(Object.keys(i).sort()).toEqual([
          'id',
          'resolved_at',
          'started_at',
          'title',
          'updates',
          'version',
        ]);
        for (const u of i.updates)
          expect(Object.keys(u).sort()).toEqual(['components', 'display_at', 'seq', 'status']);
      }
      const newest = store.hotIncidents()[0]!;
      const moved = content.catalog.components.find(
        (c) => !touchedComponents(newest).includes(c.id),
      )!;
      const steps: Array<[string, IncidentRecord | null]> = [
        [first.id, null],
        [first.id, { ...oldest, started_at: '2001-01-01T00:00:00.000Z' }],
        [first.id, { ...oldest, started_at: NOW }],
        ['added-early', { ...oldest, id: 'added-early', started_at: '2000-06-01T00:00:00.000Z' }],
        [incidents.at(-1)!.id, { ...incidents.at(-1)!, title: 'Renamed' }],
        // One the uptime window held as a timeline: now hot, in full.
        [slim[0]!.id, { ...incidents.find((i) => i.id === slim[0]!.id)!, title: 'Renamed' }],
        // A hot incident that now touches another component only.
        [
          newest.id,
          {
            ...newest,
            version: newest.version + 1,
            components: [{ id: moved.id, status: 'major_outage' }],
            updates: newest.updates.map((u) => ({ ...u, components: [] })),
          },
        ],
        [newest.id, null],
      ];
      const undos: Array<() => void> = [];
      for (const [id, after] of steps) {
        undos.unshift(store.apply(id, after));
        if (after) hot.set(id, after);
        else hot.delete(id);
        if (after) {
          const kept = { id, started_at: after.started_at, touched: touchedComponents(after) };
          timelines.set(id, kept);
          model.set(id, kept);
        } else {
          timelines.delete(id);
          model.delete(id);
        }
        const step = `${id} → ${after?.started_at ?? 'gone'}`;
        pagedAsList(step);
        expect(store.oldestStarts(), step).toEqual(oldestByPass());
        expect(
          store.hotIncidents().map((i) => i.id),
          step,
        ).toEqual([...hot.values()].sort(compareIncidents).map((i) => i.id));
        expect(keptByComponent(), step).toEqual(hotByComponent());
        expect(keptUptime(), step).toEqual(uptimeByComponent());
      }
      for (const undo of undos) undo();
      model.clear();
      for (const i of incidents)
        model.set(i.id, { id: i.id, started_at: i.started_at, touched: touchedComponents(i) });
      expect(store.oldestStarts()).toEqual(oldestByPass());
      pagedAsList('undone');
      expect(store.size).toBe(incidents.length);
      expect(keptByComponent()).toEqual(initial);
      expect(keptUptime()).toEqual(initialUptime);
      store.close();
      expect(existsSync(join(dir, 'site.history.db'))).toBe(false);
    } finally {
      db.close();
    }
  });
});

describe('hotIncidentIds', () => {
  it("keeps every incident tied, to the minute, with the feeds' last kept update", () => {
    const now = new Date(NOW);
    const minute = Math.floor(now.getTime() / 60_000);
    // Started and resolved years ago, each with a late update: only the feeds can make them hot.
    const at = (i: number) => minute - 1 - Math.min(i, 98) - Math.max(0, i - 100);
    const history: IncidentSummary[] = Array.from({ length: 200 }, (_, i) => ({
      id: `old-${i}`,
      started_at: new Date(Date.UTC(2020, 0, 200 - i)).toISOString(),
      resolved_minute: Math.floor(Date.UTC(2020, 0, 201 - i) / 60_000),
      status: 'resolved',
      version: 3,
      touched: [],
      // 0–98 each a minute apart, 98–100 in one minute (the feeds' 99th to 101st updates), then older.
      latest_minute: at(i),
      postmortem_at: null,
    }));
    expect(history.filter((s) => s.latest_minute === at(99))).toHaveLength(3);
    expect(FEED_ITEMS).toBe(100);
    const index = indexOf(history);
    const ids = index.hotIncidentIds(now, []);
    index.close();
    for (let i = 0; i <= 100; i++) expect(ids.has(`old-${i}`), `old-${i}`).toBe(true);
    // Below the cut, and not among the newest started (those go to incidents.json).
    for (let i = 101; i < 200 - RECENT_INCIDENTS; i++)
      expect(ids.has(`old-${i}`), `old-${i}`).toBe(false);
  });
});
