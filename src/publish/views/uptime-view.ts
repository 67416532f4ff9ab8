import type { SiteSnapshot } from '../snapshot.ts';
import { dayKey, formatDay, formatDuration } from '../../lib/time.ts';
import { cleanText } from '../text.ts';
import { incidentDays, incidentsOfComponent, oldestStartOfComponent } from './indexes.ts';
import {
  componentUptime,
  type DayMeasure,
  type Uptime,
  type UptimeDay,
  type UptimeRecord,
} from '../uptime.ts';
import { COMPONENT_STATUS_LABEL, COMPONENT_STATUS_TONE, type Tone } from './status.ts';
import type { ComponentStatus } from '../../domain/types.ts';
import { maintenanceInterval } from '../../domain/maintenances/lifecycle.ts';

export const UPTIME_DAYS = 90;

/** One-letter bar classes: 90 bars per component add up on a page with 30 components. */
export const TONE_CLASS: Record<Tone, string> = {
  ok: 'o',
  minor: 'd',
  partial: 'p',
  major: 'x',
  maint: 'm',
};

/** The bar class of a day before the component's first record. */
export const NO_DATA_CLASS = 'n';

/**
 * On the status page a bar is an empty element whose tag names its day's tone (`<s></s>` is 10
 * bytes shorter than `<i class="d"></i>`): with 30 components in a busy quarter a third of the
 * 2,700 bars carry a tone, and the index has to stay under 60 KB. Inside the row's `role="img"`
 * the tags mean nothing to assistive technology; the row's label says it all.
 */
export const TONE_TAG: Record<Tone, string> = {
  ok: 'i',
  minor: 's',
  partial: 'u',
  major: 'q',
  maint: 'em',
};

/** The bar tag of a day before the component's first record. */
export const NO_DATA_TAG = 'b';

export interface UptimeBar {
  day: string;
  /** null: operational all day (the default bar colour, kept out of the HTML to keep it small). */
  tone: Tone | null;
  /** A day before the component's first record: grey, not counted. */
  noData: boolean;
}

/** One day's details, on the component page under the anchor `#day-YYYY-MM-DD`. */
export interface UptimeDayView {
  day: string;
  label: string;
  /** Something happened (shown without being targeted). */
  notable: boolean;
  /** `Major outage 25 min, partial outage 10 min`, `No downtime recorded` or the no-data note. */
  summary: string;
  uptime: string;
  incidents: Array<{ href: string; title: string }>;
}

export interface UptimeView {
  percent: string;
  /** One sentence a screen reader announces instead of 90 bars. */
  summary: string;
  bars: UptimeBar[];
  /** The first day of the window (`YYYY-MM-DD`, site zone): the script dates each bar from it. */
  start: string;
  /** Every day of the window, newest first: the per-day anchors. */
  days: UptimeDayView[];
}

export function formatPercent(ratio: number | null): string {
  if (ratio === null) return 'n/a';
  // Never round a day with downtime up to a flat 100 %.
  const percent = Math.floor(ratio * 10_000) / 100;
  return `${percent.toFixed(2)} %`;
}

function describeDay(day: UptimeDay): string {
  const parts = (Object.entries(day.minutes) as Array<[ComponentStatus, number]>)
    .sort((a, b) => b[1] - a[1])
    .map(
      ([status, minutes]) =>
        `${COMPONENT_STATUS_LABEL[status].toLowerCase()} ${formatDuration(minutes * 60_000)}`,
    );
  return parts.join(', ');
}

/** The index and a component page often render from one snapshot: compute each component once. */
const memo = new WeakMap<SiteSnapshot, Map<string, UptimeView>>();

export function uptimeView(snapshot: SiteSnapshot, componentId: string): UptimeView {
  let views = memo.get(snapshot);
  if (!views) memo.set(snapshot, (views = new Map()));
  let view = views.get(componentId);
  if (!view) views.set(componentId, (view = computeUptimeView(snapshot, componentId)));
  return view;
}

/**
 * Across snapshots: a component whose incidents did not change keeps its uptime within the same
 * minute, so a burst of updates to one incident recomputes only the components it touches.
 */
const lastByComponent = new Map<
  string,
  {
    key: string;
    /** The key without the minute: while it and the incidents hold, past days are reused. */
    stable: string;
    /**
     * The list the incidents were read from. The publisher's lists are never changed in place (a
     * change makes a new list), so the same list with the same key is the same view, with no pass
     * over its incidents, until `validUntil`.
     */
    source: readonly UptimeRecord[];
    /** When an incident of `source` starts or leaves the window: the filter would answer anew. */
    validUntil: number;
    incidents: KeptIncident[];
    view: UptimeView;
    pastDays: Map<string, DayMeasure>;
    /** The day links, for the same incidents over the same window (`linksKey`). */
    links: DayLinks;
    linksKey: string;
  }
>();

type DayLinks = Map<string, Array<{ href: string; title: string }>>;

/** What the cache keeps of an incident: which version it measured, and from when it counts. */
interface KeptIncident {
  id: string;
  version: number;
  /** The earliest instant its timeline can touch: its start or its earliest update. */
  from: number;
}

