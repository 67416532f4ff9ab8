import { beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/config/content.ts';
import {
  computeMetrics,
  durationStat,
  percentile,
  type MetricsIncident,
  type MetricsInput,
} from '../../src/domain/metrics.ts';
import type { SeverityChange } from '../../src/domain/severity-history.ts';
import { defaultPolicy } from '../cadence/policy.ts';

// SPEC §2's defaults: SEV1 every 15 min (30 in monitoring), SEV3 every 60 min.
let policy: Policy;
beforeAll(async () => {
  policy = await defaultPolicy();
});

const T = (hhmm: string, day = '23') => `2026-11-${day}T${hhmm}:00.000Z`;
const period = { from: new Date(T('00:00')), to: new Date(T('00:00', '24')) };
const endOfDay = new Date(T('23:59'));

function incident(id: string, fields: Partial<MetricsIncident> = {}): MetricsIncident {
  return {
    id,
    title: `Incident ${id}`,
    severity: 'SEV3',
    visibility: 'public',
    public_since: null,
    started_at: T('10:00'),
    detected_at: null,
    acknowledged_at: null,
    resolved_at: null,
    components: [],
    updates: [],
    ...fields,
  };
}

function input(
  incidents: MetricsIncident[],
  history: Record<string, SeverityChange[]> = {},
  categories: Record<string, string> = {},
): MetricsInput {
  return {
    incidents,
    severityHistory: new Map(Object.entries(history)),
    rootCauseCategory: new Map(Object.entries(categories)),
  };
}

const posted = (at: string, status: MetricsIncident['updates'][number]['status']) => ({
  created_at: at,
  status,
});

describe('percentiles and duration figures', () => {
  it('use the nearest rank: p50 of four values is the second, p90 the fourth', () => {
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([10, 20, 30, 40], 90)).toBe(40);
    expect(percentile([7], 90)).toBe(7);
  });

  it('leave out unknown durations and count them as missing', () => {
    expect(durationStat([null, 30, null, 90])).toEqual({
      mean_seconds: 60,
      p50_seconds: 30,
      p90_seconds: 90,
      count: 2,
      missing: 2,
    });
    expect(durationStat([])).toEqual({
      mean_seconds: null,
      p50_seconds: null,
      p90_seconds: null,
      count: 0,
      missing: 0,
    });
  });
});

