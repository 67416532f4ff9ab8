import type { IncidentRecord } from '../domain/types.ts';
import { FEED_ITEMS } from './feed.ts';
import { touchedComponents } from './routes.ts';
import { minuteOf, type IncidentSummary } from './snapshot.ts';
import { RECENT_INCIDENTS } from './statuspage.ts';
import { COMPONENT_INCIDENTS } from './views/component-view.ts';
import { PAST_DAYS } from './views/index-view.ts';
import { UPTIME_DAYS } from './views/uptime-view.ts';

export function summarise(incident: IncidentRecord): IncidentSummary {
  return {
    id: incident.id,
    started_at: incident.started_at,
    resolved_minute: incident.resolved_at === null ? null : minuteOf(incident.resolved_at),
    status: incident.status,
    version: incident.version,
    touched: sharedList(touchedComponents(incident)),
    latest_minute: newestMinute(incident),
    postmortem_at: incident.postmortem?.published_at ?? null,
  };
}

/** The newest update's `display_at` (the feeds' order), to the minute; null without updates. */
function newestMinute(incident: IncidentRecord): number | null {
  let newest: string | null = null;
  for (const update of incident.updates)
    if (newest === null || update.display_at > newest) newest = update.display_at;
  return newest === null ? null : minuteOf(newest);
}

/**
 * One frozen list per distinct set of touched components, shared by every summary that touched
 * that set: a history touches a few hundred combinations of its components, each summary held its
 * own list and its own copies of the ids (about 150 bytes of a summary's 410, at 100,000 incidents
 * 15 MiB of the server's heap).
 */
const touchedLists = new Map<string, readonly string[]>();

function sharedList(ids: readonly string[]): readonly string[] {
  const key = ids.join('\n');
  let list = touchedLists.get(key);
  if (!list) {
    list = Object.freeze([...ids]);
    touchedLists.set(key, list);
  }
  return list;
}

/**
 * Keeps the `limit` greatest keys seen, each with its id, and every key equal to the least of
 * them (a key to the minute stands for any time within it: a tie may be the greater one). Most
 * offers fall below the cut.
 */
class TopIds<K extends string | number> {
  private readonly top: Array<{ key: K; id: string }> = [];
  constructor(private readonly limit: number) {}
  offer(key: K | null, id: string): void {
    if (key === null) return;
    const top = this.top;
    if (top.length >= this.limit && key < top[this.limit - 1]!.key) return;
    let at = top.length;
    while (at > 0 && key > top[at - 1]!.key) at--;
    top.splice(at, 0, { key, id });
    // Past the limit, only ties of the least kept key stay.
    while (top.length > this.limit && top[top.length - 1]!.key < top[this.limit - 1]!.key)
      top.pop();
  }
  addTo(ids: Set<string>): void {
    for (const { id } of this.top) ids.add(id);
  }
}

/**
 * The incidents whose full records the site-wide and component routes read (the index, the
 * component pages, the feeds, the Statuspage JSON, the badge). Each route looks only at some of
 * the newest, the open, or those of the last `PAST_DAYS`, so a view computed over these gives
 * the same answer as over the whole history (the uptime bars read further back, but only
 * timelines: `uptimeIncidentIds`):
 * - open incidents, and those started or resolved within the last `PAST_DAYS` (past days,
 *   recently resolved, active incidents);
 * - the `RECENT_INCIDENTS` newest started (`incidents.json`);
 * - per component, its `COMPONENT_INCIDENTS` newest started (the component page);
 * - site-wide and per component, the `FEED_ITEMS` with the newest update and the newest
 *   postmortems (the feeds).
 */
export function hotIncidentIds(
  history: readonly IncidentSummary[],
  now: Date,
  componentIds: readonly string[],
): Set<string> {
  const ids = new Set<string>();
  const { window, windowMinute } = windowFrom(now, PAST_DAYS);
  const siteUpdates = new TopIds<number>(FEED_ITEMS);
  const sitePostmortems = new TopIds<string>(FEED_ITEMS);
  const perComponent = new Map(
    componentIds.map((id) => [
      id,
      {
        started: 0,
        updates: new TopIds<number>(FEED_ITEMS),
        postmortems: new TopIds<string>(FEED_ITEMS),
      },
    ]),
  );
  history.forEach((incident, index) => {
    if (index < RECENT_INCIDENTS || inWindow(incident, window, windowMinute)) ids.add(incident.id);
    siteUpdates.offer(incident.latest_minute, incident.id);
    sitePostmortems.offer(incident.postmortem_at, incident.id);
    for (const component of incident.touched) {
      const top = perComponent.get(component);
      if (!top) continue;
      // History is newest started first: the first few of each component are its newest.
      if (top.started < COMPONENT_INCIDENTS) {
        top.started++;
        ids.add(incident.id);
      }
      top.updates.offer(incident.latest_minute, incident.id);
      top.postmortems.offer(incident.postmortem_at, incident.id);
    }
  });
  siteUpdates.addTo(ids);
  sitePostmortems.addTo(ids);
  for (const top of perComponent.values()) {
    top.updates.addTo(ids);
    top.postmortems.addTo(ids);
  }
  return ids;
}

/** The start of the last `days` days, with two days more for any time zone. */
function windowFrom(now: Date, days: number): { window: string; windowMinute: number } {
  const start = now.getTime() - (days + 2) * 86_400_000;
  // Resolved in the window's first minute or later: a superset of those resolved within it.
  return { window: new Date(start).toISOString(), windowMinute: Math.floor(start / 60_000) };
}

/** Open, or started or resolved within the window. */
function inWindow(incident: IncidentSummary, window: string, windowMinute: number): boolean {
  return (
    incident.status !== 'resolved' ||
    incident.resolved_minute === null ||
    incident.resolved_minute >= windowMinute ||
    incident.started_at >= window
  );
}

/**
 * The incidents the uptime bars read (`UPTIME_DAYS` back, further than `hotIncidentIds` keeps
 * in full): open, or started or resolved within the uptime window. The publisher keeps those that
 * are not hot as their timelines alone (`uptimeRecord`).
 */
export function uptimeIncidentIds(history: readonly IncidentSummary[], now: Date): Set<string> {
  const { window, windowMinute } = windowFrom(now, UPTIME_DAYS);
  const ids = new Set<string>();
  for (const incident of history)
    if (inWindow(incident, window, windowMinute)) ids.add(incident.id);
  return ids;
}
