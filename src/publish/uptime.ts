import { applyUpdate, compareTimeline, type IncidentState } from '../domain/incident-state.ts';
import {
  worstComponentStatus,
  type ComponentStatus,
  type IncidentRecord,
  type Update,
} from '../domain/types.ts';
import { addDays, dayKey, startOfDay } from '../lib/time.ts';

/** What uptime needs from an incident: its timeline. */
export interface UptimeIncident {
  updates: ReadonlyArray<Pick<Update, 'seq' | 'status' | 'display_at' | 'components'>>;
}

/**
 * What a component's uptime bars read of an incident: its timeline, and what a day's details show
 * and link (its title, its id). A full record is one; `uptimeRecord` keeps only this much.
 */
export type UptimeRecord = Pick<
  IncidentRecord,
  'id' | 'version' | 'title' | 'started_at' | 'resolved_at'
> &
  UptimeIncident;

/**
 * An incident reduced to what its uptime needs: no messages, no other fields. The publisher keeps
 * thousands of these (every incident of the uptime window), so the few texts they repeat, the
 * statuses and the component ids, are shared: each read from the database was a string of its
 * own, tens of thousands of them at 100,000 incidents.
 */
export function uptimeRecord(incident: IncidentRecord): UptimeRecord {
  return {
    id: incident.id,
    version: incident.version,
    title: incident.title,
    started_at: incident.started_at,
    resolved_at: incident.resolved_at,
    updates: incident.updates.map(({ seq, status, display_at, components }) => ({
      seq,
      status: shared(status),
      display_at,
      components: components.map((change) => ({
        id: shared(change.id),
        old_status: change.old_status === null ? null : shared(change.old_status),
        new_status: shared(change.new_status),
      })),
    })),
  };
}

/** One copy of each status and component id; a history has a few hundred at most. */
const sharedTexts = new Map<string, string>();
const SHARED_KEPT = 10_000;

function shared<T extends string>(text: T): T {
  const kept = sharedTexts.get(text);
  if (kept !== undefined) return kept as T;
  if (sharedTexts.size >= SHARED_KEPT) sharedTexts.clear();
  sharedTexts.set(text, text);
  return text;
}

/** A stretch of time during which one incident gave a component one status. */
export interface StatusInterval {
  start: number;
  end: number;
  status: ComponentStatus;
}

export interface UptimeDay {
  day: string;
  /** 0..1; null when the whole counted part of the day was maintenance. */
  uptime: number | null;
  /** The worst status the component had that day. */
  worst: ComponentStatus;
  /** Minutes spent in each non-operational status (rounded). */
  minutes: Partial<Record<ComponentStatus, number>>;
  /** Set (false) for a day wholly before the component's first record: no data, not uptime. */
  recorded?: false;
}

export interface Uptime {
  days: UptimeDay[];
  /** Over the whole window, 0..1; null when nothing could be counted. */
  overall: number | null;
}

/** SPEC §7 (Statuspage's rule): share of the time that counts as downtime; maintenance is excluded. */
const DOWNTIME_WEIGHT: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 0,
  degraded_performance: 0,
  partial_outage: 0.3,
  major_outage: 1,
};

/**
 * The intervals during which one incident held a component in a status, replaying its updates in
 * timeline order with the same rule that derives the incident's state. The last state runs until
 * `now`. Only the intervals that end after `after` (all by default).
 */
export function incidentIntervals(
  incident: UptimeIncident,
  componentId: string,
  now: number,
  after = -Infinity,
): StatusInterval[] {
  let byComponent = intervalCache.get(incident);
  if (!byComponent) intervalCache.set(incident, (byComponent = new Map()));
  let open = byComponent.get(componentId);
  if (!open) byComponent.set(componentId, (open = openIntervals(incident, componentId)));
  const intervals: StatusInterval[] = [];
  // In timeline order, one after the other: the last ends last.
  if (open.length === 0 || open[open.length - 1]!.end <= after) return intervals;
  for (const { start, end, status } of open) {
    const cut = Math.min(end, now);
    if (cut > start && cut > after) intervals.push({ start, end: cut, status });
  }
  return intervals;
}

/**
 * An incident's intervals per component, before they are cut at `now` (the last one runs on, to
 * infinity): the replay is the same at every `now`, and an incident's record is never changed in
 * place (a change is a new record), so each is replayed once per component, not once per page.
 */
const intervalCache = new WeakMap<UptimeIncident, Map<string, StatusInterval[]>>();

function openIntervals(incident: UptimeIncident, componentId: string): StatusInterval[] {
  const updates = [...incident.updates].sort(compareTimeline);
  const intervals: StatusInterval[] = [];
  let state: IncidentState = {
    status: 'investigating',
    components: [],
    resolved_at: null,
    monitoring_at: null,
  };
  updates.forEach((update, index) => {
    state = applyUpdate(state, update);
    const status = state.components.find((c) => c.id === componentId)?.status;
    const start = Date.parse(update.display_at);
    const next = updates[index + 1];
    const end = next ? Date.parse(next.display_at) : Infinity;
    if (status && status !== 'operational' && end > start) intervals.push({ start, end, status });
  });
  return intervals;
}

