import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/config/content.ts';
import { catalogSource } from '../../src/publish/static-site.ts';
import { statuspageDocument } from '../../src/publish/statuspage.ts';
import { uptimeView } from '../../src/publish/views/uptime-view.ts';
import {
  componentImpacts,
  incidentSummary,
  nextUpdate,
} from '../../src/publish/views/incident-parts.ts';
import { buildIndexView, pastDays } from '../../src/publish/views/index-view.ts';
import { incident, repoContent, snapshotOf } from './fixtures.ts';

describe('a resolved incident', () => {
  it('shows how it left each component, not what a later incident does to it now', async () => {
    const content = await repoContent();
    const resolved = incident('old', [
      {
        at: '2026-11-20T10:00:00.000Z',
        status: 'investigating',
        components: [{ id: 'checkout', old_status: 'operational', new_status: 'major_outage' }],
      },
      { at: '2026-11-20T11:00:00.000Z', status: 'resolved' },
    ]);
    const snapshot = snapshotOf(content, [resolved], '2026-11-23T10:00:00.000Z');
    // A newer incident has checkout down again right now.
    snapshot.componentStatus.set('checkout', {
      status: 'major_outage',
      updated_at: '2026-11-23T09:00:00.000Z',
    });
    expect(incidentSummary(snapshot, resolved).components).toEqual([
      { id: 'checkout', name: 'Checkout', statusLabel: 'Operational', tone: 'ok' },
    ]);
  });
});

describe('components.json', () => {
  it('lists each group followed by its members, then the ungrouped components, positioned as Statuspage does', async () => {
    const content = await repoContent();
    const source = catalogSource(content.catalog);
    source.components.push({
      id: 'status-site',
      name: 'Status site',
      description: 'This page.',
      only_show_if_degraded: false,
      initial_status: 'operational',
    });
    const snapshot = snapshotOf(
      { ...content, catalog: buildCatalog(source) },
      [],
      '2026-11-23T10:00:00.000Z',
    );
    const { components } = statuspageDocument(snapshot, 'components.json') as {
      components: Array<{ id: string; position: number; group_id: string | null }>;
    };
    const expected = [
      ...content.catalog.groups.flatMap((g) => [g.id, ...g.componentIds]),
      'status-site',
    ];
    expect(components.map((c) => c.id)).toEqual(expected);
    // Groups and ungrouped components are numbered along the page, members within their group.
    const groups = content.catalog.groups;
    expect(components.map((c) => c.position)).toEqual([
      ...groups.flatMap((g, i) => [i + 1, ...g.componentIds.map((_, k) => k + 1)]),
      groups.length + 1,
    ]);
    expect(components.at(-1)).toMatchObject({ id: 'status-site', group_id: null });
  });
});

describe('the promised next update', () => {
  it('reads "Next update by" before it is due, with the date when not today, and "overdue" after', async () => {
    const content = await repoContent();
    // SEV3 promises an update within 60 minutes of the last one.
    const open = incident('open1', [{ at: '2026-11-23T23:30:00.000Z', status: 'investigating' }]);
    const before = snapshotOf(content, [open], '2026-11-23T23:40:00.000Z');
    expect(nextUpdate(before, open)).toEqual({
      nextUpdateAt: '2026-11-24T00:30:00.000Z',
      nextUpdateLabel: 'Next update by',
      nextUpdateClock: '24 Nov 2026, 00:30 UTC',
    });
    const late = snapshotOf(content, [open], '2026-11-24T01:10:00.000Z');
    expect(nextUpdate(late, open)).toEqual({
      nextUpdateAt: '2026-11-24T00:30:00.000Z',
      nextUpdateLabel: 'Update overdue since',
      nextUpdateClock: '00:30 UTC',
    });
  });
});

