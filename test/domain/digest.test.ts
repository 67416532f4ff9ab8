import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Content, DigestPolicy } from '../../src/config/content.ts';
import { buildDigest, digestVariables, type DigestInput } from '../../src/domain/digest/build.ts';
import { dueDigestSlots, type ScheduleIncident } from '../../src/domain/digest/schedule.ts';
import type { IncidentRecord } from '../../src/domain/types.ts';
import { loadMailTemplates, type MailTemplates } from '../../src/mail/templates.ts';
import { sampleVariables } from '../../src/scheduler/messages.ts';
import { DEFAULT_CONTENT_DIR } from '../cadence/policy.ts';
import { loadContent } from '../../src/config/content.ts';
import { REPO_ROOT } from '../support/harness.ts';

const DAILY_8AM: DigestPolicy = {
  dailyAtSeconds: 8 * 3600,
  whileSevereEverySeconds: 3600,
  severe: ['SEV1', 'SEV2'],
};
const LONG_AGO = '2026-01-01T00:00:00.000Z';
const at = (iso: string) => new Date(iso);
const none = new Set<string>();

describe('dueDigestSlots', () => {
  it('owes the latest daily slot at the local time of the site time zone', () => {
    // 08:00 in Berlin is 07:00 UTC in November.
    const before = dueDigestSlots(
      DAILY_8AM,
      'Europe/Berlin',
      [],
      LONG_AGO,
      none,
      at('2026-11-23T06:59:59Z'),
    );
    expect(before).toEqual([
      { key: 'daily/2026-11-22', kind: 'daily', at: '2026-11-22T07:00:00.000Z' },
    ]);
    const after = dueDigestSlots(
      DAILY_8AM,
      'Europe/Berlin',
      [],
      LONG_AGO,
      none,
      at('2026-11-23T07:00:00Z'),
    );
    expect(after).toEqual([
      { key: 'daily/2026-11-23', kind: 'daily', at: '2026-11-23T07:00:00.000Z' },
    ]);
    expect(
      dueDigestSlots(
        DAILY_8AM,
        'Europe/Berlin',
        [],
        LONG_AGO,
        new Set(['daily/2026-11-23']),
        at('2026-11-23T09:00:00Z'),
      ),
    ).toEqual([]);
  });

  it('owes only the last slot after downtime through several, and none before the schedule first ran', () => {
    const afterThreeDays = dueDigestSlots(
      DAILY_8AM,
      'UTC',
      [],
      LONG_AGO,
      new Set(['daily/2026-11-20']),
      at('2026-11-23T12:00:00Z'),
    );
    expect(afterThreeDays.map((s) => s.key)).toEqual(['daily/2026-11-23']);
    expect(
      dueDigestSlots(
        DAILY_8AM,
        'UTC',
        [],
        '2026-11-23T09:00:00Z',
        none,
        at('2026-11-23T12:00:00Z'),
      ),
    ).toEqual([]);
    expect(dueDigestSlots(null, 'UTC', [], LONG_AGO, none, at('2026-11-23T12:00:00Z'))).toEqual([]);
  });

  it('owes a slot every N while a SEV1 or SEV2 was open at its start, by the severity then', () => {
    const severeOnly = { ...DAILY_8AM, dailyAtSeconds: null };
    const sev1: ScheduleIncident = {
      severity: 'SEV1',
      started_at: '2026-11-23T10:07:00Z',
      resolved_at: null,
    };
    const slot = (now: string, incidents: ScheduleIncident[]) =>
      dueDigestSlots(severeOnly, 'UTC', incidents, LONG_AGO, none, at(now)).map((s) => s.key);
    expect(slot('2026-11-23T10:30:00Z', [sev1])).toEqual([]); // not open at 10:00
    expect(slot('2026-11-23T11:05:00Z', [sev1])).toEqual(['severe/2026-11-23T11:00:00.000Z']);
    expect(
      slot('2026-11-23T11:05:00Z', [{ ...sev1, resolved_at: '2026-11-23T10:50:00Z' }]),
    ).toEqual([]);
    expect(slot('2026-11-23T11:05:00Z', [{ ...sev1, severity: 'SEV3' }])).toEqual([]);
    // a SEV3 raised to SEV1 at 10:30 counts at 11:00; one lowered at 10:30 does not
    const raised = {
      ...sev1,
      severity: 'SEV1' as const,
      severity_history: [
        { at: '2026-11-23T10:07:00Z', severity: 'SEV3' as const },
        { at: '2026-11-23T10:30:00Z', severity: 'SEV1' as const },
      ],
    };
    expect(slot('2026-11-23T11:05:00Z', [raised])).toEqual(['severe/2026-11-23T11:00:00.000Z']);
    const lowered = {
      ...raised,
      severity: 'SEV3' as const,
      severity_history: [
        { at: '2026-11-23T10:07:00Z', severity: 'SEV1' as const },
        { at: '2026-11-23T10:30:00Z', severity: 'SEV3' as const },
      ],
    };
    expect(slot('2026-11-23T11:05:00Z', [lowered])).toEqual([]);
  });
});

let content: Content;
let mail: MailTemplates;
beforeAll(async () => {
  content = await loadContent(DEFAULT_CONTENT_DIR);
  mail = await loadMailTemplates(
    join(REPO_ROOT, 'templates'),
    sampleVariables(content, 'https://s.test'),
  );
});

