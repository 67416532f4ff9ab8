import type { SiteSnapshot } from '../snapshot.ts';
import { formatDuration } from '../../lib/time.ts';
import { incidentsOfComponent } from './indexes.ts';
import { componentUptime, type UptimeDay } from '../uptime.ts';
import { COMPONENT_STATUS_LABEL, COMPONENT_STATUS_TONE, type Tone } from './status.ts';
import type { ComponentStatus, IncidentRecord } from '../../domain/types.ts';

export const UPTIME_DAYS = 90;

/** One-letter bar classes: 90 bars per component add up on a page with 30 components. */
export const TONE_CLASS: Record<Tone, string> = {
  ok: 'o',
  minor: 'd',
  partial: 'p',
  major: 'x',
  maint: 'm',
};

export interface UptimeBar {
  day: string;
  /** null: operational all day (the default bar colour, kept out of the HTML to keep it small). */
  tone: Tone | null;
  /** Only for days with something to say. */
  title: string | null;
}

export interface UptimeView {
  percent: string;
  /** One sentence a screen reader announces instead of 90 bars. */
  summary: string;
  bars: UptimeBar[];
  /** Days with any non-operational time, newest first, for the readable list. */
  notable: Array<{ day: string; label: string; uptime: string }>;
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
const lastByComponent = new Map<string, { key: string; view: UptimeView }>();

function computeUptimeView(snapshot: SiteSnapshot, componentId: string): UptimeView {
  const now = snapshot.now.getTime();
  // ISO-8601 UTC strings compare in time order; no parsing needed to filter the history.
  const windowStart = new Date(now - (UPTIME_DAYS + 2) * 86_400_000).toISOString();
  const nowIso = snapshot.now.toISOString();
  const relevant = incidentsOfComponent(snapshot, componentId).filter(
    (i) => (i.resolved_at === null || i.resolved_at >= windowStart) && i.started_at <= nowIso,
  );
  const key = `${Math.floor(now / 60_000)}|${snapshot.site.timezone}|${relevant.map((i) => `${i.id}:${i.version}`).join(',')}`;
  const last = lastByComponent.get(componentId);
  if (last?.key === key) return last.view;
  const view = buildUptimeView(relevant, componentId, now, snapshot.site.timezone);
  lastByComponent.set(componentId, { key, view });
  return view;
}

function buildUptimeView(
  relevant: IncidentRecord[],
  componentId: string,
  now: number,
  timeZone: string,
): UptimeView {
  const uptime = componentUptime(relevant, componentId, { now, timeZone, days: UPTIME_DAYS });
  const bars = uptime.days.map((day): UptimeBar => {
    const hasEvents = Object.keys(day.minutes).length > 0;
    return {
      day: day.day,
      tone: hasEvents ? COMPONENT_STATUS_TONE[day.worst] : null,
      title: hasEvents ? `${day.day}: ${describeDay(day)}` : null,
    };
  });
  const notable = uptime.days
    .filter((d) => Object.keys(d.minutes).length > 0)
    .reverse()
    .map((d) => ({ day: d.day, label: describeDay(d), uptime: formatPercent(d.uptime) }));
  const percent = formatPercent(uptime.overall);
  return {
    percent,
    summary: `${percent} uptime over the last ${UPTIME_DAYS} days; ${severityCounts(uptime.days)}.`,
    bars,
    notable,
  };
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
