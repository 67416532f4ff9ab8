import { beforeAll, describe, expect, it } from 'vitest';
import type { Content } from '../../src/config/content.ts';
import type { IncidentRecord } from '../../src/domain/types.ts';
import {
  allRoutes,
  HISTORY_PAGE_SIZE,
  historyLayout,
  historyPosition,
  planChange,
  renderBatches,
  routeFile,
  routeFromPath,
  routePath,
  type Route,
} from '../../src/publish/routes.ts';
import { buildHistoryView } from '../../src/publish/views/history-view.ts';
import { incident, repoContent, snapshotOf } from './fixtures.ts';

const now = new Date('2026-11-23T10:00:00Z');

/** The history page (1-based) `incident` is on; 0 when it is not in the history. */
function pageOfIncident(
  snapshot: ReturnType<typeof snapshotOf>,
  incident: Pick<IncidentRecord, 'id' | 'started_at'>,
): number {
  return historyLayout(snapshot).pageAt(historyPosition(snapshot, incident));
}

describe('routes', () => {
  it('map to files that a static host serves at the same URLs', () => {
    const cases: Array<[Route, string, string]> = [
      [{ kind: 'index' }, '/', 'index.html'],
      [{ kind: 'incident', id: 'abc' }, '/incidents/abc/', 'incidents/abc/index.html'],
      [{ kind: 'history', page: 1 }, '/history/', 'history/index.html'],
      [{ kind: 'history', page: 3 }, '/history/3/', 'history/3/index.html'],
      [
        { kind: 'component-feed', id: 'api' },
        '/components/api/history.rss',
        'components/api/history.rss',
      ],
      [
        { kind: 'api', file: 'incidents/unresolved.json' },
        '/api/v2/incidents/unresolved.json',
        'api/v2/incidents/unresolved.json',
      ],
      [{ kind: 'badge' }, '/badge.svg', 'badge.svg'],
    ];
    for (const [route, path, file] of cases) {
      expect(routePath(route)).toBe(path);
      expect(routeFile(route)).toBe(file);
      expect(routeFromPath(path)).toEqual(route);
    }
    expect(routeFromPath('/incidents/../../etc/')).toBeNull();
  });

  it('put one calendar month of the site time zone on each history page, newest first', async () => {
    const content = await repoContent();
    const records = [
      incident('n1', [{ at: '2026-11-01T00:00:00Z', status: 'resolved' }]),
      incident('o1', [{ at: '2026-10-31T23:59:00Z', status: 'resolved' }]),
      incident('o2', [{ at: '2026-10-31T23:30:00Z', status: 'resolved' }]),
      incident('y1', [{ at: '2025-11-23T00:00:00Z', status: 'resolved' }]),
    ];
    const utc = snapshotOf(content, records, now.toISOString());
    const pageOf = (s: typeof utc, id: string) =>
      pageOfIncident(
        s,
        records.find((r) => r.id === id)!,
      );
    utc.site = { ...utc.site, timezone: 'UTC' };
    expect(['n1', 'o1', 'o2', 'y1'].map((id) => pageOf(utc, id))).toEqual([1, 2, 2, 3]);
    // 23:30 UTC on 31 October is already November in Berlin.
    const berlin = { ...utc, site: { ...utc.site, timezone: 'Europe/Berlin' } };
    expect(['n1', 'o1', 'o2', 'y1'].map((id) => pageOf(berlin, id))).toEqual([1, 1, 1, 2]);
    expect(pageOfIncident(berlin, { id: 'nobody', started_at: '2026-11-02T00:00:00Z' })).toBe(0);
  });

  it(`split a month of more than ${HISTORY_PAGE_SIZE} incidents into parts counted from its oldest`, async () => {
    const content = await repoContent();
    const october = Array.from({ length: 600 }, (_, i) =>
      incident(`oct${String(i).padStart(3, '0')}`, [
        {
          at: new Date(Date.parse('2026-10-01T00:00:00Z') + i * 60_000).toISOString(),
          status: 'resolved',
        },
      ]),
    );
    const snapshot = snapshotOf(content, october, now.toISOString());
    const layout = historyLayout(snapshot);
    // The quiet current month first, then October's three parts, newest part first.
    expect(layout.pages.map((p) => [p.month, p.part, p.parts, p.to - p.from])).toEqual([
      ['2026-11', 1, 1, 0],
      ['2026-10', 1, 3, 100],
      ['2026-10', 2, 3, HISTORY_PAGE_SIZE],
      ['2026-10', 3, 3, HISTORY_PAGE_SIZE],
    ]);
    expect(pageOfIncident(snapshot, october[599]!)).toBe(2);
    expect(pageOfIncident(snapshot, october[500]!)).toBe(2);
    expect(pageOfIncident(snapshot, october[499]!)).toBe(3);
    expect(pageOfIncident(snapshot, october[0]!)).toBe(4);
    // A new incident (the month's newest) moves nothing but the newest part; one dated before
    // all others moves every part.
    expect(layout.pagesFrom(historyPosition(snapshot, october[599]!))).toEqual([2]);
    expect(layout.pagesFrom(historyPosition(snapshot, october[0]!))).toEqual([4, 3, 2]);
    // The history page shows its part, newest first, and says which part it is.
    const view = buildHistoryView(snapshot, 2);
    expect(view.months).toHaveLength(1);
    expect(view.months[0]!.name).toBe('October 2026 (part 1 of 3)');
    expect(view.months[0]!.incidents.map((i) => i.id)).toEqual(
      october
        .slice(500)
        .map((i) => i.id)
        .reverse(),
    );
    expect(view.meta.title).toContain('October 2026, part 1 of 3');
  });

  it('give a history page only to the current month and months with incidents (issue 10, item 2)', async () => {
    const content = await repoContent();
    const snapshot = snapshotOf(
      content,
      [
        incident('a1', [{ at: '2026-05-02T10:00:00Z', status: 'resolved' }]),
        incident('a2', [{ at: '2026-05-20T10:00:00Z', status: 'resolved' }]),
        incident('old', [{ at: '1990-01-01T00:00:00Z', status: 'resolved' }]),
      ],
      now.toISOString(),
    );
    expect(historyLayout(snapshot).pages.map((p) => p.month)).toEqual([
      '2026-11',
      '2026-05',
      '1990-01',
    ]);
    const history = allRoutes(snapshot).filter((r) => r.kind === 'history');
    expect(history.map(routePath)).toEqual(['/history/', '/history/2/', '/history/3/']);
  });

  it('list every page of the site for a full export', async () => {
    const content = await repoContent();
    const snapshot = snapshotOf(
      content,
      [incident('a1', [{ at: '2026-05-02T10:00:00Z', status: 'resolved' }])],
      now.toISOString(),
    );
    const paths = allRoutes(snapshot).map(routePath);
    expect(paths).toContain('/incidents/a1/');
    expect(paths).toContain('/history/2/');
    expect(paths).not.toContain('/history/3/');
    expect(paths).toContain('/components/checkout/history.rss');
    expect(paths).toContain('/api/v2/scheduled-maintenances/upcoming.json');
  });
});