describe('the uptime bars', () => {
  it('say in words which severity each affected day had, not only in colour', async () => {
    const content = await repoContent();
    const major = incident('maj', [
      {
        at: '2026-11-20T10:00:00.000Z',
        status: 'investigating',
        components: [{ id: 'checkout', old_status: 'operational', new_status: 'major_outage' }],
      },
      { at: '2026-11-20T11:00:00.000Z', status: 'resolved' },
    ]);
    const degraded = (id: string, day: string) =>
      incident(id, [
        {
          at: `${day}T10:00:00.000Z`,
          status: 'investigating',
          components: [
            { id: 'checkout', old_status: 'operational', new_status: 'degraded_performance' },
          ],
        },
        { at: `${day}T10:30:00.000Z`, status: 'resolved' },
      ]);
    const snapshot = snapshotOf(
      content,
      [major, degraded('d1', '2026-11-18'), degraded('d2', '2026-11-16')],
      '2026-11-23T10:00:00.000Z',
    );
    expect(uptimeView(snapshot, 'checkout').summary).toMatch(
      /; major outage on 1 day, degraded performance on 2 days\.$/,
    );
    expect(uptimeView(snapshot, 'api').summary).toMatch(/; no incidents\.$/);
  });
});

describe('what an incident did to each component', () => {
  it('names the worst status it caused and for how long, even after it is resolved', async () => {
    const content = await repoContent();
    const resolved = incident('imp', [
      {
        at: '2026-11-20T10:00:00.000Z',
        status: 'investigating',
        components: [
          { id: 'checkout', old_status: 'operational', new_status: 'degraded_performance' },
        ],
      },
      {
        at: '2026-11-20T10:20:00.000Z',
        status: 'identified',
        components: [
          { id: 'checkout', old_status: 'degraded_performance', new_status: 'major_outage' },
          { id: 'billing', old_status: 'operational', new_status: 'operational' },
        ],
      },
      { at: '2026-11-20T11:05:00.000Z', status: 'resolved' },
    ]);
    const snapshot = snapshotOf(content, [resolved], '2026-11-23T10:00:00.000Z');
    expect(componentImpacts(snapshot, resolved)).toEqual([
      {
        id: 'checkout',
        href: '/components/checkout/',
        name: 'Checkout',
        worstLabel: 'Major outage',
        tone: 'major',
        duration: '1 h 5 min',
      },
      {
        id: 'billing',
        href: '/components/billing/',
        name: 'Billing and invoicing',
        worstLabel: 'No status change',
        tone: 'ok',
        duration: null,
      },
    ]);
  });
});

describe('past incidents on the status page', () => {
  it('list the last 15 days of the site zone day by day, empty days included', async () => {
    const content = await repoContent();
    const at = (iso: string, id: string) =>
      incident(id, [
        { at: iso, status: 'investigating' },
        { at: iso.replace('T', 'T').replace(/:00\.000Z$/, ':30.000Z'), status: 'resolved' },
      ]);
    const snapshot = snapshotOf(
      content,
      [
        at('2026-11-23T08:00:00.000Z', 'today1'),
        ...['a', 'b', 'c', 'd'].map((x, i) => at(`2026-11-20T0${i}:00:00.000Z`, `busy-${x}`)),
        at('2026-11-08T08:00:00.000Z', 'tooold'),
      ],
      '2026-11-23T10:00:00.000Z',
    );
    const past = pastDays(snapshot);
    expect(past).toHaveLength(15);
    expect(past[0]).toMatchObject({ day: '2026-11-23', label: '23 Nov 2026', more: 0 });
    expect(past[0]!.incidents.map((i) => i.id)).toEqual(['today1']);
    expect(past[1]).toMatchObject({ day: '2026-11-22', incidents: [], more: 0 });
    expect(past[3]!.incidents.map((i) => i.id)).toEqual(['busy-d', 'busy-c', 'busy-b']);
    expect(past[3]!.more).toBe(1);
    expect(past[14]!.day).toBe('2026-11-09');
    expect(past.flatMap((d) => d.incidents.map((i) => i.id))).not.toContain('tooold');
  });
});

