import { describe, expect, it } from 'vitest';
import {
  allRoutes,
  historyMonths,
  historyPageOf,
  planChange,
  routeFile,
  routeFromPath,
  routePath,
  type Route,
} from '../../src/publish/routes.ts';
import { incident, repoContent, snapshotOf } from './fixtures.ts';

const now = new Date('2026-11-23T10:00:00Z');

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

  it('put one calendar month of the site time zone on each history page, newest first', () => {
    const months = ['2026-11', '2026-10', '2025-11'];
    expect(historyPageOf('2026-11-01T00:00:00Z', months, 'UTC')).toBe(1);
    expect(historyPageOf('2026-10-31T23:59:00Z', months, 'UTC')).toBe(2);
    // 23:30 UTC on 31 October is already November in Berlin.
    expect(historyPageOf('2026-10-31T23:30:00Z', months, 'Europe/Berlin')).toBe(1);
    expect(historyPageOf('2025-11-23T00:00:00Z', months, 'UTC')).toBe(3);
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
    expect(historyMonths(snapshot)).toEqual(['2026-11', '2026-05', '1990-01']);
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
  // The current month, a month each with incidents in August and in November of last year.
  const months = ['2026-11', '2026-10', '2026-09', '2026-08', '2025-11'];
  const base = {
    timeZone: 'UTC',
    monthsBefore: months,
    monthsAfter: months,
    knownComponents: known,
  };

  it('re-renders the incident, its history page, its components, feeds, JSON and badge', () => {
    const after = incident('x1', [
      {
        at: '2026-11-23T09:00:00Z',
        status: 'investigating',
        components: [{ id: 'api', old_status: 'operational', new_status: 'major_outage' }],
      },
    ]);
    const plan = planChange({ ...base, id: 'x1', before: null, after });
    const paths = plan.render.map(routePath);
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
    expect(paths).not.toContain('/history/2/');
    expect(plan.remove).toEqual([]);
  });

  it('removes the page of an incident that went private and re-renders what listed it', () => {
    const before = incident('x2', [
      {
        at: '2026-08-01T09:00:00Z',
        status: 'resolved',
        components: [{ id: 'checkout', old_status: 'operational', new_status: 'partial_outage' }],
      },
    ]);
    const plan = planChange({ ...base, id: 'x2', before, after: null });
    expect(plan.remove.map(routePath)).toEqual(['/incidents/x2/']);
    expect(plan.render.map(routePath)).toEqual(
      expect.arrayContaining(['/history/4/', '/components/checkout/']),
    );
  });

  it('touches nothing but a stale page when the incident was never public', () => {
    const plan = planChange({ ...base, id: 'x3', before: null, after: null });
    expect(plan.render).toEqual([]);
    expect(plan.remove.map(routePath)).toEqual(['/incidents/x3/']);
  });

  it('re-renders every history page when the months with pages change', () => {
    const after = incident('x4', [{ at: '2025-01-05T09:00:00Z', status: 'resolved' }]);
    const plan = planChange({
      ...base,
      id: 'x4',
      before: null,
      after,
      monthsAfter: [...months, '2025-01'],
    });
    const pages = plan.render.filter((r) => r.kind === 'history').map(routePath);
    expect(pages).toHaveLength(6);
  });

  it('re-renders every history page when pages shift at the same count, and removes pages gone', () => {
    const before = incident('x5', [{ at: '2025-11-05T09:00:00Z', status: 'resolved' }]);
    const after = incident('x5', [{ at: '2025-10-05T09:00:00Z', status: 'resolved' }]);
    const shifted = planChange({
      ...base,
      id: 'x5',
      before,
      after,
      monthsAfter: [...months.slice(0, 4), '2025-10'],
    });
    expect(shifted.render.filter((r) => r.kind === 'history')).toHaveLength(5);
    const gone = planChange({
      ...base,
      id: 'x5',
      before,
      after: null,
      monthsAfter: months.slice(0, 4),
    });
    expect(gone.remove.map(routePath)).toContain('/history/5/');
  });
});
