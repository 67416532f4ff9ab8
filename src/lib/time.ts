/**
 * Times for people, in one place: the site, the feeds and the notices all write them from here.
 *
 * Calendar arithmetic in the site's time zone. Days and months are named by their local date
 * (`2026-11-23`, `2026-11`), and turned back into UTC instants here, so DST changes are handled in
 * one place.
 */

const DAY_MS = 86_400_000;

const dateFormats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(timeZone: string): Intl.DateTimeFormat {
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    dateFormats.set(timeZone, format);
  }
  return format;
}

/** The zone's wall-clock fields at `ms`, from Intl (slow: a few microseconds a call). */
function intlParts(ms: number, timeZone: string): Record<string, number> {
  const parts: Record<string, number> = {};
  for (const part of dateFormat(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return parts;
}

/**
 * A zone's offset holds for most quarter hours whole: it is asked of Intl at both ends of the
 * quarter, and kept when they agree (no zone changes offset twice within 15 minutes). A quarter
 * with a change inside (Newfoundland changed at 00:01 local until 2011) is marked, and its
 * instants go to Intl one by one. Each zone's quarters are keyed by their number since the epoch,
 * a small integer, and hold the offset as one: the cache is two flat numbers an entry for the
 * garbage collector, where a text key (`UTC 1714340700000`) was a string apiece (56,000 of the
 * server's heap objects at 100,000 incidents).
 */
const QUARTER_HOUR_MS = 900_000;
const offsets = new Map<string, Map<number, number>>();
let offsetsKept = 0;
const OFFSETS_KEPT = 50_000;

function cachedOffset(ms: number, timeZone: string): number {
  const quarter = Math.floor(ms / QUARTER_HOUR_MS);
  let zone = offsets.get(timeZone);
  if (zone === undefined) offsets.set(timeZone, (zone = new Map()));
  let offset = zone.get(quarter);
  if (offset === undefined) {
    const start = quarter * QUARTER_HOUR_MS;
    offset = offsetAt(start, timeZone);
    if (offsetAt(start + QUARTER_HOUR_MS - 1000, timeZone) !== offset) offset = NaN;
    if (offsetsKept >= OFFSETS_KEPT) {
      for (const kept of offsets.values()) kept.clear();
      offsetsKept = 0;
    }
    zone.set(quarter, offset);
    offsetsKept++;
  }
  return offset;
}

function localParts(ms: number, timeZone: string): Record<string, number> {
  const offset = cachedOffset(ms, timeZone);
  if (Number.isNaN(offset)) return intlParts(ms, timeZone);
  const local = new Date(ms + offset);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
  };
}

/** The local calendar day (`YYYY-MM-DD`) of an instant. */
export function dayKey(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return `${p.year}-${pad(p.month!)}-${pad(p.day!)}`;
}

/** The local calendar month (`YYYY-MM`) of an instant. */
export function monthKey(ms: number, timeZone: string): string {
  return dayKey(ms, timeZone).slice(0, 7);
}

/** How far local wall-clock time is ahead of UTC at this instant, in ms. */
function offsetAt(ms: number, timeZone: string): number {
  const p = intlParts(ms, timeZone);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The UTC instant at which a local day starts (local midnight). */
export function startOfDay(day: string, timeZone: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  // Two passes settle the offset even when midnight is close to a DST change.
  let guess = wall - offsetAt(wall, timeZone);
  guess = wall - offsetAt(guess, timeZone);
  return guess;
}

/** The day `n` days after `day` (negative goes back). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) + n * DAY_MS).toISOString().slice(0, 10);
}

/** The month `n` months after `month` (negative goes back). */
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + n;
  return `${Math.floor(index / 12)}-${pad((index % 12) + 1)}`;
}

/** Whole months from `earlier` to `later` (both `YYYY-MM`). */
export function monthsBetween(earlier: string, later: string): number {
  const [y1, m1] = earlier.split('-').map(Number) as [number, number];
  const [y2, m2] = later.split('-').map(Number) as [number, number];
  return (y2 - y1) * 12 + (m2 - m1);
}

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

export function monthName(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return `${MONTH_NAMES[m - 1]} ${y}`;
}

/** `2026-11-23` → `23 Nov 2026`: a local day as people read it. */
export function formatDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return `${d} ${MONTH_NAMES[m - 1]!.slice(0, 3)} ${y}`;
}

/** `23 Nov 2026, 14:05 UTC`: how times read in the HTML (the `datetime` attribute is ISO). */
export function formatUtc(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCDate()} ${MONTH_NAMES[d.getUTCMonth()]!.slice(0, 3)} ${d.getUTCFullYear()}, ${formatClockUtc(iso)}`;
}

/** `14:05 UTC`. */
export function formatClockUtc(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** `2026-11-23T10:15:00Z` → `10:15 UTC`, how the status page and the notices write due times. */
export function utcClock(iso: string | null): string | null {
  return iso ? formatClockUtc(iso) : null;
}

/** `2026-11-23T10:15:00Z` → `2026-11-23 10:15 UTC`. */
export function utcDateTime(iso: string | null): string | null {
  return iso ? `${new Date(iso).toISOString().slice(0, 10)} ${formatClockUtc(iso)}` : null;
}

/** 250 seconds → `4m 10s`: how long an update is overdue, for people. */
export function humanSeconds(seconds: number): string {
  const parts: string[] = [];
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s || parts.length === 0) parts.push(`${s}s`);
  return parts.join(' ');
}

/** `2 h 5 min`, `45 min`, `3 d 4 h`: durations a reader takes in at a glance. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 1) return 'under a minute';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return mins > 0 ? `${hours} h ${mins} min` : `${hours} h`;
  return `${mins} min`;
}

const zoneNames = new Map<string, Intl.DateTimeFormat>();

/**
 * The zone's short name at an instant: `UTC`, `CET`, `EST`, or `GMT+9` where English has no
 * abbreviation. US English names American zones, British English the European ones.
 */
export function zoneName(iso: string, timeZone: string): string {
  const name = (locale: string) => {
    const key = `${locale}|${timeZone}`;
    let format = zoneNames.get(key);
    if (!format) {
      format = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' });
      zoneNames.set(key, format);
    }
    return format.formatToParts(new Date(iso)).find((p) => p.type === 'timeZoneName')?.value;
  };
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 'UTC';
  const us = name('en-US');
  return us && !us.startsWith('GMT') ? us : (name('en-GB') ?? timeZone);
}

/** `23 Nov 2026, 15:05 CET`: a time in the site's zone, zone named (SPEC §7). */
export function formatInZone(iso: string, timeZone: string): string {
  const p = localParts(Date.parse(iso), timeZone);
  return `${formatDay(`${p.year}-${pad(p.month!)}-${pad(p.day!)}`)}, ${formatClockInZone(iso, timeZone)}`;
}

/** `15:05 CET`. */
export function formatClockInZone(iso: string, timeZone: string): string {
  const p = localParts(Date.parse(iso), timeZone);
  return `${pad(p.hour!)}:${pad(p.minute!)} ${zoneName(iso, timeZone)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