describe('computeMetrics', () => {
  it('reports an empty period as zeros and nulls, not as an error', () => {
    const earlier = incident('old', {
      started_at: T('10:00', '20'),
      resolved_at: T('11:00', '20'),
    });
    const metrics = computeMetrics(policy, input([earlier]), period, endOfDay);
    expect(metrics).toEqual({
      from: '2026-11-23T00:00:00.000Z',
      to: '2026-11-24T00:00:00.000Z',
      incidents: { total: 0, by_severity: { SEV1: 0, SEV2: 0, SEV3: 0, SEV4: 0, SEV5: 0 } },
      mttd: { mean_seconds: null, p50_seconds: null, p90_seconds: null, count: 0, missing: 0 },
      mtta: { mean_seconds: null, p50_seconds: null, p90_seconds: null, count: 0, missing: 0 },
      mttr: { mean_seconds: null, p50_seconds: null, p90_seconds: null, count: 0, missing: 0 },
      cadence: { windows_due: 0, windows_met: 0, ratio: null },
      repeats: [],
    });
  });

  it('computes MTTD, MTTA and MTTR by hand, leaving out missing timestamps and open incidents', () => {
    const incidents = [
      // detected +5 min, acknowledged +2 min after, resolved 60 min after detection
      incident('a', {
        severity: 'SEV1',
        started_at: T('10:00'),
        detected_at: T('10:05'),
        acknowledged_at: T('10:07'),
        resolved_at: T('11:05'),
      }),
      // +1 min, +10 min, 30 min
      incident('b', {
        severity: 'SEV2',
        started_at: T('12:00'),
        detected_at: T('12:01'),
        acknowledged_at: T('12:11'),
        resolved_at: T('12:31'),
      }),
      // never detected nor acknowledged: in no figure, but counted
      incident('c', { started_at: T('13:00'), resolved_at: T('13:30') }),
      // still open: +2 min, +1 min, no MTTR
      incident('d', {
        started_at: T('14:00'),
        detected_at: T('14:02'),
        acknowledged_at: T('14:03'),
      }),
      // started before the period: not counted at all
      incident('e', {
        started_at: T('23:00', '22'),
        detected_at: T('23:01', '22'),
        resolved_at: T('01:00'),
      }),
    ];
    const metrics = computeMetrics(policy, input(incidents), period, endOfDay);
    expect(metrics.incidents).toEqual({
      total: 4,
      by_severity: { SEV1: 1, SEV2: 1, SEV3: 2, SEV4: 0, SEV5: 0 },
    });
    // 300, 60, 120 → mean 160; sorted 60, 120, 300: p50 is the 2nd, p90 the 3rd
    expect(metrics.mttd).toEqual({
      mean_seconds: 160,
      p50_seconds: 120,
      p90_seconds: 300,
      count: 3,
      missing: 1,
    });
    // 120, 600, 60 → mean 260
    expect(metrics.mtta).toEqual({
      mean_seconds: 260,
      p50_seconds: 120,
      p90_seconds: 600,
      count: 3,
      missing: 1,
    });
    // 3600, 1800 → mean 2700; c was never detected, d is open
    expect(metrics.mttr).toEqual({
      mean_seconds: 2700,
      p50_seconds: 1800,
      p90_seconds: 3600,
      count: 2,
      missing: 2,
    });
  });

  it('takes each incident as it stood at the end of the period: a later resolution does not count yet', () => {
    const late = incident('late', {
      started_at: T('22:00'),
      detected_at: T('22:00'),
      acknowledged_at: T('00:30', '24'),
      resolved_at: T('02:00', '24'),
    });
    const metrics = computeMetrics(policy, input([late]), period, new Date(T('12:00', '25')));
    expect(metrics.mtta).toMatchObject({ count: 0, missing: 1 });
    expect(metrics.mttr).toMatchObject({ count: 0, missing: 1 });
    // asked for again over a period that includes the resolution, it counts: 4 h
    const wider = computeMetrics(
      policy,
      input([late]),
      { from: period.from, to: new Date(T('12:00', '24')) },
      new Date(T('12:00', '25')),
    );
    expect(wider.mttr).toMatchObject({ mean_seconds: 14_400, count: 1, missing: 0 });
  });

  it('uses the severity in force at each moment when a severity is raised mid-incident', () => {
    // A SEV3 (60 min) raised to SEV1 (15 min) at 10:20; updates posted at 10:00, 10:50, 11:00.
    const raised = incident('raised', {
      severity: 'SEV1',
      started_at: T('10:00'),
      resolved_at: T('11:00'),
      updates: [
        posted(T('10:00'), 'investigating'),
        posted(T('10:50'), 'identified'),
        posted(T('11:00'), 'resolved'),
      ],
    });
    const history = {
      raised: [
        { at: T('10:00'), severity: 'SEV3' as const },
        { at: T('10:20'), severity: 'SEV1' as const },
      ],
    };
    const metrics = computeMetrics(policy, input([raised], history), period, endOfDay);
    // 10:00 window at SEV3: due 11:00, closed 10:50, met. 10:50 window at SEV1: due 11:05,
    // closed 11:00, met.
    expect(metrics.cadence).toEqual({ windows_due: 2, windows_met: 2, ratio: 1 });
    expect(metrics.incidents.by_severity).toMatchObject({ SEV1: 1, SEV3: 0 });
    // Judged by today's severity, the first window (due 10:15) would count as missed.
    const todays = computeMetrics(policy, input([raised]), period, endOfDay);
    expect(todays.cadence).toEqual({ windows_due: 2, windows_met: 1, ratio: 0.5 });
  });

  it('counts an incident under the severity it had in the period, not a later one', () => {
    const lowered = incident('lowered', {
      severity: 'SEV4',
      started_at: T('10:00'),
      resolved_at: T('10:30'),
    });
    const history = {
      lowered: [
        { at: T('10:00'), severity: 'SEV1' as const },
        { at: T('09:00', '24'), severity: 'SEV4' as const },
      ],
    };
    const metrics = computeMetrics(policy, input([lowered], history), period, endOfDay);
    expect(metrics.incidents.by_severity).toMatchObject({ SEV1: 1, SEV4: 0 });
  });

  it('counts back-dated updates when they were posted, and a back-dated resolution when it happened', () => {
    // A SEV1: the second update was posted at 10:40 but shown at 10:10; the resolution was posted
    // at 11:00 but dated 10:30 (when service recovered): resolved_at is 10:30.
    const backDated = incident('back', {
      severity: 'SEV1',
      started_at: T('10:00'),
      detected_at: T('10:00'),
      resolved_at: T('10:30'),
      updates: [
        posted(T('10:00'), 'investigating'),
        posted(T('10:40'), 'identified'),
        posted(T('11:00'), 'resolved'),
      ],
    });
    const metrics = computeMetrics(policy, input([backDated]), period, endOfDay);
    // 10:00 window due 10:15, closed 10:40: missed. 10:40 window due 10:55, closed 11:00: missed.
    expect(metrics.cadence).toEqual({ windows_due: 2, windows_met: 0, ratio: 0 });
    expect(metrics.mttr).toMatchObject({ mean_seconds: 1800, count: 1, missing: 0 });
  });

  it('counts the open window of an open incident only once it is past due', () => {
    const open = incident('open', {
      severity: 'SEV1',
      started_at: T('10:00'),
      detected_at: T('10:00'),
      updates: [posted(T('10:00'), 'investigating'), posted(T('10:10'), 'identified')],
    });
    // At 10:20 the 10:10 window (due 10:25) is still open: 1 due (met).
    const early = computeMetrics(policy, input([open]), period, new Date(T('10:20')));
    expect(early.cadence).toEqual({ windows_due: 1, windows_met: 1, ratio: 1 });
    expect(early.mttr).toMatchObject({ count: 0, missing: 1 });
    // At 10:30 it is past due: 2 due, 1 met.
    const late = computeMetrics(policy, input([open]), period, new Date(T('10:30')));
    expect(late.cadence).toEqual({ windows_due: 2, windows_met: 1, ratio: 0.5 });
  });

  it('finds repeats by shared components or root-cause category within 30 days', () => {
    const incidents = [
      incident('now-api', { started_at: T('10:00'), components: [{ id: 'api' }, { id: 'web' }] }),
      incident('now-db', { started_at: T('11:00'), components: [{ id: 'search' }] }),
      incident('now-new', { started_at: T('12:00'), components: [{ id: 'email' }] }),
      // resolved 10 days before: same component
      incident('was-api', {
        started_at: T('09:00', '13'),
        resolved_at: T('10:00', '13'),
        components: [{ id: 'api' }],
      }),
      // resolved 20 days before: same root-cause category, other component
      incident('was-db', {
        started_at: T('09:00', '03'),
        resolved_at: T('10:00', '03'),
        components: [{ id: 'dashboard' }],
      }),
      // resolved 31 days before: too long ago
      incident('ancient', {
        started_at: T('09:00', '23').replace('-11-', '-10-'),
        resolved_at: T('09:30', '23').replace('-11-', '-10-'),
        components: [{ id: 'email' }],
      }),
      // same component but never resolved: not a repeat of anything
      incident('still-open', { started_at: T('09:00', '20'), components: [{ id: 'email' }] }),
    ];
    const categories = { 'now-db': 'Database capacity', 'was-db': 'database capacity' };
    const metrics = computeMetrics(policy, input(incidents, {}, categories), period, endOfDay);
    expect(metrics.repeats).toEqual([
      {
        incident_id: 'now-api',
        title: 'Incident now-api',
        started_at: T('10:00'),
        repeat_of: [
          {
            incident_id: 'was-api',
            title: 'Incident was-api',
            resolved_at: T('10:00', '13'),
            matched_on: ['components'],
            components: ['api'],
            root_cause_category: null,
          },
        ],
      },
      {
        incident_id: 'now-db',
        title: 'Incident now-db',
        started_at: T('11:00'),
        repeat_of: [
          {
            incident_id: 'was-db',
            title: 'Incident was-db',
            resolved_at: T('10:00', '03'),
            matched_on: ['root_cause_category'],
            components: [],
            root_cause_category: 'database capacity',
          },
        ],
      },
    ]);
  });

  it('leaves private incidents out of cadence adherence but counts them', () => {
    const hidden = incident('private', {
      visibility: 'private',
      severity: 'SEV1',
      updates: [posted(T('10:00'), 'investigating'), posted(T('11:00'), 'identified')],
    });
    const metrics = computeMetrics(policy, input([hidden]), period, endOfDay);
    expect(metrics.incidents.total).toBe(1);
    expect(metrics.cadence).toEqual({ windows_due: 0, windows_met: 0, ratio: null });
  });
});
