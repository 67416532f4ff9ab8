import { describe, expect, it } from 'vitest';
import type { ComponentChange, IncidentStatus } from '../../src/domain/types.ts';
import { componentUptime, incidentIntervals } from '../../src/publish/uptime.ts';

let seq = 0;
function update(display_at: string, status: IncidentStatus, components: ComponentChange[] = []) {
  return { seq: ++seq, status, display_at, components };
}
function change(id: string, new_status: ComponentChange['new_status']): ComponentChange {
  return { id, old_status: null, new_status };
}

const MIN = 60_000;

describe('incident intervals', () => {
  it('hold each status from its update until the next one, and end at resolution', () => {
    const incident = {
      updates: [
        update('2026-03-01T10:00:00Z', 'investigating', [change('api', 'major_outage')]),
        update('2026-03-01T10:30:00Z', 'identified', [change('api', 'partial_outage')]),
        update('2026-03-01T11:00:00Z', 'resolved'),
      ],
    };
    expect(incidentIntervals(incident, 'api', Date.parse('2026-03-02T00:00:00Z'))).toEqual([
      {
        start: Date.parse('2026-03-01T10:00:00Z'),
        end: Date.parse('2026-03-01T10:30:00Z'),
        status: 'major_outage',
      },
      {
        start: Date.parse('2026-03-01T10:30:00Z'),
        end: Date.parse('2026-03-01T11:00:00Z'),
        status: 'partial_outage',
      },
    ]);
  });

  it('runs an open incident until now and replays updates in display order', () => {
    const incident = {
      updates: [
        update('2026-03-01T10:20:00Z', 'identified', [change('api', 'degraded_performance')]),
        update('2026-03-01T10:00:00Z', 'investigating', [change('api', 'major_outage')]),
      ],
    };
    const now = Date.parse('2026-03-01T10:50:00Z');
    expect(
      incidentIntervals(incident, 'api', now).map((i) => [i.status, (i.end - i.start) / MIN]),
    ).toEqual([
      ['major_outage', 20],
      ['degraded_performance', 30],
    ]);
  });
});

describe('component uptime per day', () => {
  it('weights major outage fully, partial outage at 30 % and degraded performance not at all', () => {
    const incident = {
      updates: [
        update('2026-03-01T00:00:00Z', 'investigating', [change('api', 'major_outage')]),
        update('2026-03-01T01:00:00Z', 'identified', [change('api', 'partial_outage')]),
        update('2026-03-01T11:00:00Z', 'monitoring', [change('api', 'degraded_performance')]),
        update('2026-03-01T12:00:00Z', 'resolved'),
      ],
    };
    const result = componentUptime([incident], 'api', {
      now: Date.parse('2026-03-02T00:00:00Z'),
      timeZone: 'UTC',
      days: 2,
    });
    const day = result.days.find((d) => d.day === '2026-03-01')!;
    // 60 min × 100 % + 600 min × 30 % = 240 min of 1440
    expect(day.uptime).toBeCloseTo(1 - 240 / 1440, 10);
    expect(day.worst).toBe('major_outage');
    expect(day.minutes).toEqual({
      major_outage: 60,
      partial_outage: 600,
      degraded_performance: 60,
    });
  });

  it('splits an outage across midnight in the site time zone, not in UTC', () => {
    // 22:00–02:00 in Berlin (UTC+1 in March) is 21:00–01:00 UTC.
    const incident = {
      updates: [
        update('2026-03-10T21:00:00Z', 'investigating', [change('api', 'major_outage')]),
        update('2026-03-11T01:00:00Z', 'resolved'),
      ],
    };
    const now = Date.parse('2026-03-12T12:00:00Z');
    const berlin = componentUptime([incident], 'api', { now, timeZone: 'Europe/Berlin', days: 3 });
    expect(berlin.days.map((d) => [d.day, d.minutes.major_outage ?? 0])).toEqual([
      ['2026-03-10', 120],
      ['2026-03-11', 120],
      ['2026-03-12', 0],
    ]);
    const utc = componentUptime([incident], 'api', { now, timeZone: 'UTC', days: 3 });
    expect(utc.days.map((d) => d.minutes.major_outage ?? 0)).toEqual([180, 60, 0]);
  });

  it('counts overlapping incidents once, at the worst status at each instant', () => {
    const a = {
      updates: [
        update('2026-03-01T10:00:00Z', 'investigating', [change('api', 'partial_outage')]),
        update('2026-03-01T12:00:00Z', 'resolved'),
      ],
    };
    const b = {
      updates: [
        update('2026-03-01T11:00:00Z', 'investigating', [change('api', 'major_outage')]),
        update('2026-03-01T11:30:00Z', 'resolved'),
      ],
    };
    const result = componentUptime([a, b], 'api', {
      now: Date.parse('2026-03-02T00:00:00Z'),
      timeZone: 'UTC',
      days: 1 + 1,
    });
    const day = result.days[0]!;
    expect(day.minutes).toEqual({ partial_outage: 90, major_outage: 30 });
    expect(day.uptime).toBeCloseTo(1 - (90 * 0.3 + 30) / 1440, 10);
  });

  it('excludes maintenance from the measured time', () => {
    const incident = {
      updates: [
        update('2026-03-01T00:00:00Z', 'investigating', [change('api', 'under_maintenance')]),
        update('2026-03-01T12:00:00Z', 'identified', [change('api', 'major_outage')]),
        update('2026-03-01T18:00:00Z', 'resolved'),
      ],
    };
    const result = componentUptime([incident], 'api', {
      now: Date.parse('2026-03-02T00:00:00Z'),
      timeZone: 'UTC',
      days: 2,
    });
    // 6 h down out of the 12 h that were not maintenance
    expect(result.days[0]!.uptime).toBeCloseTo(0.5, 10);
  });

  it('leaves scheduled maintenance windows out of the measured time, and an incident during one still counts', () => {
    const incident = {
      updates: [
        update('2026-03-01T02:00:00Z', 'investigating', [change('api', 'major_outage')]),
        update('2026-03-01T04:00:00Z', 'resolved'),
      ],
    };
    const result = componentUptime([incident], 'api', {
      now: Date.parse('2026-03-02T00:00:00Z'),
      timeZone: 'UTC',
      days: 2,
      maintenance: [
        { start: Date.parse('2026-03-01T00:00:00Z'), end: Date.parse('2026-03-01T03:00:00Z') },
        { start: Date.parse('2026-03-01T20:00:00Z'), end: Date.parse('2026-03-01T22:00:00Z') },
      ],
    });
    const day = result.days[0]!;
    // Maintenance 00:00-02:00 and 20:00-22:00 (4 h) is not measured; 02:00-04:00 the outage is
    // worse than the maintenance it overlaps, so it counts: 2 h down out of 20 h measured.
    expect(day.minutes).toEqual({ under_maintenance: 240, major_outage: 120 });
    expect(day.worst).toBe('major_outage');
    expect(day.uptime).toBeCloseTo(1 - 2 / 20, 10);
    const quiet = componentUptime([], 'api', {
      now: Date.parse('2026-03-02T00:00:00Z'),
      timeZone: 'UTC',
      days: 2,
      maintenance: [
        { start: Date.parse('2026-03-01T00:00:00Z'), end: Date.parse('2026-03-01T06:00:00Z') },
      ],
    });
    expect(quiet.days[0]).toMatchObject({ uptime: 1, worst: 'under_maintenance' });
  });

  it('ignores other components and measures today only up to now', () => {
    const incident = {
      updates: [
        update('2026-03-05T06:00:00Z', 'investigating', [change('checkout', 'major_outage')]),
      ],
    };
    const result = componentUptime([incident], 'api', {
      now: Date.parse('2026-03-05T12:00:00Z'),
      timeZone: 'UTC',
      days: 90,
    });
    expect(result.days).toHaveLength(90);
    expect(result.days.at(-1)!.day).toBe('2026-03-05');
    expect(result.overall).toBe(1);
    const checkout = componentUptime([incident], 'checkout', {
      now: Date.parse('2026-03-05T12:00:00Z'),
      timeZone: 'UTC',
      days: 1,
    });
    expect(checkout.days[0]!.uptime).toBeCloseTo(0.5, 10);
  });
});