function incident(id: string, fields: Partial<IncidentRecord>): IncidentRecord {
  return {
    id,
    title: `Incident ${id}`,
    severity: 'SEV3',
    status: 'investigating',
    impact: 'minor',
    impact_override: false,
    visibility: 'public',
    public_since: null,
    roles: {},
    business_impact: null,
    eta: null,
    started_at: '2026-11-23T10:00:00.000Z',
    detected_at: null,
    acknowledged_at: null,
    resolved_at: null,
    monitoring_at: null,
    created_at: '2026-11-23T10:00:00.000Z',
    updated_at: '2026-11-23T10:00:00.000Z',
    version: 1,
    components: [],
    updates: [
      {
        id: `${id}-u1`,
        incident_id: id,
        seq: 1,
        status: 'investigating',
        message: 'Looking.',
        components: [],
        notify: true,
        display_at: fields.started_at ?? '2026-11-23T10:00:00.000Z',
        created_at: fields.started_at ?? '2026-11-23T10:00:00.000Z',
        author: 'comms',
      },
    ],
    ...fields,
  };
}

const empty = (incidents: IncidentRecord[]): DigestInput => ({
  incidents,
  severityHistory: new Map(),
  rootCauseCategory: new Map(),
  overdue: { reviews: [], action_items: [] },
});

describe('buildDigest and the digest templates', () => {
  it('say "nothing to report" in one line when there is nothing', () => {
    const data = buildDigest(
      content,
      empty([]),
      'daily',
      at('2026-11-22T10:00:00Z'),
      at('2026-11-23T10:00:00Z'),
    );
    expect(data.nothing_to_report).toBe(true);
    const email = mail.render('executive/digest', digestVariables(content, 'https://s.test', data));
    expect(email.subject).toBe('[Herald] Executive digest for Acme Cloud: nothing to report');
    const lines = email.text.split('\n').filter((l) => l.startsWith('Nothing to report'));
    expect(lines).toEqual([
      'Nothing to report: no active incidents, none resolved, no repeats and no overdue reviews or action items since 2026-11-22 10:00 UTC.',
    ]);
    expect(email.text).not.toContain('ACTIVE INCIDENTS');
  });

  it('works out durations, costs so far and response times against the previous period', () => {
    const sev1 = incident('sev1', {
      title: 'Checkout down',
      severity: 'SEV1',
      roles: { commander: 'Ada' },
      business_impact: {
        customers_affected: 1200,
        revenue_per_minute: 850,
        currency: 'USD',
        summary: 'x',
      },
      started_at: '2026-11-23T10:00:00.000Z',
      detected_at: '2026-11-23T10:00:00.000Z',
      acknowledged_at: '2026-11-23T10:04:00.000Z',
    });
    const done = incident('done', {
      title: 'Search slow',
      status: 'resolved',
      business_impact: { revenue_per_minute: 10, currency: 'EUR' },
      started_at: '2026-11-23T08:00:00.000Z',
      detected_at: '2026-11-23T08:10:00.000Z',
      acknowledged_at: '2026-11-23T08:12:00.000Z',
      resolved_at: '2026-11-23T09:10:00.000Z',
    });
    // the period before (2026-11-21T10:30 to 2026-11-22T10:30): one incident acknowledged in 10 min
    const before = incident('before', {
      status: 'resolved',
      started_at: '2026-11-22T09:00:00.000Z',
      detected_at: '2026-11-22T09:00:00.000Z',
      acknowledged_at: '2026-11-22T09:10:00.000Z',
      resolved_at: '2026-11-22T09:20:00.000Z',
    });
    const data = buildDigest(
      content,
      empty([sev1, done, before]),
      'daily',
      at('2026-11-22T10:30:00Z'),
      at('2026-11-23T10:30:00Z'),
    );
    expect(data.active).toEqual([
      expect.objectContaining({
        id: 'sev1',
        duration_seconds: 1800,
        customers_affected: 1200,
        estimated_cost: 25_500, // 850 × 30 min
        commander: 'Ada',
        next_update_due_at: '2026-11-23T10:15:00.000Z',
        updates_on_time: false,
      }),
    ]);
    expect(data.resolved).toEqual([
      expect.objectContaining({ id: 'done', duration_seconds: 4200, estimated_cost: 700 }),
    ]);
    // MTTA: sev1 4 min, done 2 min → 3 min; previous 10 min. MTTR: done 60 min; previous 20 min.
    expect(data.metrics.current.mtta).toMatchObject({ mean_seconds: 180, count: 2 });
    expect(data.metrics.previous.mtta).toMatchObject({ mean_seconds: 600, count: 1 });
    expect(data.metrics.current.mttr).toMatchObject({ mean_seconds: 3600, count: 1, missing: 1 });
    expect(data.nothing_to_report).toBe(false);

    const email = mail.render('executive/digest', digestVariables(content, 'https://s.test', data));
    expect(email.subject).toBe('[Herald] Executive digest for Acme Cloud: 1 active, 1 resolved');
    expect(email.text).toContain('Estimated cost so far: $25,500.00');
    expect(email.text).toContain('Customers affected:    1,200');
    expect(email.text).toContain('Next update due:       2026-11-23 10:15 UTC (OVERDUE)');
    expect(email.text).toContain('Estimated cost:        €700.00');
    expect(email.text).toContain('MTTA: 3m over 2 incidents, better than 10m');
    expect(email.text).toContain('MTTR: 1h over 1 incidents, worse than 20m');
    expect(email.html).toContain('$25,500.00');
  });
});