/**
 * Uptime of one component per local day over the `days` days ending today, from every incident's
 * intervals. Where incidents overlap, the worst status at each instant counts once.
 */
export function componentUptime(
  incidents: readonly UptimeIncident[],
  componentId: string,
  options: {
    now: number;
    timeZone: string;
    days: number;
    since?: number | undefined;
    /** Scheduled maintenance windows that ran: the component was under maintenance then. */
    maintenance?: ReadonlyArray<{ start: number; end: number }> | undefined;
    /**
     * Measurements of whole past days from an earlier call with the same incidents, maintenance
     * and `since`, by day; filled by this call. A past day's measurement does not move with `now`.
     */
    pastDays?: Map<string, DayMeasure> | undefined;
  },
): Uptime {
  const { now, timeZone } = options;
  const since = options.since ?? -Infinity;
  const window = dayWindow(dayKey(now, timeZone), timeZone, options.days);
  // Where the first day to measure starts: the days before it are kept whole in `pastDays`, and
  // an interval that ends before it counts for none of the others.
  let measureFrom = Infinity;
  for (const { day, start, end } of window) {
    if (end <= since || (end <= now && options.pastDays?.has(day))) continue;
    measureFrom = Math.max(start, since);
    break;
  }
  const intervals: StatusInterval[] = [];
  if (measureFrom !== Infinity)
    for (const incident of incidents)
      for (const interval of incidentIntervals(incident, componentId, now, measureFrom))
        intervals.push(interval);
  for (const window of options.maintenance ?? []) {
    const end = Math.min(window.end, now);
    if (end > window.start)
      intervals.push({ start: window.start, end, status: 'under_maintenance' });
  }
  const days: UptimeDay[] = [];
  let countedTotal = 0;
  let downTotal = 0;
  for (const { day, start, end } of window) {
    if (end <= since) {
      days.push({ day, uptime: null, worst: 'operational', minutes: {}, recorded: false });
      continue;
    }
    const past = end <= now;
    let result = past ? options.pastDays?.get(day) : undefined;
    if (!result) {
      result = measureDay(intervals, Math.max(start, since), Math.min(end, now));
      if (past) options.pastDays?.set(day, result);
    }
    countedTotal += result.counted;
    downTotal += result.down;
    days.push({
      day,
      uptime: result.counted > 0 ? 1 - result.down / result.counted : null,
      worst: result.worst,
      minutes: result.minutes,
    });
  }
  return { days, overall: countedTotal > 0 ? 1 - downTotal / countedTotal : null };
}

interface DayBounds {
  day: string;
  start: number;
  end: number;
}

/** Day boundaries cost time-zone lookups; every component on a page shares the same window. */
const windows = new Map<string, DayBounds[]>();

function dayWindow(today: string, timeZone: string, count: number): DayBounds[] {
  const key = `${today}|${timeZone}|${count}`;
  let window = windows.get(key);
  if (!window) {
    window = [];
    for (let i = count - 1; i >= 0; i--) {
      const day = addDays(today, -i);
      window.push({
        day,
        start: startOfDay(day, timeZone),
        end: startOfDay(addDays(day, 1), timeZone),
      });
    }
    if (windows.size > 16) windows.clear();
    windows.set(key, window);
  }
  return window;
}

export interface DayMeasure {
  counted: number;
  down: number;
  minutes: Partial<Record<ComponentStatus, number>>;
  worst: ComponentStatus;
}

function measureDay(intervals: StatusInterval[], dayStart: number, dayEnd: number): DayMeasure {
  const inside = intervals.filter((i) => i.end > dayStart && i.start < dayEnd);
  const cuts = new Set<number>([dayStart, Math.max(dayStart, dayEnd)]);
  for (const i of inside) {
    cuts.add(Math.max(i.start, dayStart));
    cuts.add(Math.min(i.end, dayEnd));
  }
  const points = [...cuts].sort((a, b) => a - b);
  const ms: Partial<Record<ComponentStatus, number>> = {};
  let counted = 0;
  let down = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const from = points[k]!;
    const to = points[k + 1]!;
    const length = to - from;
    const covering = inside.filter((i) => i.start <= from && i.end >= to).map((i) => i.status);
    const status = worstComponentStatus(covering);
    if (status !== 'operational') ms[status] = (ms[status] ?? 0) + length;
    if (status === 'under_maintenance') continue;
    counted += length;
    down += length * DOWNTIME_WEIGHT[status];
  }
  const minutes = Object.fromEntries(
    Object.entries(ms).map(([status, value]) => [status, Math.round(value / 60_000)]),
  ) as Partial<Record<ComponentStatus, number>>;
  const worst = worstComponentStatus(Object.keys(ms) as ComponentStatus[]);
  return { counted, down, minutes, worst };
}