describe('components.json dates', () => {
  it('give each entry the date it was first seen and move a group with its members', async () => {
    const content = await repoContent();
    const snapshot = snapshotOf(content, [], '2026-11-23T10:00:00.000Z');
    const group = content.catalog.groups[0]!;
    const [first, second] = group.componentIds;
    const seen = new Map<string, string>(
      [...content.catalog.groups, ...content.catalog.components].map((c) => [
        c.id,
        '2026-01-05T08:00:00.000Z',
      ]),
    );
    seen.set(second!, '2026-03-01T09:30:00.000Z');
    snapshot.firstSeen = seen;
    snapshot.componentStatus.set(second!, {
      status: 'partial_outage',
      updated_at: '2026-11-23T09:15:00.000Z',
    });
    const { components } = statuspageDocument(snapshot, 'components.json') as {
      components: Array<{ id: string; created_at: string; updated_at: string; status: string }>;
    };
    const byId = new Map(components.map((c) => [c.id, c]));
    expect(byId.get(first!)!.created_at).toBe('2026-01-05T08:00:00.000Z');
    expect(byId.get(second!)!).toMatchObject({
      created_at: '2026-03-01T09:30:00.000Z',
      updated_at: '2026-11-23T09:15:00.000Z',
    });
    expect(byId.get(group.id)!).toMatchObject({
      status: 'partial_outage',
      created_at: '2026-01-05T08:00:00.000Z',
      updated_at: '2026-11-23T09:15:00.000Z',
    });
  });
});

describe("an uptime day's details", () => {
  it('give every day of the window its date, downtime by status and the incidents open that day', async () => {
    const content = await repoContent();
    const outage = incident('dd1', [
      {
        at: '2026-11-21T23:30:00.000Z',
        status: 'investigating',
        components: [{ id: 'checkout', old_status: 'operational', new_status: 'partial_outage' }],
      },
      { at: '2026-11-22T00:20:00.000Z', status: 'resolved' },
    ]);
    const snapshot = snapshotOf(content, [outage], '2026-11-23T10:00:00.000Z');
    snapshot.firstSeen = new Map([['checkout', '2026-11-01T00:00:00.000Z']]);
    const view = uptimeView(snapshot, 'checkout');
    expect(view.days).toHaveLength(90);
    expect(view.start).toBe('2026-08-26');
    const byDay = new Map(view.days.map((d) => [d.day, d]));
    expect(byDay.get('2026-11-21')).toEqual({
      day: '2026-11-21',
      label: '21 Nov 2026',
      notable: true,
      summary: 'Partial outage 30 min',
      uptime: '99.37 %',
      incidents: [{ href: '/incidents/dd1/', title: 'Incident dd1' }],
    });
    expect(byDay.get('2026-11-22')!.incidents).toEqual([
      { href: '/incidents/dd1/', title: 'Incident dd1' },
    ]);
    expect(byDay.get('2026-11-20')).toMatchObject({
      notable: false,
      summary: 'No downtime recorded.',
    });
    expect(byDay.get('2026-10-31')).toMatchObject({
      notable: false,
      summary: 'No data: before this component was first recorded.',
    });
    expect(view.bars.filter((b) => b.noData)).toHaveLength(67);
    expect(view.summary).toMatch(/; no data for the first 67 days\.$/);
  });
});

describe('component groups on the status page', () => {
  it('show their worst status and put affected components first while an incident is open', async () => {
    const content = await repoContent();
    const open = incident('grp', [
      {
        at: '2026-11-23T09:00:00.000Z',
        status: 'investigating',
        components: [{ id: 'payouts', old_status: 'operational', new_status: 'partial_outage' }],
      },
    ]);
    const snapshot = snapshotOf(content, [open], '2026-11-23T10:00:00.000Z');
    snapshot.componentStatus.set('payouts', {
      status: 'partial_outage',
      updated_at: '2026-11-23T09:00:00.000Z',
    });
    const view = buildIndexView(snapshot);
    const payments = view.groups.find((g) => g.id === 'payments')!;
    expect(payments).toMatchObject({ statusLabel: 'Partial outage', tone: 'partial' });
    expect(payments.components.map((c) => c.id)).toEqual(['payouts', 'checkout', 'billing']);
    expect(view.groups.find((g) => g.id === 'core-platform')).toMatchObject({
      statusLabel: 'Operational',
      tone: 'ok',
    });
    // Once nothing is open, the catalog's order returns.
    const resolved = snapshotOf(content, [], '2026-11-23T10:00:00.000Z');
    resolved.componentStatus.set('payouts', {
      status: 'partial_outage',
      updated_at: '2026-11-23T09:00:00.000Z',
    });
    expect(
      buildIndexView(resolved)
        .groups.find((g) => g.id === 'payments')!
        .components.map((c) => c.id),
    ).toEqual(['checkout', 'billing', 'payouts']);
  });
});

