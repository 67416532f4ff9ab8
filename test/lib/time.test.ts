import { describe, expect, it } from 'vitest';
import { dayKey, formatClockInZone, startOfDay } from '../../src/lib/time.ts';

/** The zone's local date and clock straight from Intl, the reference the cached offsets must match. */
function reference(ms: number, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return f.format(new Date(ms)).replace(',', '');
}

/** The same, as Herald computes it. */
function local(ms: number, timeZone: string): string {
  const clock = formatClockInZone(new Date(ms).toISOString(), timeZone).slice(0, 5);
  return `${dayKey(ms, timeZone)} ${clock}`;
}

describe('local dates and clocks', () => {
  // DST in both hemispheres, half- and quarter-hour offsets, a 30-minute DST shift, no DST.
  const zones = [
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'America/St_Johns',
    'Australia/Lord_Howe',
    'Asia/Kathmandu',
    'Asia/Kolkata',
    'Pacific/Chatham',
    'America/Sao_Paulo',
  ];

  it('match Intl at 20,000 seeded instants from 1970 to 2040, and around each DST change', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const end = Date.parse('2040-01-01T00:00:00Z');
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor(random() * end);
      const zone = zones[i % zones.length]!;
      expect(local(ms, zone), `${zone} ${new Date(ms).toISOString()}`).toBe(reference(ms, zone));
    }
    // Every minute across a day with a change, in zones whose changes come at odd UTC times.
    for (const [zone, day] of [
      ['Europe/Berlin', '2026-03-29'],
      ['Europe/Berlin', '2026-10-25'],
      ['Australia/Lord_Howe', '2026-04-05'],
      ['America/St_Johns', '2026-11-01'],
      ['Pacific/Chatham', '2026-09-27'],
      // Newfoundland changed at 00:01 local until 2011: inside a quarter hour.
      ['America/St_Johns', '2009-11-01'],
    ] as const) {
      const start = startOfDay(day, zone);
      for (let ms = start - 3_600_000; ms < start + 30 * 3_600_000; ms += 60_000)
        expect(local(ms, zone), `${zone} ${new Date(ms).toISOString()}`).toBe(reference(ms, zone));
    }
  });

  it('still match Intl after the offset cache has filled and been emptied, in two zones at once', () => {
    // 70,000 distinct quarter hours (the cache keeps 50,000 before it starts over), alternating
    // between two zones, every one checked.
    const start = Date.parse('2019-01-01T00:07:00Z');
    const wrong: string[] = [];
    for (let i = 0; i < 70_000; i++) {
      const ms = start + i * 900_000;
      const zone = i % 2 === 0 ? 'Europe/Berlin' : 'America/St_Johns';
      const [got, want] = [local(ms, zone), reference(ms, zone)];
      if (got !== want) wrong.push(`${zone} ${new Date(ms).toISOString()}: ${got}, not ${want}`);
    }
    expect(wrong).toEqual([]);
  });
});