/** Kept per record: a record is never changed in place (a change is a new record). */
const keptOf = new WeakMap<UptimeRecord, KeptIncident>();

function keep(incident: UptimeRecord): KeptIncident {
  let kept = keptOf.get(incident);
  if (!kept) {
    let from = Date.parse(incident.started_at);
    for (const update of incident.updates) from = Math.min(from, Date.parse(update.display_at));
    kept = { id: incident.id, version: incident.version, from };
    keptOf.set(incident, kept);
  }
  return kept;
}

/**
 * The earliest instant at which the incidents that came, went or changed version between two
 * lists can count: the days before it measure the same. Infinity when only the order moved.
 */
function earliestChange(before: readonly KeptIncident[], after: readonly UptimeRecord[]): number {
  const earlier = new Map(before.map((kept) => [kept.id, kept]));
  let from = Infinity;
  for (const incident of after) {
    const kept = earlier.get(incident.id);
    earlier.delete(incident.id);
    if (kept?.version === incident.version) continue;
    from = Math.min(from, keep(incident).from, kept?.from ?? Infinity);
  }
  for (const gone of earlier.values()) from = Math.min(from, gone.from);
  return from;
}

/** The same incidents, each at the same version, in the same order (no key text built). */
function sameIncidents(
  a: ReadonlyArray<{ id: string; version: number }>,
  b: ReadonlyArray<{ id: string; version: number }>,
): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (a[i]!.id !== b[i]!.id || a[i]!.version !== b[i]!.version) return false;
  return true;
}

function computeUptimeView(snapshot: SiteSnapshot, componentId: string): UptimeView {
  const now = snapshot.now.getTime();
  const timeZone = snapshot.site.timezone;
  const source = uptimeIncidentsOf(snapshot, componentId);
  const since = firstRecord(snapshot, componentId);
  const maintenance = (snapshot.maintenances ?? [])
    .filter((m) => m.components.includes(componentId))
    .map((m) => ({ m, window: maintenanceInterval(m, now) }))
    .filter((x) => x.window !== null);
  const stable = `${timeZone}|${since}|${maintenance.map((x) => `${x.m.id}:${x.m.version}`).join(',')}`;
  const key = `${Math.floor(now / 60_000)}|${stable}`;
  const last = lastByComponent.get(componentId);
  // Most components of a publish: nothing of theirs changed since the last one, this minute.
  if (last?.source === source && last.key === key && now < last.validUntil) return last.view;
  const { relevant, validUntil } = inWindow(source, now);
  const same = last !== undefined && sameIncidents(last.incidents, relevant);
  if (same && last.key === key) {
    lastByComponent.set(componentId, { ...last, source, validUntil });
    return last.view;
  }
  // A new minute with the same incidents measures today again and reuses the days before it; a
  // changed incident (an update to an open one, most often) measures again only the days from the
  // earliest instant a changed incident touches, before or after its change.
  let pastDays = new Map<string, DayMeasure>();
  if (last !== undefined && last.stable === stable) {
    pastDays = last.pastDays;
    if (!same) {
      const from = earliestChange(last.incidents, relevant);
      if (from !== Infinity) {
        const cut = dayKey(from, timeZone);
        for (const day of pastDays.keys()) if (day >= cut) pastDays.delete(day);
      }
    }
  }
  const uptime = componentUptime(relevant, componentId, {
    now,
    timeZone,
    days: UPTIME_DAYS,
    since,
    maintenance: maintenance.map((x) => x.window!),
    pastDays,
  });
  if (pastDays.size > UPTIME_DAYS + 2) pastDays.clear(); // days that left the window
  // The day links hold while the incidents and the window's days do.
  const linksKey = `${uptime.days[0]!.day}|${uptime.days.at(-1)!.day}|${timeZone}`;
  const links =
    same && last.linksKey === linksKey
      ? last.links
      : incidentsByDay(relevant, uptime.days, now, timeZone);
  const view = buildUptimeView(uptime, links);
  const incidents = same ? last.incidents : relevant.map(keep);
  lastByComponent.set(componentId, {
    key,
    stable,
    source,
    validUntil,
    incidents,
    view,
    pastDays,
    links,
    linksKey,
  });
  return view;
}

/** The span the uptime counts from, with a margin for days longer than 24 hours. */
const WINDOW_MS = (UPTIME_DAYS + 2) * 86_400_000;

/**
 * The incidents of `source` that count at `now`: started, and not resolved before the window.
 * `validUntil`: the first instant at which that answer changes (an incident starts or leaves).
 */
function inWindow(
  source: readonly UptimeRecord[],
  now: number,
): { relevant: UptimeRecord[]; validUntil: number } {
  // ISO-8601 UTC strings compare in time order; no parsing needed to filter the history.
  const windowStart = new Date(now - WINDOW_MS).toISOString();
  const nowIso = new Date(now).toISOString();
  const relevant: UptimeRecord[] = [];
  let validUntil = Infinity;
  for (const incident of source) {
    if (incident.started_at > nowIso) {
      validUntil = Math.min(validUntil, Date.parse(incident.started_at));
      continue;
    }
    if (incident.resolved_at !== null) {
      if (incident.resolved_at < windowStart) continue;
      validUntil = Math.min(validUntil, Date.parse(incident.resolved_at) + WINDOW_MS + 1);
    }
    relevant.push(incident);
  }
  return { relevant, validUntil };
}