describe('days before the first record', () => {
  it('show no data and are left out of the uptime', () => {
    const incident = {
      updates: [
        update('2026-03-10T10:00:00Z', 'investigating', [change('api', 'major_outage')]),
        update('2026-03-10T10:36:00Z', 'resolved'),
      ],
    };
    const uptime = componentUptime([incident], 'api', {
      now: Date.parse('2026-03-10T12:00:00Z'),
      timeZone: 'UTC',
      days: 5,
      // First seen at 09:00 on 9 March: the 6th to the 8th have no data.
      since: Date.parse('2026-03-09T09:00:00Z'),
    });
    expect(uptime.days.map((d) => [d.day, d.recorded])).toEqual([
      ['2026-03-06', false],
      ['2026-03-07', false],
      ['2026-03-08', false],
      ['2026-03-09', undefined],
      ['2026-03-10', undefined],
    ]);
    expect(uptime.days[0]).toMatchObject({ uptime: null, minutes: {} });
    // Counted: 9 March from 09:00 (15 h) and 10 March until 12:00 (12 h); down 36 min.
    expect(uptime.overall).toBeCloseTo(1 - 36 / (27 * 60), 10);
  });
});

describe('past days kept between calls', () => {
  it('give the same uptime as measuring every day again, minute after minute and day after day', () => {
    const incidents = [
      {
        updates: [
          update('2026-03-08T22:00:00Z', 'investigating', [change('api', 'major_outage')]),
          update('2026-03-09T01:30:00Z', 'identified', [change('api', 'partial_outage')]),
          update('2026-03-09T03:00:00Z', 'resolved'),
        ],
      },
      // Open: runs on until now, so today moves with the clock; its first status ended days ago.
      {
        updates: [
          update('2026-03-09T20:00:00Z', 'investigating', [change('api', 'degraded_performance')]),
          update('2026-03-10T11:00:00Z', 'identified', [change('api', 'major_outage')]),
        ],
      },
    ];
    const pastDays = new Map();
    const start = Date.parse('2026-03-10T11:58:00Z');
    // Every 7 minutes for a day and a half, across midnight in the site's zone.
    for (let now = start; now < start + 36 * 3_600_000; now += 7 * 60_000) {
      const options = { now, timeZone: 'Europe/Berlin', days: 7 };
      const kept = componentUptime(incidents, 'api', { ...options, pastDays });
      expect(kept, new Date(now).toISOString()).toEqual(componentUptime(incidents, 'api', options));
    }
    expect(pastDays.size).toBeGreaterThan(6);
  });
});