describe('a resolved incident page', () => {
  it('is the same at every later export: its "Updated" time is its last public change', async () => {
    const { viewForRoute } = await import('../../src/publish/views/route-view.ts');
    const content = await repoContent();
    const resolved = incident('done', [
      { at: '2026-10-01T10:00:00.000Z', status: 'investigating' },
      { at: '2026-10-01T11:30:00.000Z', status: 'resolved' },
    ]);
    const open = incident('live', [{ at: '2026-11-23T09:00:00.000Z', status: 'investigating' }]);
    const at = (now: string, id: string) =>
      viewForRoute(snapshotOf(content, [resolved, open], now), { kind: 'incident', id }) as {
        site: { generatedAt: string };
      };
    const early = at('2026-11-23T10:00:00.000Z', 'done');
    expect(at('2026-11-27T18:00:00.000Z', 'done')).toEqual(early);
    expect(early.site.generatedAt).toBe('2026-10-01T11:30:00.000Z'); // its resolution
    // An open incident's page runs with the clock.
    expect(at('2026-11-23T10:00:00.000Z', 'live').site.generatedAt).toBe(
      '2026-11-23T10:00:00.000Z',
    );
  });
});

describe('uptime bars kept from one publish to the next', () => {
  it('measure the same as measuring every day afresh when incidents change, old ones included', async () => {
    const content = await repoContent();
    type Step = Parameters<typeof incident>[1];
    const down = (id: string, status: 'major_outage' | 'degraded_performance') => [
      { id, old_status: 'operational' as const, new_status: status },
    ];
    // The same incidents against another component: one the cache has not seen, measured afresh.
    const as = (id: string, name: string, steps: (c: string) => Step, version?: number) =>
      incident(name, steps(id), version === undefined ? {} : { version });
    const old = (c: string, until: string): Step => [
      {
        at: '2026-10-20T08:00:00.000Z',
        status: 'investigating',
        components: down(c, 'major_outage'),
      },
      { at: until, status: 'resolved' },
    ];
    const open = (c: string, more: Step = []): Step => [
      {
        at: '2026-11-21T12:00:00.000Z',
        status: 'investigating',
        components: down(c, 'degraded_performance'),
      },
      ...more,
    ];
    const kept = (incidents: (c: string) => IncidentRecordList, now: string, fresh: string) => {
      const view = uptimeView(snapshotOf(content, incidents('checkout'), now), 'checkout');
      expect(view).toEqual(uptimeView(snapshotOf(content, incidents(fresh), now), fresh));
      return view;
    };
    type IncidentRecordList = ReturnType<typeof incident>[];

    kept(
      (c) => [as(c, 'old', (x) => old(x, '2026-10-20T09:00:00.000Z')), as(c, 'open', open)],
      '2026-11-23T10:00:00.000Z',
      'api',
    );
    // An update to the open incident: today measures again.
    const worse = (x: string): Step =>
      open(x, [
        {
          at: '2026-11-23T10:02:00.000Z',
          status: 'identified',
          components: down(x, 'major_outage'),
        },
      ]);
    const second = kept(
      (c) => [as(c, 'old', (x) => old(x, '2026-10-20T09:00:00.000Z')), as(c, 'open', worse, 2)],
      '2026-11-23T10:05:00.000Z',
      'billing',
    );
    expect(second.days.find((d) => d.day === '2026-11-23')!.summary).toMatch(/major outage/i);
    // The old incident corrected: it ran a day longer, a month ago. That day measures again.
    const third = kept(
      (c) => [as(c, 'old', (x) => old(x, '2026-10-21T09:00:00.000Z'), 3), as(c, 'open', worse, 2)],
      '2026-11-23T10:10:00.000Z',
      'payouts',
    );
    expect(third.days.find((d) => d.day === '2026-10-21')!.summary).toMatch(/major outage/i);
    // A back-dated update on the open incident (posted last, dated before its start) reaches days
    // before the incident started.
    const backdated = (x: string): Step => [
      ...worse(x),
      {
        at: '2026-11-10T06:00:00.000Z',
        status: 'identified',
        components: down(x, 'major_outage'),
      },
    ];
    const fourth = kept(
      (c) => [
        as(c, 'old', (x) => old(x, '2026-10-21T09:00:00.000Z'), 3),
        as(c, 'open', backdated, 4),
      ],
      '2026-11-23T10:15:00.000Z',
      'database',
    );
    expect(fourth.days.find((d) => d.day === '2026-11-15')!.summary).toMatch(/major outage/i);
    // Taken back: the days its earlier version reached are clear again.
    const fifth = kept(
      (c) => [as(c, 'old', (x) => old(x, '2026-10-21T09:00:00.000Z'), 3), as(c, 'open', worse, 5)],
      '2026-11-23T10:20:00.000Z',
      'storage',
    );
    expect(fifth.days.find((d) => d.day === '2026-11-15')!.summary).toBe('No downtime recorded.');
    // The old incident gone (made private): its days are clear again too.
    const sixth = kept((c) => [as(c, 'open', worse, 5)], '2026-11-23T10:25:00.000Z', 'analytics');
    expect(sixth.days.find((d) => d.day === '2026-10-21')!.summary).toBe('No downtime recorded.');
  });
});