const NONE: readonly UptimeRecord[] = [];

/** The incidents a component's uptime reads from (`SiteSnapshot.uptimeIncidentsByComponent`). */
function uptimeIncidentsOf(snapshot: SiteSnapshot, componentId: string): readonly UptimeRecord[] {
  const lists = snapshot.uptimeIncidentsByComponent;
  return lists ? (lists.get(componentId) ?? NONE) : incidentsOfComponent(snapshot, componentId);
}

/**
 * When the site's record of a component begins: when this installation first saw it, or its
 * oldest incident if that is earlier (an imported history). Undefined when unknown: no cut-off.
 */
function firstRecord(snapshot: SiteSnapshot, componentId: string): number | undefined {
  const seen = snapshot.firstSeen?.get(componentId);
  if (seen === undefined) return undefined;
  const oldest = oldestStartOfComponent(snapshot, componentId);
  return Math.min(Date.parse(seen), oldest ? Date.parse(oldest) : Infinity);
}

/** An incident's link in a day's details, per record. */
const linkOf = new WeakMap<UptimeRecord, { href: string; title: string }>();

/** The incidents open at any time of each day of the window (`days`), newest first. */
function incidentsByDay(
  relevant: UptimeRecord[],
  days: ReadonlyArray<{ day: string }>,
  now: number,
  timeZone: string,
): DayLinks {
  const first = days[0]!.day;
  const today = dayKey(now, timeZone);
  const position = new Map(days.map(({ day }, i) => [day, i]));
  const byDay: DayLinks = new Map();
  for (const incident of relevant) {
    const { start, resolved } = incidentDays(incident, timeZone);
    const last = resolved !== null && Date.parse(incident.resolved_at!) <= now ? resolved : today;
    if (last < first) continue;
    const from = start < first ? 0 : position.get(start);
    if (from === undefined) continue; // starts after today
    const to = position.get(last) ?? days.length - 1;
    let link = linkOf.get(incident);
    if (!link) {
      link = { href: `/incidents/${incident.id}/`, title: cleanText(incident.title) };
      linkOf.set(incident, link);
    }
    for (let i = from; i <= to; i++) {
      const day = days[i]!.day;
      const list = byDay.get(day);
      if (list) list.push(link);
      else byDay.set(day, [link]);
    }
  }
  return byDay;
}

function buildUptimeView(uptime: Uptime, links: DayLinks): UptimeView {
  const bars = uptime.days.map((day): UptimeBar => {
    const hasEvents = Object.keys(day.minutes).length > 0;
    return {
      day: day.day,
      tone: hasEvents ? COMPONENT_STATUS_TONE[day.worst] : null,
      noData: day.recorded === false,
    };
  });
  const start = uptime.days[0]!.day;
  const days = [...uptime.days].reverse().map((d): UptimeDayView => {
    const hasEvents = Object.keys(d.minutes).length > 0;
    const incidents = links.get(d.day) ?? [];
    return {
      day: d.day,
      label: formatDay(d.day),
      notable: hasEvents || incidents.length > 0,
      summary:
        d.recorded === false
          ? 'No data: before this component was first recorded.'
          : hasEvents
            ? capitalise(describeDay(d))
            : 'No downtime recorded.',
      uptime: formatPercent(d.uptime),
      incidents,
    };
  });
  const percent = formatPercent(uptime.overall);
  return {
    percent,
    summary: `${percent} uptime over the last ${UPTIME_DAYS} days; ${severityCounts(uptime.days)}${noDataNote(uptime.days)}.`,
    bars,
    start,
    days,
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function noDataNote(days: UptimeDay[]): string {
  const missing = days.filter((d) => d.recorded === false).length;
  return missing > 0 ? `; no data for the first ${missing} ${missing === 1 ? 'day' : 'days'}` : '';
}

const WORST_FIRST: ComponentStatus[] = [
  'major_outage',
  'partial_outage',
  'degraded_performance',
  'under_maintenance',
];

/** `major outage on 2 days, degraded performance on 1 day`: what the bars' colours say, in words. */
function severityCounts(days: UptimeDay[]): string {
  const counts = new Map<ComponentStatus, number>();
  for (const day of days)
    if (Object.keys(day.minutes).length > 0)
      counts.set(day.worst, (counts.get(day.worst) ?? 0) + 1);
  const parts = WORST_FIRST.filter((s) => counts.has(s)).map((s) => {
    const n = counts.get(s)!;
    return `${COMPONENT_STATUS_LABEL[s].toLowerCase()} on ${n} ${n === 1 ? 'day' : 'days'}`;
  });
  return parts.length > 0 ? parts.join(', ') : 'no incidents';
}