describe('planning a change', () => {
  const known = new Set(['api', 'checkout', 'billing']);
  let content: Content;
  beforeAll(async () => {
    content = await repoContent();
  });
  // The current month, and a month each with incidents in October, September and August, and in
  // November of last year: five history pages.
  const existing = [
    incident('o1', [{ at: '2026-10-10T09:00:00Z', status: 'resolved' }]),
    incident('s1', [{ at: '2026-09-10T09:00:00Z', status: 'resolved' }]),
    incident('a1', [{ at: '2026-08-10T09:00:00Z', status: 'resolved' }]),
    incident('y1', [{ at: '2025-11-10T09:00:00Z', status: 'resolved' }]),
  ];
  const snapshot = (records: IncidentRecord[]) => snapshotOf(content, records, now.toISOString());
  /** The plan for `id` going from `before` to `after`, among `others`. */
  const plan = (
    id: string,
    before: IncidentRecord | null,
    after: IncidentRecord | null,
    others = existing,
  ) => {
    const inBefore = snapshot(before ? [...others, before] : others);
    const inAfter = snapshot(after ? [...others, after] : others);
    return planChange({
      id,
      before,
      after,
      historyBefore: historyLayout(inBefore),
      historyAfter: historyLayout(inAfter),
      beforeAt: before ? historyPosition(inBefore, before) : -1,
      afterAt: after ? historyPosition(inAfter, after) : -1,
      knownComponents: known,
    });
  };
  const historyPages = (p: ReturnType<typeof plan>) =>
    p.render.filter((r) => r.kind === 'history').map(routePath);

  it('re-renders the incident, its history page, its components, feeds, JSON and badge', () => {
    const after = incident('x1', [
      {
        at: '2026-11-23T09:00:00Z',
        status: 'investigating',
        components: [{ id: 'api', old_status: 'operational', new_status: 'major_outage' }],
      },
    ]);
    const changed = plan('x1', null, after);
    const paths = changed.render.map(routePath);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/',
        '/incidents/x1/',
        '/history/',
        '/components/api/',
        '/components/api/history.rss',
        '/history.rss',
        '/badge.svg',
        '/api/v2/summary.json',
      ]),
    );
    expect(paths).not.toContain('/components/checkout/');
    expect(historyPages(changed)).toEqual(['/history/']);
    expect(changed.remove).toEqual([]);
  });

  it('removes the page of an incident that went private and re-renders what listed it', () => {
    const before = incident('x2', [
      {
        at: '2026-08-01T09:00:00Z',
        status: 'resolved',
        components: [{ id: 'checkout', old_status: 'operational', new_status: 'partial_outage' }],
      },
    ]);
    const changed = plan('x2', before, null);
    expect(changed.remove.map(routePath)).toEqual(['/incidents/x2/']);
    expect(changed.render.map(routePath)).toEqual(
      expect.arrayContaining(['/history/4/', '/components/checkout/']),
    );
    expect(historyPages(changed)).toEqual(['/history/4/']);
  });

  it('touches nothing but a stale page when the incident was never public', () => {
    const changed = plan('x3', null, null);
    expect(changed.render).toEqual([]);
    expect(changed.remove.map(routePath)).toEqual(['/incidents/x3/']);
  });

  it('re-renders every history page when the months with pages change', () => {
    const after = incident('x4', [{ at: '2025-01-05T09:00:00Z', status: 'resolved' }]);
    expect(historyPages(plan('x4', null, after))).toHaveLength(6);
  });

  it('re-renders every history page when pages shift at the same count, and removes pages gone', () => {
    const others = existing.filter((i) => i.id !== 'y1');
    const before = incident('x5', [{ at: '2025-11-05T09:00:00Z', status: 'resolved' }]);
    const after = incident('x5', [{ at: '2025-10-05T09:00:00Z', status: 'resolved' }]);
    expect(historyPages(plan('x5', before, after, others))).toHaveLength(5);
    const gone = plan('x5', before, null, others);
    expect(gone.remove.map(routePath)).toContain('/history/5/');
  });

  it('in a month of several parts, re-renders only the parts whose incidents changed or moved', () => {
    const october = Array.from({ length: 600 }, (_, i) =>
      incident(`oct${String(i).padStart(3, '0')}`, [
        {
          at: new Date(Date.parse('2026-10-01T01:00:00Z') + i * 60_000).toISOString(),
          status: 'resolved',
        },
      ]),
    );
    // Pages: November, October's parts 1 to 3 (2 to 4), September, August, November 2025.
    const others = [...existing.filter((i) => i.id !== 'o1'), ...october];
    // An update to one of the oldest: its part alone.
    const old = october[10]!;
    const updated = { ...old, title: 'Renamed', version: old.version + 1 };
    expect(
      historyPages(
        plan(
          old.id,
          old,
          updated,
          others.filter((i) => i.id !== old.id),
        ),
      ),
    ).toEqual(['/history/4/']);
    // A new incident, the month's newest: the newest part alone.
    const latest = incident('late', [{ at: '2026-10-30T09:00:00Z', status: 'resolved' }]);
    expect(historyPages(plan('late', null, latest, others))).toEqual(['/history/2/']);
    // One dated before every other: every part of the month moves.
    const early = incident('early', [{ at: '2026-10-01T00:00:00Z', status: 'resolved' }]);
    expect(historyPages(plan('early', null, early, others))).toEqual([
      '/history/2/',
      '/history/3/',
      '/history/4/',
    ]);
    // When a new part begins, every page after it moves.
    const full = Array.from({ length: 150 }, (_, i) =>
      incident(`more${i}`, [
        {
          at: new Date(Date.parse('2026-10-20T00:00:00Z') + i * 60_000).toISOString(),
          status: 'resolved',
        },
      ]),
    );
    expect(historyPages(plan('late', null, latest, [...others, ...full]))).toHaveLength(8);
  });

  it('batch each history page with the incident pages it lists, so a full export reads each record once', async () => {
    const content = await repoContent();
    const october = Array.from({ length: 600 }, (_, i) =>
      incident(`oct${String(i).padStart(3, '0')}`, [
        {
          at: new Date(Date.parse('2026-10-01T01:00:00Z') + i * 60_000).toISOString(),
          status: 'resolved',
        },
      ]),
    );
    const snapshot = snapshotOf(content, [...existing, ...october], now.toISOString());
    const layout = historyLayout(snapshot);
    const { batches } = renderBatches(snapshot, allRoutes(snapshot), 200);
    const listed = batches.flatMap((b) => [...b.pages, ...b.after]);
    const wanted = allRoutes(snapshot).filter((r) =>
      ['incident', 'maintenance', 'history'].includes(r.kind),
    );
    // Every such route once, nothing else.
    expect(listed.map(routePath).sort()).toEqual(wanted.map(routePath).sort());
    // Every record read once.
    const read = batches.flatMap((b) => b.ids);
    expect(new Set(read).size).toBe(read.length);
    expect(read.sort()).toEqual(snapshot.incidents.map((i) => i.id).sort());
    for (const batch of batches) {
      expect(batch.pages.length).toBeLessThanOrEqual(HISTORY_PAGE_SIZE);
      for (const page of batch.pages)
        if (page.kind === 'incident') expect(batch.ids).toContain(page.id);
      for (const route of batch.after) {
        // A history page and the incidents it lists, from the same records.
        const at = layout.pages[(route as { page: number }).page - 1]!;
        const ids = snapshot.incidents.slice(at.from, at.to).map((i) => i.id);
        expect(batch.ids).toEqual(ids);
        expect(batch.pages.map(routePath)).toEqual(ids.map((id) => `/incidents/${id}/`));
      }
    }
    // A change: the incident's page, then its history page, from one read.
    const one = october[42]!;
    const page = pageOfIncident(snapshot, one);
    const change = renderBatches(
      snapshot,
      [{ kind: 'index' }, { kind: 'history', page }, { kind: 'incident', id: one.id }],
      200,
    ).batches;
    expect(change).toHaveLength(1);
    expect(change[0]!.pages).toEqual([{ kind: 'incident', id: one.id }]);
    expect(change[0]!.after).toEqual([{ kind: 'history', page }]);
    expect(change[0]!.ids).toContain(one.id);
  });
});