describe('uptime bars of a component whose list of incidents is the same list', () => {
  it('are the view already measured within the minute, until one of its incidents starts', async () => {
    const content = await repoContent();
    const down = (id: string) => [
      { id, old_status: 'operational' as const, new_status: 'degraded_performance' as const },
    ];
    // Newest started first, as the publisher's lists are: one starts 40 s into the minute.
    const list = (c: string) => [
      incident(`${c}-later`, [
        { at: '2026-11-23T10:00:40.000Z', status: 'investigating', components: down(c) },
      ]),
      incident(`${c}-open`, [
        { at: '2026-11-22T10:00:00.000Z', status: 'investigating', components: down(c) },
      ]),
    ];
    // A snapshot whose uptime reads this very list, as the publisher hands one from publish to publish.
    const at = (now: string, c: string, incidents: ReturnType<typeof list>) => {
      const snapshot = snapshotOf(content, incidents, now);
      snapshot.uptimeIncidentsByComponent = new Map([[c, incidents]]);
      return snapshot;
    };
    const fresh = (now: string, c: string) => uptimeView(at(now, c, list(c)), c);
    const today = (view: ReturnType<typeof uptimeView>) =>
      view.days.find((d) => d.day === '2026-11-23')!;

    const kept = list('webhooks');
    const first = uptimeView(at('2026-11-23T10:00:10.000Z', 'webhooks', kept), 'webhooks');
    expect(today(first).incidents.map((i) => i.href)).toEqual(['/incidents/webhooks-open/']);
    expect(uptimeView(at('2026-11-23T10:00:30.000Z', 'webhooks', kept), 'webhooks')).toBe(first);
    // The later incident has started, in the same minute: the day links it.
    const started = uptimeView(at('2026-11-23T10:00:50.000Z', 'webhooks', kept), 'webhooks');
    expect(today(started).incidents.map((i) => i.href)).toEqual([
      '/incidents/webhooks-later/',
      '/incidents/webhooks-open/',
    ]);
    expect(started.days).toEqual(
      fresh('2026-11-23T10:00:50.000Z', 'auth').days.map((d) => ({
        ...d,
        incidents: d.incidents.map((i) => ({
          href: i.href.replace('auth', 'webhooks'),
          title: i.title.replace('auth', 'webhooks'),
        })),
      })),
    );
    // A later minute: today measures again (ten more minutes of degraded performance).
    const later = uptimeView(at('2026-11-23T10:10:50.000Z', 'webhooks', kept), 'webhooks');
    expect(today(later).summary).not.toBe(today(started).summary);
    expect(today(later).summary).toBe(
      today(fresh('2026-11-23T10:10:50.000Z', 'dashboard')).summary,
    );
  });
});
